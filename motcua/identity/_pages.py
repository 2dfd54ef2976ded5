"""What an officers' page does with the gate's answer, whatever the web framework: go and
sign in, not for your role, sign-in not configured — or here is the officer."""

from __future__ import annotations

from collections.abc import Mapping

from motcua.identity._gate import OfficerGate
from motcua.identity._officer import Officer, Role


class SignInRequired(Exception):
    """No valid token: the page answers 303 to ``location`` (the sign-in hand-off)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class NotForYourRole(Exception):
    """Signed in, but none of the roles the page is for: 403."""

    def __init__(self, officer: Officer, allowed: tuple[Role, ...]) -> None:
        super().__init__(officer.username)
        self.officer = officer
        self.allowed = allowed


class SignInUnavailable(Exception):
    """The service holds no public key to check tokens with: 503."""


def page_officer(
    gate: OfficerGate,
    *,
    page_url: str,
    cookies: Mapping[str, str],
    authorization: str | None,
    roles: tuple[Role, ...] = (),
) -> Officer:
    """The officer a page may show itself to, or the exception saying why not."""
    if not gate.configured:
        raise SignInUnavailable
    officer = gate.officer(cookies, authorization)
    if officer is None:
        raise SignInRequired(gate.sign_in_location(page_url))
    if roles and not officer.has(*roles):
        raise NotForYourRole(officer, roles)
    return officer
