"""What reporting asks intake, through intake's API with its own read-only key (never
intake's tables): unit and procedure names for the pages, and the tally of dossiers by
state that the reconciliation compares the figures with."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
from psycopg import Connection

from motcua.db import recordset
from services.reporting import store


class IntakeUnavailable(Exception):
    """Intake did not answer, or answered with an error."""


UNITS_PATH = "/v1/units?include_retired=true&limit=5000"
"""Retired units too: their figures roll up to their successors."""


@dataclass(frozen=True)
class IntakeApi:
    base_url: str
    api_key: str
    timeout_s: float = 10.0

    def _get(self, path: str, **query: str) -> Any:
        return self._page(path + ("?" + urllib.parse.urlencode(query) if query else ""))[0]

    def _page(self, path_qs: str) -> tuple[Any, str | None]:
        """One answer's body and the path of its ``Link: rel="next"`` page, if any."""
        url = f"{self.base_url.rstrip('/')}{path_qs}"
        try:
            response = httpx.get(
                url, headers={"X-API-Key": self.api_key}, timeout=self.timeout_s
            ).raise_for_status()
            link = response.links.get("next")
            following = None if link is None else httpx.URL(url).join(link["url"])
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IntakeUnavailable(f"{path_qs}: {exc}") from None
        if following is None:
            return body, None
        return body, following.raw_path.decode()

    def units(self) -> list[dict[str, Any]]:
        """Every unit, retired ones too, each with ``successor`` and ``retired_on``: all
        pages, following ``rel="next"`` (a next page read already is an outage, not a loop)."""
        units: list[dict[str, Any]] = []
        visited: set[str] = set()
        following: str | None = UNITS_PATH
        while following is not None:
            if following in visited:
                raise IntakeUnavailable(f"/v1/units: the next page {following} was read already")
            visited.add(following)
            body, following = self._page(following)
            if not isinstance(body, list):
                raise IntakeUnavailable("/v1/units: not a list")
            units.extend(body)
        return units

    def procedures(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get("/v1/procedures")
        return result

    def tally(self, unit_code: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self._get(
            "/v1/dossiers/tally", **({"unit": unit_code} if unit_code else {})
        )
        return result


def refresh_catalogue(api: IntakeApi, *, db_session: Connection) -> tuple[int, int]:
    """Copy intake's unit names, paths and successors and procedure fields, then each
    unit's path in today's tree; returns (units, procedures)."""
    units = api.units()
    procedures = api.procedures()
    if units:
        rows = recordset(
            {
                "code": u["code"],
                "name": u["name"],
                "path": u["path"],
                "successor": u.get("successor"),
                "retired_on": u.get("retired_on"),
            }
            for u in units
        )
        db_session.execute(
            "INSERT INTO units (code, name, unit_path, successor, retired_on, today_path) "
            "SELECT r.code, r.name, r.path, r.successor, r.retired_on, r.path "
            "FROM jsonb_to_recordset(%s) AS r(code text, name text, path text[], "
            "successor text, retired_on date) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
            "unit_path = EXCLUDED.unit_path, successor = EXCLUDED.successor, "
            "retired_on = EXCLUDED.retired_on",
            (rows,),
        )
        store.refresh_today_paths(db_session=db_session)
    if procedures:
        rows = recordset(
            {
                "code": p["code"],
                "name": p["name"],
                "field": p["field"],
                "online_level": p.get("online_level"),
            }
            for p in procedures
        )
        db_session.execute(
            "INSERT INTO procedures (code, name, field, online_level) "
            "SELECT r.code, r.name, r.field, r.online_level FROM jsonb_to_recordset(%s) "
            "AS r(code text, name text, field text, online_level text) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, field = EXCLUDED.field, "
            "online_level = EXCLUDED.online_level",
            (rows,),
        )
    return len(units), len(procedures)
