"""An entry form stays its officer's to submit after their sign-in token runs out.

The officers' token lives ten minutes and is renewed by the board's session on the next
page the officer opens. At the counter the officer opens the kiosk form and hands the
tablet over; an elderly citizen may well take longer than that, and a POST that meets an
expired token could only be redirected to the sign-in, losing every answer. So each entry
form carries a grant: who opened it, for which form (its action path), until when
(``ENTRY_FORM_LIFETIME_S``, an hour by default), signed with the forms' key. A POST
without a live token is taken on the grant's word for that one form and no other; the
dossier can be rated only once anyway, so a grant is spent by its first answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua.identity import Officer, Role

GRANT_FIELD = "entry_grant"
_DOMAIN = b"motcua-ratings-entry-grant|"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class EntryGrants:
    secret: bytes
    lifetime: timedelta = timedelta(hours=1)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, _DOMAIN + payload, hashlib.sha256).digest()

    def issue(self, officer: Officer, action: str, *, now: datetime) -> str:
        payload = json.dumps(
            {
                "username": officer.username,
                "display_name": officer.display_name,
                "unit_code": officer.unit_code,
                "roles": sorted(role.value for role in officer.roles),
                "action": action,
                "expires": int((now + self.lifetime).timestamp()),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def officer(self, grant: str | None, action: str, *, now: datetime) -> Officer | None:
        """The officer who opened the form at ``action``, while the grant lasts; else None."""
        if not grant or grant.count(".") != 1 or len(grant) > 2048:
            return None
        encoded, mac = grant.split(".")
        try:
            payload, signature = _unb64(encoded), _unb64(mac)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(self._mac(payload), signature):
            return None
        claims = json.loads(payload)
        if claims["action"] != action or claims["expires"] <= now.timestamp():
            return None
        return Officer(
            username=claims["username"],
            display_name=claims["display_name"],
            unit_code=claims["unit_code"],
            roles=frozenset(Role(role) for role in claims["roles"]),
        )
