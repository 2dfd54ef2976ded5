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

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer

from motcua.identity import Officer, Role

GRANT_FIELD = "entry_grant"
_SALT = "motcua-ratings-entry-grant"
_MAX_LENGTH = 2048


@dataclass(frozen=True)
class EntryGrants:
    secret: bytes
    lifetime: timedelta = timedelta(hours=1)

    @property
    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=_SALT)

    def issue(self, officer: Officer, action: str, *, now: datetime) -> str:
        claims = {
            "username": officer.username,
            "display_name": officer.display_name,
            "unit_code": officer.unit_code,
            "roles": sorted(role.value for role in officer.roles),
            "action": action,
            "expires": int((now + self.lifetime).timestamp()),
        }
        return self._serializer.dumps(claims)

    def officer(self, grant: str | None, action: str, *, now: datetime) -> Officer | None:
        """The officer who opened the form at ``action``, while the grant lasts; else None."""
        if not grant or len(grant) > _MAX_LENGTH:
            return None
        try:
            claims = self._serializer.loads(grant)
        except BadData:
            return None
        if claims["action"] != action or claims["expires"] <= now.timestamp():
            return None
        return Officer(
            username=claims["username"],
            display_name=claims["display_name"],
            unit_code=claims["unit_code"],
            roles=frozenset(Role(role) for role in claims["roles"]),
        )
