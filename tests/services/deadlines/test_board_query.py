"""What an officer may ask the board for: URL parameters parsed with no I/O, and cursors
that survive the round trip but not tampering (a 422, never a 500)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.deadlines.board.query import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    BoardFilter,
    BoardQueryError,
    BoardRequest,
    BoardStatus,
    Cursor,
    parse_board_request,
)

CURSOR = Cursor(
    datetime(2025, 11, 18, 3, 0, 0, 123456, tzinfo=UTC),
    "000.01.02.H01-251110-0042",
    "7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
)


def _encoded(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_no_parameters_mean_the_whole_board_first_page() -> None:
    assert parse_board_request({}) == BoardRequest(BoardFilter(), None, DEFAULT_PAGE_SIZE)
    blank = {key: " " for key in ("unit", "status", "procedure", "field", "letter", "cursor")}
    assert parse_board_request(blank) == BoardRequest()


def test_every_parameter_is_read_and_written_back_the_same() -> None:
    params = {
        "unit": "000.00.01.H01",
        "status": "overdue",
        "procedure": "1.004222",
        "field": "residence",
        "letter": "to_issue",
        "dossier_code": "000.00.01.H01-251110-0042",
    }
    request = parse_board_request({**params, "cursor": CURSOR.encode(), "limit": "200"})
    assert request.filter == BoardFilter(
        unit_code="000.00.01.H01",
        status=BoardStatus.OVERDUE,
        procedure_code="1.004222",
        field_code="residence",
        letter_to_issue=True,
        dossier_code="000.00.01.H01-251110-0042",
    )
    assert request.cursor == CURSOR
    assert request.limit == MAX_PAGE_SIZE
    assert request.filter.query_params() == params
    assert BoardFilter().query_params() == {}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"letter": "issued"}, "letter"),
        ({"limit": "0"}, "limit"),
        ({"limit": str(MAX_PAGE_SIZE + 1)}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"unit": "x" * 65}, "unit"),
        ({"procedure": "1.00\x004222"}, "procedure"),
        ({"cursor": "c" * 513}, "cursor"),
        ({"cursor": "not a cursor"}, "cursor"),
    ],
)
def test_a_parameter_the_board_cannot_use_is_named_in_the_error(
    params: dict[str, str], field: str
) -> None:
    with pytest.raises(BoardQueryError) as raised:
        parse_board_request(params)
    assert raised.value.field == field


def test_a_cursor_survives_the_round_trip_through_a_url() -> None:
    text = CURSOR.encode()
    assert len(text) > 64  # longer than the other parameters may be, and still accepted
    assert text.isascii()
    assert not set(text) & set("+/=&?#")
    assert Cursor.decode(text) == CURSOR
    assert parse_board_request({"cursor": text}).cursor == CURSOR
    # The same instant written in Hà Nội's offset, and a code beyond ASCII.
    hanoi = Cursor(CURSOR.due_at.astimezone(timezone(timedelta(hours=7))), "mã", CURSOR.dossier_id)
    assert Cursor.decode(hanoi.encode()) == hanoi
    assert hanoi.due_at == CURSOR.due_at


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!!!",
        _encoded({"due_at": "2025-11-18T03:00:00+00:00"}),
        _encoded(["2025-11-18T03:00:00+00:00", "code"]),
        _encoded(["2025-11-18T03:00:00", "code", CURSOR.dossier_id]),  # no zone
        _encoded(["yesterday", "code", CURSOR.dossier_id]),
        _encoded([20251118, "code", CURSOR.dossier_id]),
        _encoded(["2025-11-18T03:00:00+00:00", 42, CURSOR.dossier_id]),
        _encoded(["2025-11-18T03:00:00+00:00", "code", "'; DROP TABLE watched_dossiers; --"]),
        _encoded("a string"),
        _encoded(None),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        CURSOR.encode()[:-3],
    ],
)
def test_a_tampered_cursor_is_refused_as_a_cursor(text: str) -> None:
    with pytest.raises(BoardQueryError) as raised:
        Cursor.decode(text)
    assert raised.value.field == "cursor"


def test_a_cursors_id_is_normalised_as_postgresql_would_print_it() -> None:
    shouted = _encoded([CURSOR.due_at.isoformat(), "code", CURSOR.dossier_id.upper()])
    assert Cursor.decode(shouted).dossier_id == CURSOR.dossier_id


def test_the_undelivered_letter_rule_is_read_and_written_back() -> None:
    request = parse_board_request({"letter": "undelivered", "status": "overdue"})
    assert request.filter == BoardFilter(status=BoardStatus.OVERDUE, letter_undelivered=True)
    assert request.filter.query_params() == {"status": "overdue", "letter": "undelivered"}
