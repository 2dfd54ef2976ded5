"""Names for every page: intake's procedure catalogue and unit tree, read over intake's
HTTP API (``GET /v1/procedures``, ``GET /v1/units``) with the service's own key, never
from intake's tables, and kept in memory.

Events name a dossier's procedure and unit by code only; pages show names, a unit's head
title and public phone, and filter by field (lĩnh vực), which only the catalogue knows.
Lookups are synchronous and served from the last good copy, refreshed in the background:
an intake outage costs a page its names (it shows codes), never the page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import aiohttp
from yarl import URL

from motcua.web.strings import unit_label

_log = logging.getLogger("motcua.reference")


@dataclass(frozen=True)
class ProcedureRef:
    code: str
    name: str
    field_code: str


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    path: tuple[str, ...]
    """Root first, ending with the unit itself."""
    level: str | None = None
    address: str | None = None
    head_title: str | None = None
    """The position the unit's head signs with ("Trưởng Công an phường")."""
    public_phone: str | None = None
    """The number citizens may call about a dossier (seed 000)."""
    successor: str | None = None
    """The unit that carries on a retired unit's work (docs/units.md)."""
    retired_on: date | None = None
    """The day a merger or rename retired the unit; None while it is in service."""


class ReferenceData(Protocol):
    """Names of procedures and units, from intake's published catalogue (cached).

    When intake cannot be reached the pages still work and show codes.
    """

    def procedure(self, code: str) -> ProcedureRef | None: ...

    def procedures(self) -> list[ProcedureRef]: ...

    def unit(self, code: str) -> UnitRef | None: ...

    def units_within(self, unit_code: str) -> list[UnitRef]:
        """The unit and everything under it, root first, then by code."""
        ...

    def carried_over(self, unit_code: str) -> tuple[str, ...]:
        """The retired units whose work the unit carries on (:func:`carried_over`)."""
        ...


def carried_over(units: Iterable[UnitRef], code: str) -> tuple[str, ...]:
    """The retired units whose work ``code`` carries on, through every merger that led to
    it (a commune merged into one merged again later), sorted; empty when none did.

    A dossier keeps the unit that received it, so whoever looks at a unit's work (an
    officer's board, a filter) looks at these units' dossiers too."""
    return _carried_over(_predecessors(units), code)


def _predecessors(units: Iterable[UnitRef]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for unit in units:
        if unit.successor is not None and unit.successor != unit.code:
            found.setdefault(unit.successor, []).append(unit.code)
    return {code: tuple(before) for code, before in found.items()}


def _carried_over(predecessors: dict[str, tuple[str, ...]], code: str) -> tuple[str, ...]:
    found: set[str] = set()
    waiting = [code]
    while waiting:
        for predecessor in predecessors.get(waiting.pop(), ()):
            if predecessor not in found and predecessor != code:
                found.add(predecessor)
                waiting.append(predecessor)
    return tuple(sorted(found))


UNITS_PATH = "/v1/units?include_retired=true&limit=5000"
"""Retired units too: an old dossier names the unit that received it."""


@dataclass(frozen=True)
class Page:
    """One answer of intake: its decoded JSON body and the path of the next page (the
    ``Link: <...>; rel="next"`` header), None on the last."""

    body: Any
    next: str | None = None


Fetch = Callable[[str], Awaitable[Page]]
"""Reads one of intake's paths (``/v1/units?...``) and returns its page."""


class ReferenceUnavailable(RuntimeError):
    """Intake's catalogue could not be read (or made no sense); the last copy stays."""


@dataclass(frozen=True)
class _Snapshot:
    procedures: dict[str, ProcedureRef]
    units: dict[str, UnitRef]
    units_in_order: tuple[UnitRef, ...]
    """Root first (shortest path), then by code: ``units_within``'s order."""
    predecessors: dict[str, tuple[str, ...]]
    """Each successor's retired units, for :func:`carried_over` on every request."""

    @classmethod
    def of(cls, procedures: Iterable[ProcedureRef], units: Iterable[UnitRef]) -> _Snapshot:
        by_code = {unit.code: unit for unit in units}
        ordered = tuple(sorted(by_code.values(), key=lambda unit: (len(unit.path), unit.code)))
        return cls(
            {p.code: p for p in procedures}, by_code, ordered, _predecessors(by_code.values())
        )


_EMPTY = _Snapshot.of([], [])


class _Catalogue:
    """The lookups of :class:`ReferenceData` over one immutable snapshot, swapped whole, so
    a reader on any thread sees the old copy or the new one, never half of each."""

    def __init__(self, snapshot: _Snapshot = _EMPTY) -> None:
        self._snapshot = snapshot

    def procedure(self, code: str) -> ProcedureRef | None:
        return self._snapshot.procedures.get(code)

    def procedures(self) -> list[ProcedureRef]:
        return sorted(self._snapshot.procedures.values(), key=lambda p: p.code)

    def unit(self, code: str) -> UnitRef | None:
        return self._snapshot.units.get(code)

    def units_within(self, unit_code: str) -> list[UnitRef]:
        """The unit and everything under it, root first, then by code."""
        return [unit for unit in self._snapshot.units_in_order if unit_code in unit.path]

    def carried_over(self, unit_code: str) -> tuple[str, ...]:
        return _carried_over(self._snapshot.predecessors, unit_code)


class StaticReference(_Catalogue):
    """Reference data given as lists: for tests, and for tools with no intake to ask."""

    def __init__(self, procedures: Iterable[ProcedureRef] = (), units: Iterable[UnitRef] = ()):
        super().__init__(_Snapshot.of(procedures, units))


def _procedures(body: Any) -> list[ProcedureRef]:
    if not isinstance(body, list):
        raise ReferenceUnavailable("GET /v1/procedures is not a list")
    try:
        return [ProcedureRef(str(p["code"]), str(p["name"]), str(p["field"])) for p in body]
    except (KeyError, TypeError) as exc:
        raise ReferenceUnavailable(f"a procedure lacks a field: {exc!r}") from exc


def _units(body: Any) -> list[UnitRef]:
    if not isinstance(body, list):
        raise ReferenceUnavailable("GET /v1/units is not a list")
    try:
        units = [
            UnitRef(
                str(u["code"]),
                str(u["name"]),
                tuple(map(str, u["path"])),
                level=u.get("level"),
                address=u.get("address"),
                head_title=u.get("head_title"),
                public_phone=u.get("public_phone"),
                successor=u.get("successor"),
                retired_on=date.fromisoformat(u["retired_on"]) if u.get("retired_on") else None,
            )
            for u in body
        ]
    except (KeyError, TypeError) as exc:
        raise ReferenceUnavailable(f"a unit lacks a field: {exc!r}") from exc
    if any(not unit.path or unit.path[-1] != unit.code for unit in units):
        raise ReferenceUnavailable("a unit's path does not end with the unit")
    return units


async def _all_pages(fetch: Fetch, path: str) -> list[Any]:
    """Every item of a listing, following ``rel="next"`` to its last page."""
    items: list[Any] = []
    visited: set[str] = set()
    following: str | None = path
    while following is not None:
        if following in visited:
            raise ReferenceUnavailable(f"{path}: the next page {following} was read already")
        visited.add(following)
        page = await fetch(following)
        if not isinstance(page.body, list):
            raise ReferenceUnavailable(f"GET {following} is not a list")
        items.extend(page.body)
        following = page.next
    return items


class IntakeReference(_Catalogue):
    """The real reference data: intake's HTTP API, cached, refreshed by :meth:`run`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        fetch: Fetch | None = None,
    ) -> None:
        super().__init__()
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._fetch = fetch
        self._failing = False
        self.loaded = False
        """True once a copy was read; until then every lookup answers None."""

    async def _get(self, session: aiohttp.ClientSession, path: str) -> Page:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        async with session.get(f"{self._base_url}{path}", headers=headers) as response:
            if response.status != 200:
                raise ReferenceUnavailable(f"intake answered {response.status} to {path}")
            link = response.links.get("next")
            following = None if link is None else response.url.join(URL(str(link["url"]))).path_qs
            return Page(await response.json(), following)

    async def _read(self) -> tuple[Any, Any]:
        if self._fetch is not None:
            return await _all_pages(self._fetch, "/v1/procedures"), await _all_pages(
                self._fetch, UNITS_PATH
            )
        if not self._api_key:
            raise ReferenceUnavailable("INTAKE_API_KEY is not set")
        async with aiohttp.ClientSession(timeout=self._timeout) as session:

            async def fetch(path: str) -> Page:
                return await self._get(session, path)

            return await _all_pages(fetch, "/v1/procedures"), await _all_pages(fetch, UNITS_PATH)

    async def refresh(self) -> bool:
        """Read both lists and swap them in; on any failure keep the last good copy. The
        failure is logged when it starts and the recovery when it ends, not on every try."""
        try:
            procedures_body, units_body = await self._read()
            snapshot = _Snapshot.of(_procedures(procedures_body), _units(units_body))
        except (ReferenceUnavailable, aiohttp.ClientError, OSError, ValueError) as exc:
            if not self._failing:
                self._failing = True
                _log.warning(
                    "intake's reference data unavailable; the pages keep its last copy",
                    extra={
                        "error": f"{type(exc).__name__}: {exc}",
                        "procedures": len(self._snapshot.procedures),
                        "units": len(self._snapshot.units),
                    },
                )
            return False
        self._snapshot = snapshot
        if self._failing or not self.loaded:
            _log.info(
                "intake's reference data loaded",
                extra={"procedures": len(snapshot.procedures), "units": len(snapshot.units)},
            )
        self._failing = False
        self.loaded = True
        return True

    async def run(self, interval_s: float, *, retry_s: float = 5.0) -> None:
        """Load now, then again every ``interval_s``, until cancelled. A failed load is
        tried again after ``retry_s`` (when shorter): a service that starts before intake
        answers would otherwise show codes for a whole interval."""
        while True:
            loaded = await self.refresh()
            await asyncio.sleep(interval_s if loaded else min(interval_s, retry_s))


def procedures_of_field(reference: ReferenceData, field_code: str) -> list[str]:
    """The procedure codes a field filter stands for (none while the catalogue is unknown)."""
    return [p.code for p in reference.procedures() if p.field_code == field_code]


def procedure_name(reference: ReferenceData, code: str) -> str:
    """The procedure's name, or its code when the catalogue does not know it (yet)."""
    found = reference.procedure(code)
    return found.name if found else code


def unit_name(reference: ReferenceData, code: str) -> str:
    """The unit's name, or its code when the tree does not know it (yet)."""
    found = reference.unit(code)
    return found.name if found else code


class Names:
    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference

    def procedure(self, code: str) -> str:
        found = self.reference.procedure(code)
        return found.name if found else code

    def unit(self, code: str) -> str:
        found = self.reference.unit(code)
        return found.name if found else code

    def unit_of_record(self, code: str) -> str:
        """The unit's name, marked with the day it stopped if a merger retired it: an
        officer who finds an old commune's dossier on a successor's board is told why."""
        found = self.reference.unit(code)
        return unit_label(found.name, found.retired_on) if found else code

    def field_of(self, procedure_code: str) -> str | None:
        found = self.reference.procedure(procedure_code)
        return found.field_code if found else None


class NoReference:
    """Reference data that knows nothing: every page shows codes. For tests and tools
    with no catalogue."""

    def procedure(self, code: str) -> ProcedureRef | None:
        return None

    def procedures(self) -> list[ProcedureRef]:
        return []

    def unit(self, code: str) -> UnitRef | None:
        return None

    def units_within(self, unit_code: str) -> list[UnitRef]:
        return []

    def carried_over(self, unit_code: str) -> tuple[str, ...]:
        return ()
