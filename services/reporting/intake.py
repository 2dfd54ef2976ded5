"""What reporting asks intake, through intake's API with its own read-only key (never
intake's tables): unit and procedure names for the pages, and the tally of dossiers by
state that the reconciliation compares the figures with."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from motcua.db import recordset
from services.reporting import store


class IntakeUnavailable(Exception):
    """Intake did not answer, or answered with an error."""


@dataclass(frozen=True)
class IntakeApi:
    base_url: str
    api_key: str
    timeout_s: float = 10.0

    def _get(self, path: str, **query: str) -> Any:
        return self._page(path + ("?" + urllib.parse.urlencode(query) if query else ""))[0]

    def _page(self, path_qs: str) -> tuple[Any, str | None]:
        """One answer's body and the path of its ``rel="next"`` page, if any."""
        url = f"{self.base_url.rstrip('/')}{path_qs}"
        request = urllib.request.Request(url, headers={"X-API-Key": self.api_key})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                following = _next_link(response.headers.get_all("Link") or [])
                return json.loads(response.read()), following
        except (OSError, ValueError) as exc:
            raise IntakeUnavailable(f"{path_qs}: {exc}") from None

    def units(self) -> list[dict[str, Any]]:
        """Every unit, retired ones too (their figures roll up to their successors), each
        with ``successor`` and ``retired_on``: all pages, following ``rel="next"``."""
        units: list[dict[str, Any]] = []
        following: str | None = "/v1/units?include_retired=true&limit=5000"
        while following is not None:
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


_NEXT = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def _next_link(headers: list[str]) -> str | None:
    """The path of the ``Link: <...>; rel="next"`` page (RFC 8288), None on the last page."""
    for header in headers:
        for link in header.split(","):
            found = _NEXT.search(link)
            if found:
                target = urllib.parse.urlsplit(found.group(1))
                return f"{target.path}?{target.query}" if target.query else target.path
    return None


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
