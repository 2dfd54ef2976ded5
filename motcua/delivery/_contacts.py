"""The citizen's phone number and e-mail address, asked from intake at send time with the
sending service's own read-only key and forgotten once the message is handed to its
channel: never stored in the service's tables, events or logs. The same answer names the
agency handling the dossier and its public phone, so a message says who sends it.

Intake's receipt endpoint (``GET /v1/dossiers/{code}/receipt``) is the one that names the
citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import aiohttp


class IntakeUnavailable(RuntimeError):
    """Intake could not say how to reach the citizen; the delivery waits and tries again."""


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None
    preference: str | None = None
    """The citizen's contact preference as intake holds it (``sms``, ``email``, ``zalo``,
    ``phone``, ``post``, ``none``)."""
    agency: str | None = None
    """The name of the unit handling the dossier ("Công an phường Tây Hồ")."""
    agency_phone: str | None = None
    """The unit's public number for citizens' questions ("024 3835 1185")."""

    def destination(self, channel: str) -> str | None:
        """Where ``channel`` sends: Zalo OA reaches the citizen by phone number."""
        return self.email if channel == "email" else self.phone


class ContactDirectory(Protocol):
    async def contact(self, dossier_code: str) -> Contact: ...


class IntakeContacts:
    """The real directory: intake's HTTP API, one shared connection pool."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def contact(self, dossier_code: str) -> Contact:
        if not self._api_key:
            raise IntakeUnavailable("INTAKE_API_KEY is not set")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = f"{self._base_url}/v1/dossiers/{quote(dossier_code, safe='')}/receipt"
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status != 200:
                    raise IntakeUnavailable(f"intake answered {response.status}")
                receipt = (await response.json())["receipt"]
            return Contact(
                receipt.get("applicant_phone"),
                receipt.get("applicant_email"),
                preference=receipt.get("contact_preference"),
                agency=receipt.get("agency"),
                agency_phone=receipt.get("agency_phone"),
            )
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise IntakeUnavailable(f"no receipt from intake: {type(exc).__name__}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
