"""Reconciliation: the live figures against a recomputation from intake's records.

Intake's tally (through its API) says how many dossiers the subtree holds in each state;
reporting's facts must say the same — received, finished (completed or returned), in
progress (received, in progress, awaiting a supplement, paused). The difference of each
is exported as ``motcua_reporting_reconciliation_difference``; zero when healthy. While
events are in flight it moves for a moment, so the alert waits (``deploy/prometheus``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from services.reporting.facts import DossierState

_INTAKE_GROUPS: dict[str, tuple[str, ...]] = {
    "finished": ("completed", "returned"),
    "in_progress": ("received", "in_progress", "awaiting_supplement", "paused"),
}
_OPEN = (DossierState.IN_PROGRESS, DossierState.AWAITING_SUPPLEMENT, DossierState.PAUSED)


@dataclass(frozen=True)
class Difference:
    measure: str
    live: int
    intake: int

    @property
    def difference(self) -> int:
        return self.live - self.intake


MEASURES = ("received", "finished", "in_progress")


def intake_counts(tally: Mapping[str, Any]) -> dict[str, int]:
    """Intake's tally (``GET /v1/dossiers/tally``) in reporting's measures."""
    by_state: Mapping[str, int] = tally["by_state"]
    counts = {
        measure: sum(int(by_state.get(state, 0)) for state in states)
        for measure, states in _INTAKE_GROUPS.items()
    }
    return {"received": int(tally["received"]), **counts}


def live_counts(unit_code: str, *, db_session: Connection) -> dict[str, int]:
    row = db_session.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = %s), "
        "count(*) FILTER (WHERE state = ANY(%s)) FROM dossiers "
        "WHERE unit_path @> ARRAY[%s]::text[]",
        (DossierState.FINISHED, list(_OPEN), unit_code),
    ).fetchone()
    received, finished, open_ = row if row else (0, 0, 0)
    return {"received": received, "finished": finished, "in_progress": open_}


def compare(live: Mapping[str, int], intake: Mapping[str, int]) -> list[Difference]:
    return [Difference(m, int(live[m]), int(intake[m])) for m in MEASURES]
