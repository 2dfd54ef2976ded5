"""What the counter's pages ask intake at render, with ratings' own read-only key: whether a
dossier without an invitation exists and is still being handled (so the officer is told
"not yet returned" rather than "unknown"), and the citizen's phone number for a phone
entry. Neither is stored: the number lives only in the page it is shown on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import aiohttp

from motcua.delivery import IntakeContacts, IntakeUnavailable

FINISHED_STATES = frozenset({"returned", "rejected", "withdrawn"})
"""Intake's states in which the dossier's handling is over (a rating may be asked)."""


@dataclass(frozen=True)
class IntakeDossier:
    """The part of intake's dossier view the counter needs: where it is and how far."""

    unit_path: tuple[str, ...]
    state: str

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


class CounterIntake(Protocol):
    async def dossier(self, code: str) -> IntakeDossier | None:
        """The dossier, or None when intake has none of that code; raises
        :class:`IntakeUnavailable` when intake cannot say."""
        ...

    async def phone(self, code: str) -> str | None:
        """The applicant's phone number, or None when they gave none."""
        ...


class NoIntake:
    """No intake configured (unit tests of the pages): nothing is known."""

    async def dossier(self, code: str) -> IntakeDossier | None:
        raise IntakeUnavailable("no intake")

    async def phone(self, code: str) -> str | None:
        raise IntakeUnavailable("no intake")


class IntakeCounter:
    """Intake's HTTP API: ``GET /v1/dossiers/{code}`` and, for the phone, the receipt."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        """One connection pool for every page, opened on first use (as IntakeContacts)."""
        self._contacts = IntakeContacts(base_url, api_key, timeout_s=timeout_s)

    async def dossier(self, code: str) -> IntakeDossier | None:
        if not self._api_key:
            raise IntakeUnavailable("INTAKE_API_KEY is not set")
        url = f"{self._base_url}/v1/dossiers/{quote(code, safe='')}"
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status in (404, 422):
                    return None
                if response.status != 200:
                    raise IntakeUnavailable(f"intake answered {response.status}")
                body = await response.json()
            return IntakeDossier(tuple(body["unit_path"]), str(body["state"]))
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise IntakeUnavailable(f"no dossier from intake: {type(exc).__name__}") from exc

    async def phone(self, code: str) -> str | None:
        return (await self._contacts.contact(code)).phone

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self._contacts.close()
