"""The counters a write taken one command at a time pre-locks: every receipt's, however
its instant is written."""

from __future__ import annotations

from datetime import date
from typing import Any

from motcua.calendar import default_calendar
from services.intake.dossier.commands import parsed_or_refused
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.service import counter_keys

RULES = IntakeRules(calendar=default_calendar())


def _receive(unit: str, occurred_at: object) -> dict[str, Any]:
    return {
        "kind": "receive",
        "event_id": f"evt-{unit}-{occurred_at}",
        "unit_code": unit,
        "occurred_at": occurred_at,
        "procedure_code": "1.001612",
        "channel": "in_person",
        "applicant": {"full_name": "Nguyễn Văn An"},
    }


def _parsed(items: list[dict[str, Any]]) -> list[Any]:
    return [parsed_or_refused(item, rules=RULES) for item in items]


def test_a_unix_timestamp_takes_its_counter_in_the_same_order_as_an_iso_instant() -> None:
    # 2026-11-30 17:30 UTC is 2026-12-01 00:30 in Vietnam: the local day numbers it.
    items = [
        _receive("000.00.01.H01", "2026-11-30T17:30:00+00:00"),
        _receive("000.00.02.H01", 1796059800),  # the same instant as a Unix timestamp
        _receive("000.00.03.H01", 1796059800.5),
    ]
    assert counter_keys(_parsed(items)) == {
        ("000.00.01.H01", date(2026, 12, 1)),
        ("000.00.02.H01", date(2026, 12, 1)),
        ("000.00.03.H01", date(2026, 12, 1)),
    }


def test_items_their_own_validation_refuses_take_no_counter() -> None:
    items: list[dict[str, Any]] = [
        _receive("000.00.01.H01", "2026-11-30T17:30:00"),  # no offset: refused
        _receive("000.00.01.H01", "yesterday"),
        _receive("not a unit", "2026-11-30T17:30:00+00:00"),
        {"kind": "transition", "unit_code": "000.00.01.H01", "occurred_at": 1796059800},
        {"kind": "receive", "unit_code": "000.00.01.H01"},
    ]
    parsed = _parsed(items)
    assert all(isinstance(command, IntakeError) for command in parsed)
    assert counter_keys(parsed) == set()
