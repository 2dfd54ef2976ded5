"""The hash an audit entry carries covers every field, so any change shows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.audit import GENESIS, Action, ActorKind, Outcome, entry_hash

AT = datetime(2026, 12, 5, 8, 30, 1, 123456, tzinfo=UTC)
ACTION = Action(
    actor="can-bo-01",
    actor_kind=ActorKind.OFFICER,
    action="letter.issued",
    record_type="dossier",
    record_id="H01.22.10-261201-0001",
    unit_path=("BCA", "HN", "HN-HK"),
    address="10.0.0.7",
    details={"letter_number": "12/PXL", "version": 1},
)


def test_the_same_entry_hashes_the_same_in_any_zone() -> None:
    ict = AT.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert ict.utcoffset() == timedelta(hours=7)
    assert entry_hash(GENESIS, 1, AT, ACTION) == entry_hash(GENESIS, 1, ict, ACTION)


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "can-bo-02"},
        {"actor_kind": ActorKind.ADMIN},
        {"action": "letter.corrected"},
        {"record_type": "letter"},
        {"record_id": "H01.22.10-261201-0002"},
        {"unit_path": ("BCA", "HN")},
        {"address": "10.0.0.8"},
        {"address": None},
        {"outcome": Outcome.REFUSED},
        {"details": {"letter_number": "13/PXL", "version": 1}},
    ],
)
def test_any_changed_field_changes_the_hash(change: dict[str, object]) -> None:
    changed = dataclasses.replace(ACTION, **change)  # type: ignore[arg-type]
    assert entry_hash(GENESIS, 1, AT, changed) != entry_hash(GENESIS, 1, AT, ACTION)


def test_the_number_the_time_and_the_link_are_covered_too() -> None:
    base = entry_hash(GENESIS, 1, AT, ACTION)
    assert entry_hash(GENESIS, 2, AT, ACTION) != base
    assert entry_hash(GENESIS, 1, AT + timedelta(microseconds=1), ACTION) != base
    assert entry_hash(b"\x01" * 32, 1, AT, ACTION) != base
