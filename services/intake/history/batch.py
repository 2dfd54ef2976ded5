"""A batch's lines, each planned or refused. Pure.

Planning a dossier (validating its line, replaying it through intake's clock and state
machine, building and validating its events) is where an import spends its time, and it
needs no database: everything it consults is the :class:`Planning` (units, procedures,
calendar, the importer's principal), read once. The planned dossiers are plain rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from motcua.calendar import WorkingCalendar
from services.intake.auth import Principal
from services.intake.dossier.rules import IntakeRules
from services.intake.history.planner import KnownUnit, PlannedDossier, plan
from services.intake.history.record import LineError, parse_line
from services.intake.reference.catalog import ProcedureInfo


@dataclass(frozen=True)
class Planning:
    """What every line is planned with; sent once to each worker process."""

    units: dict[str, KnownUnit]
    procedures: dict[str, ProcedureInfo]
    calendar: WorkingCalendar
    paper_cutoff: time
    applicant_ref_key: bytes | None
    principal: Principal

    def rules(self) -> IntakeRules:
        return IntakeRules(
            calendar=self.calendar,
            paper_cutoff=self.paper_cutoff,
            applicant_ref_key=self.applicant_ref_key,
        )


@dataclass(frozen=True)
class Refused:
    """A refused line: its number, the field at fault, why, and the line itself."""

    line: int
    field: str
    reason: str
    text: str

    def as_json(self) -> dict[str, Any]:
        """One line of the error file."""
        return {"line": self.line, "field": self.field, "reason": self.reason, "text": self.text}


@dataclass(frozen=True)
class Planned:
    """A planned line: its number, its record's digest, and what it writes."""

    line: int
    record_sha256: bytes
    planned: PlannedDossier

    @property
    def code(self) -> str:
        return str(self.planned.dossier["code"])


def plan_line(number: int, text: str, planning: Planning, rules: IntakeRules) -> Planned | Refused:
    """One line planned, or refused naming its field; unknown units and procedures are
    refused, never invented."""
    try:
        record = parse_line(text)
        unit = planning.units.get(record.unit_code)
        if unit is None:
            raise LineError("unit_code", f"no unit has code {record.unit_code}")
        procedure = planning.procedures.get(record.procedure_code)
        if procedure is None:
            raise LineError("procedure_code", f"no procedure has code {record.procedure_code}")
        planned = plan(
            record, unit=unit, procedure=procedure, rules=rules, principal=planning.principal
        )
    except LineError as exc:
        return Refused(number, exc.field, exc.reason, text)
    return Planned(number, record.sha256(), planned)


def plan_lines(lines: Sequence[tuple[int, str]], planning: Planning) -> list[Planned | Refused]:
    """A batch's lines, in the file's order."""
    rules = planning.rules()
    return [plan_line(number, text, planning, rules) for number, text in lines]
