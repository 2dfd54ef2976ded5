"""The line format's validation: each refusal names its field and says why."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.intake.history.record import LineError, parse_line

LINE: dict[str, Any] = {
    "dossier_code": "000.70.00.H01-240305-0001",
    "procedure_code": "1.000001",
    "unit_code": "000.70.00.H01",
    "received_channel": "in_person",
    "received_at": "2024-03-05T09:00:00+07:00",
    "due_rule": "law",
    "supplements": [
        {
            "requested_at": "2024-03-06T09:00:00+07:00",
            "received_at": "2024-03-08T09:00:00+07:00",
            "reason": "Thiếu bản sao giấy khai sinh",
        }
    ],
    "pauses": [],
    "outcome": "returned",
    "completed_at": "2024-03-12T10:00:00+07:00",
    "returned_at": "2024-03-13T10:00:00+07:00",
    "applicant": {"name": "Nguyễn Thị Lan", "id_number": "001190012345"},
}


def refusal(line: dict[str, Any] | str) -> tuple[str, str]:
    with pytest.raises(LineError) as raised:
        parse_line(line if isinstance(line, str) else json.dumps(line))
    return raised.value.field, raised.value.reason


def test_a_valid_line_parses() -> None:
    record = parse_line(json.dumps(LINE))
    assert record.closed
    assert record.supplements[0].reason == "Thiếu bản sao giấy khai sinh"


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("{", "", "not JSON"),
        ("[1]", "", "one JSON object"),
        ({k: v for k, v in LINE.items() if k != "unit_code"}, "unit_code", "required"),
        (LINE | {"received_channel": "fax"}, "received_channel", "in_person"),
        (LINE | {"received_at": "2024-03-05T09:00:00"}, "received_at", "timezone"),
        (LINE | {"dossier_code": "HS-1"}, "dossier_code", "pattern"),
        (LINE | {"surprise": 1}, "surprise", "not permitted"),
        (LINE | {"due_rule": "recorded"}, "due_at", "required"),
        (LINE | {"outcome": "completed"}, "returned_at", "must be null"),
        (LINE | {"returned_at": None}, "returned_at", "required"),
        (LINE | {"outcome": None}, "completed_at", "must be null"),
        (
            LINE
            | {
                "outcome": "rejected",
                "completed_at": None,
                "returned_at": None,
                "outcome_at": "2024-03-12T10:00:00+07:00",
            },
            "outcome_reason",
            "required",
        ),
        (LINE | {"completed_at": "2024-03-04T10:00:00+07:00"}, "completed_at", "before"),
        (LINE | {"returned_at": "2024-03-11T10:00:00+07:00"}, "returned_at", "before"),
        (
            LINE
            | {
                "supplements": [
                    LINE["supplements"][0] | {"received_at": "2024-03-05T10:00:00+07:00"}
                ]
            },
            "supplements.0.received_at",
            "before",
        ),
        (
            LINE
            | {
                "pauses": [{"from": "2024-03-07T09:00:00+07:00", "to": "2024-03-06T09:00:00+07:00"}]
            },
            "pauses.0.to",
            "before",
        ),
        (LINE | {"applicant": {"name": "A", "id_number": "12"}}, "applicant.id_number", "pattern"),
    ],
)
def test_a_refused_line_names_its_field(line: dict[str, Any] | str, field: str, words: str) -> None:
    found_field, reason = refusal(line)
    assert found_field == field
    assert words in reason


def test_the_same_record_has_the_same_digest_however_it_is_written() -> None:
    digest = parse_line(json.dumps(LINE)).sha256()
    shifted = LINE | {"received_at": "2024-03-05T02:00:00+00:00"}
    assert parse_line(json.dumps(shifted, indent=2, sort_keys=True)).sha256() == digest
    other = LINE | {"applicant": LINE["applicant"] | {"name": "Nguyễn Thị Lân"}}
    assert parse_line(json.dumps(other)).sha256() != digest
