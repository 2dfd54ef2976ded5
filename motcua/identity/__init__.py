"""Officers' identity, shared by every service with pages: who is signed in, their unit
subtree and roles, carried by a short-lived Ed25519-signed token (JWT).

Deadlines owns the accounts and sessions and issues the token (``TokenIssuer``); every
service checks it with the public key alone (``OfficerGate``).
"""

from motcua.identity._gate import (
    CONTINUE_PATH,
    TOKEN_COOKIE,
    OfficerGate,
    PagesSettings,
    SignInSettings,
    TokenCheckSettings,
    safe_next,
    token_cookie,
    token_from,
)
from motcua.identity._officer import Officer, Role, parse_roles
from motcua.identity._pages import (
    NotForYourRole,
    SignInRequired,
    SignInUnavailable,
    page_officer,
)
from motcua.identity._tokens import (
    InvalidOfficerToken,
    TokenIssuer,
    TokenVerifier,
    generate_keypair,
    write_keypair,
)

__all__ = [
    "CONTINUE_PATH",
    "TOKEN_COOKIE",
    "InvalidOfficerToken",
    "NotForYourRole",
    "Officer",
    "OfficerGate",
    "PagesSettings",
    "Role",
    "SignInRequired",
    "SignInSettings",
    "SignInUnavailable",
    "TokenCheckSettings",
    "TokenIssuer",
    "TokenVerifier",
    "generate_keypair",
    "page_officer",
    "parse_roles",
    "safe_next",
    "token_cookie",
    "token_from",
    "write_keypair",
]
