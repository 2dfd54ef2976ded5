"""Units and procedures as the hot path reads them: from memory, refreshed every few seconds.

Every receipt needs its unit's path and its procedure's processing time; reading them
from PostgreSQL each time costs two round trips per event. Reference data changes a few
times a year, so a short-lived copy is safe: a change made through this process is seen
at once, one made elsewhere within ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date

from psycopg import Connection

from motcua.dossier import ProcessingTime


@dataclass(frozen=True)
class UnitInfo:
    path: list[str]
    level: str
    name: str = ""
    address: str | None = None
    parent_name: str | None = None
    head_title: str | None = None
    public_phone: str | None = None
    """Name, address, parent's name, head's title and public phone: what a receipt (Mẫu 01)
    and the letters print of their agency."""
    retired_on: date | None = None
    successor: str | None = None
    """A merger or rename retired the unit on ``retired_on``; ``successor`` carries on."""


def unit_accepts(unit: UnitInfo, received_on: date) -> bool:
    """Whether ``unit`` could receive a dossier on ``received_on``: a retired unit takes no
    new work, but an imported dossier it received before its retirement stays its own."""
    return unit.retired_on is None or received_on < unit.retired_on


@dataclass(frozen=True)
class ProcedureInfo:
    processing_time: ProcessingTime
    online_level: str
    pause_policy: str
    active: bool
    name: str = ""


def read_units(db_session: Connection) -> dict[str, UnitInfo]:
    """Every unit, retired ones with their retirement, by code."""
    return {
        row[0]: UnitInfo(list(row[1]), *row[2:])
        for row in db_session.execute(
            "SELECT u.code, u.path, u.level, u.name, u.address, p.name, u.head_title, "
            "u.public_phone, u.retired_on, u.successor_code FROM units u "
            "LEFT JOIN units p ON p.code = u.parent_code"
        )
    }


def read_procedures(db_session: Connection) -> dict[str, ProcedureInfo]:
    """Every procedure with its legal processing time, by code."""
    return {
        row[0]: ProcedureInfo(ProcessingTime(row[1], row[2]), *row[3:])
        for row in db_session.execute(
            "SELECT code, processing_amount, processing_unit, online_level, pause_policy, "
            "active, name FROM procedures"
        )
    }


class ReferenceCatalog:
    def __init__(self, ttl_s: float = 10.0) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._units: dict[str, UnitInfo] = {}
        self._procedures: dict[str, ProcedureInfo] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def _refresh(self, db_session: Connection) -> None:
        if time.monotonic() - self._loaded_at < self.ttl_s:
            return
        units, procedures = read_units(db_session), read_procedures(db_session)
        with self._lock:
            self._units, self._procedures = units, procedures
            self._loaded_at = time.monotonic()

    def unit(self, code: str, *, db_session: Connection) -> UnitInfo | None:
        self._refresh(db_session)
        return self._units.get(code)

    def procedure(self, code: str, *, db_session: Connection) -> ProcedureInfo | None:
        self._refresh(db_session)
        return self._procedures.get(code)
