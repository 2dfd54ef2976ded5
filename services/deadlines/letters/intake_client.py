"""Who the letter is addressed to: the citizen's details, asked from intake when a letter
is issued, never copied into events or the deadlines tables (only into the letter's PDF).

Intake's receipt endpoint (``GET /v1/dossiers/{code}/receipt``) already assembles the
agency, the citizen and the procedure's name; deadlines calls it with its own read-only
key bound to the root unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

import aiohttp

from motcua.documents import place_name


class IntakeUnavailable(RuntimeError):
    """Intake could not say who the citizen is; the letter stays a draft."""


@dataclass(frozen=True)
class DossierParticulars:
    agency: str
    parent_agency: str | None
    agency_address: str | None
    citizen_name: str
    citizen_address: str | None
    procedure_name: str
    received_at: datetime
    agency_head_title: str | None = None
    """The position the agency's head signs with; None when intake's data has none."""
    applicant_anonymised: bool = False
    """Intake anonymised the applicant after retention (docs/personal-data.md):
    ``citizen_name`` then says so, and a letter kept with their name is not handed out."""

    @property
    def place(self) -> str:
        """The place a letter is dated from, named in the agency's address."""
        return place_name(self.agency_address)


class DossierDirectory(Protocol):
    async def particulars(self, dossier_code: str) -> DossierParticulars: ...


class IntakeDirectory:
    """The real directory: intake's HTTP API."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def particulars(self, dossier_code: str) -> DossierParticulars:
        if not self._api_key:
            raise IntakeUnavailable("INTAKE_API_KEY is not set")
        url = f"{self._base_url}/v1/dossiers/{quote(dossier_code, safe='')}/receipt"
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.get(url, headers=headers) as response,
            ):
                if response.status != 200:
                    raise IntakeUnavailable(f"intake answered {response.status}")
                body = (await response.json())["receipt"]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            raise IntakeUnavailable(f"no receipt from intake: {type(exc).__name__}") from exc
        try:
            return DossierParticulars(
                agency=body["agency"],
                parent_agency=body.get("parent_agency"),
                agency_address=body.get("agency_address"),
                agency_head_title=body.get("agency_head_title"),
                citizen_name=body["applicant_name"],
                citizen_address=body.get("applicant_address"),
                procedure_name=body["procedure_name"],
                received_at=datetime.fromisoformat(body["received_at"]),
                applicant_anonymised=body.get("applicant_anonymised") is True,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IntakeUnavailable("intake's receipt lacks a field the letter needs") from exc
