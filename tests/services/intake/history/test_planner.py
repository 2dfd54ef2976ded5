"""The planner replays a record through intake's own receipt, clock and state machine."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import pytest

from motcua.calendar import default_calendar
from motcua.contracts import History, history_of
from motcua.dossier import ProcessingTime
from services.intake.auth import Principal
from services.intake.dossier import clock
from services.intake.dossier.rules import IntakeRules
from services.intake.history.planner import KnownUnit, PlannedDossier, plan
from services.intake.history.record import LineError, parse_line
from services.intake.reference.catalog import ProcedureInfo, UnitInfo
from tests.services.intake.history.test_record import LINE

RULES = IntakeRules(calendar=default_calendar())
PRINCIPAL = Principal(uuid.uuid4(), "history-import", "000.00.00.B01", frozenset())
UNIT = KnownUnit(UnitInfo(["000.00.00.B01", "000.00.00.H01", "000.70.00.H01"], "commune"))
PROCEDURE = ProcedureInfo(ProcessingTime(5, "working_days"), "partial", "resume_remaining", True)


def planned(line: dict[str, Any], unit: KnownUnit = UNIT) -> PlannedDossier:
    record = parse_line(json.dumps(line))
    return plan(record, unit=unit, procedure=PROCEDURE, rules=RULES, principal=PRINCIPAL)


def test_a_closed_record_is_its_events_in_order_marked_closed_at_their_recorded_times() -> None:
    result = planned(LINE)
    events = result.events
    assert [e["type"].split(".")[3] for e in events] == [
        "received",
        "supplement_requested",
        "supplement_received",
        "completed",
        "returned",
    ]
    assert [e["data"]["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert {history_of(e) for e in events} == {History.CLOSED}
    assert [datetime.fromisoformat(e["time"]) for e in events] == [
        datetime.fromisoformat(t)
        for t in (
            LINE["received_at"],
            LINE["supplements"][0]["requested_at"],
            LINE["supplements"][0]["received_at"],
            LINE["completed_at"],
            LINE["returned_at"],
        )
    ]
    assert events[1]["data"]["clock"]["running"] is False
    assert events[2]["data"]["clock"]["running"] is True
    assert events[-1]["data"]["clock"]["closed"] is True
    assert result.dossier["state"] == "returned"
    assert result.dossier["sequence"] == 5
    assert result.dossier["supplement_count"] == 1
    assert result.counter == ("000.70.00.H01", date(2024, 3, 5), 1)
    assert all(e["data"]["dossier_code"] == LINE["dossier_code"] for e in events)


def test_an_open_record_is_marked_open_and_left_in_its_last_state() -> None:
    line = LINE | {
        "supplements": [],
        "pauses": [{"from": "2024-03-06T09:00:00+07:00", "to": None, "reason": "Chờ xác minh"}],
        "outcome": None,
        "completed_at": None,
        "returned_at": None,
    }
    result = planned(line)
    assert {history_of(e) for e in result.events} == {History.OPEN}
    assert result.dossier["state"] == "paused"
    assert result.dossier["paused_at"] is not None
    assert result.events[-1]["data"]["reason_code"] == "other"


def test_the_law_recomputes_the_due_date_and_recorded_keeps_the_files() -> None:
    received = datetime.fromisoformat(LINE["received_at"])
    law = clock.start(
        RULES.calendar,
        received,
        paper=True,
        processing_time=PROCEDURE.processing_time,
        cutoff=RULES.paper_cutoff,
    )
    assert planned(LINE).dossier["original_due_at"] == law.due_at
    recorded = planned(LINE | {"due_rule": "recorded", "due_at": "2024-03-20T17:00:00+07:00"})
    assert recorded.dossier["original_due_at"] == datetime.fromisoformat(
        "2024-03-20T17:00:00+07:00"
    )
    assert recorded.events[0]["data"]["clock"]["due_at"] == "2024-03-20T17:00:00+07:00"


def test_a_completion_while_a_supplement_is_awaited_is_refused_by_the_state_machine() -> None:
    waiting = [LINE["supplements"][0] | {"received_at": None}]
    with pytest.raises(LineError) as raised:
        planned(LINE | {"supplements": waiting})
    assert raised.value.field == "completed_at"
    assert "awaiting_supplement" in raised.value.reason


def test_a_retired_unit_takes_only_dossiers_received_before_its_retirement() -> None:
    retired = KnownUnit(UNIT.info, date(2024, 3, 5), "000.71.00.H01")
    with pytest.raises(LineError) as raised:
        planned(LINE, retired)
    assert raised.value.field == "unit_code"
    assert "000.71.00.H01" in raised.value.reason
    assert planned(LINE, KnownUnit(UNIT.info, date(2024, 3, 6), "000.71.00.H01")).events


def test_a_code_of_another_unit_is_refused() -> None:
    with pytest.raises(LineError) as raised:
        planned(LINE | {"dossier_code": "000.71.00.H01-240305-0001"})
    assert raised.value.field == "dossier_code"


def test_no_personal_data_reaches_an_event() -> None:
    text = json.dumps(planned(LINE).events, ensure_ascii=False)
    assert LINE["applicant"]["name"] not in text
    assert LINE["applicant"]["id_number"] not in text
