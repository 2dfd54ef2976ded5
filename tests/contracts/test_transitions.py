"""Every transition intake records is whole: a rule, a handler whose event passes its schema,
examples of that schema, a case in deadlines' tracker, and a line in docs/intake.md."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from motcua.calendar import default_calendar
from motcua.contracts import EventType, new_event, validate_data
from motcua.dossier import ProcessingTime
from services.deadlines.tracking import DeadlinePolicy, DossierClock, apply_event
from services.intake.dossier.clock import Clock
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions import (
    SPECS,
    Dossier,
    Situation,
    event_data,
    next_state,
)
from services.intake.reference.catalog import UnitInfo
from tests.conftest import ROOT
from tests.contracts._examples import INVALID, VALID

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()
DUE = datetime(2025, 4, 29, 9, 30, tzinfo=VN)
UNIT_PATH = ("000.00.00.B01", "000.00.00.H01", "000.00.01.H01")
COMMUNE = "000.00.02.H01"

# The command fields of each transition, besides event_id, occurred_at and transition.
FIELDS: dict[Transition, dict[str, Any]] = {
    Transition.ASSIGN: {"to_unit_code": UNIT_PATH[-1], "handler_ref": "cb-17"},
    Transition.TRANSFER: {"to_unit_code": COMMUNE},
    Transition.REQUEST_SUPPLEMENT: {"reason": "Thiếu bản sao giấy khai sinh"},
    Transition.RECEIVE_SUPPLEMENT: {},
    Transition.PAUSE: {"reason_code": "other_agency", "reason": "Chờ xác minh"},
    Transition.RESUME: {},
    Transition.RESCHEDULE: {"new_due_at": "2025-05-09T17:00:00+07:00", "letter_number": "4/PXL"},
    Transition.COMPLETE: {"outcome": "granted"},
    Transition.RETURN_RESULT: {"channel": "postal"},
    Transition.REJECT: {"reason": "Không thuộc thẩm quyền"},
    Transition.WITHDRAW: {"reason": "Công dân rút hồ sơ"},
}


def _dossier(state: DossierState) -> Dossier:
    stopped = state in (DossierState.AWAITING_SUPPLEMENT, DossierState.PAUSED)
    at = datetime(2025, 4, 23, 10, tzinfo=VN)
    return Dossier(
        id=str(uuid.uuid4()),
        code="000.00.01.H01-250421-0001",
        procedure_code="1.004194",
        unit_code=UNIT_PATH[-1],
        unit_path=UNIT_PATH,
        channel="in_person",
        state=state,
        clock=Clock(
            datetime(2025, 4, 21, 9, 30, tzinfo=VN),
            DUE,
            at if stopped else None,
            timedelta(hours=30) if state is DossierState.PAUSED else None,
        ),
        original_due_at=DUE,
        rescheduled_due_at=None,
        supplement_count=1 if state is DossierState.AWAITING_SUPPLEMENT else 0,
        sequence=3,
        last_event_at=at,
        contact_preference="zalo",
    )


def _situation(dossier: Dossier, at: datetime) -> Situation:
    return Situation(
        dossier=dossier,
        at=at,
        calendar=CAL,
        processing_time=ProcessingTime(7, "working_days"),
        pause_stops_clock=True,
        paper_cutoff=time(15),
        reschedule_once=True,
        find_unit=lambda code: UnitInfo([*UNIT_PATH[:-1], code], "commune"),
    )


def test_every_transition_has_a_module() -> None:
    assert set(SPECS) == set(Transition) == set(FIELDS)


@pytest.mark.parametrize("transition", list(Transition), ids=str)
def test_the_handlers_event_passes_its_schema_and_deadlines_has_a_case(
    transition: Transition,
) -> None:
    spec = SPECS[transition]
    source = sorted(spec.sources)[0]
    dossier = _dossier(source)
    at = datetime(2025, 4, 24, 9, tzinfo=VN)
    command = spec.command.model_validate(
        {
            "event_id": f"up-{uuid.uuid4()}",
            "occurred_at": at,
            "transition": transition,
            **FIELDS[transition],
        }
    )
    target = next_state(source, transition)
    data = event_data(dossier, spec.handle(command, _situation(dossier, at)), target)
    validate_data(spec.event_type, data)

    event = new_event(
        spec.event_type, source="/motcua/intake", subject=dossier.id, data=data, time=at
    )
    tracked = DossierClock(
        dossier_id=dossier.id,
        dossier_code=dossier.code,
        unit_code=dossier.unit_code,
        unit_path=dossier.unit_path,
        procedure_code=dossier.procedure_code,
        due_at=DUE,
        original_due_at=DUE,
        last_sequence=dossier.sequence,
    )
    after, _ = apply_event(tracked, event, DeadlinePolicy(CAL))  # UnknownEvent if no case
    assert after is not None
    assert after.last_sequence == dossier.sequence + 1
    assert after.open is target.is_open


@pytest.mark.parametrize("event_type", sorted({s.event_type for s in SPECS.values()}), ids=str)
def test_each_event_type_has_examples(event_type: EventType) -> None:
    assert [e for e in VALID if e.folder == event_type.schema_name]
    assert len([e for e in INVALID if e.folder == event_type.schema_name]) >= 2


def test_the_intake_page_names_every_transition() -> None:
    intake = (ROOT / "docs" / "intake.md").read_text(encoding="utf-8")
    missing = [t.value for t in Transition if f"`{t.value}`" not in intake]
    assert missing == []
