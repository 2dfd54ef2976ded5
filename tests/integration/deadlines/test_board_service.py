"""The board and letters service layer on the real PostgreSQL: subtree scoping, idempotent
alerts, one letter per episode, numbering, the once-only appointment and the compliance
figures. Each test works in its own freshly created units, so figures are exact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from motcua.dossier import LOCAL_ZONE
from motcua.kafka import Topic
from services.deadlines.board.issued import LettersRequest, issued_letters
from services.deadlines.board.query import (
    BoardFilter,
    BoardRequest,
    BoardStatus,
    Cursor,
    parse_board_request,
)
from services.deadlines.board.service import (
    AlertToRecord,
    BoardItem,
    StatusCounts,
    acknowledge,
    board_export,
    board_page,
    compliance,
    compliance_by_unit,
    expect_late,
    record_alert,
    record_alerts,
    sync_board,
)
from services.deadlines.letters.models import ApologyLetter, LetterRuleError
from services.deadlines.letters.service import (
    LetterNotFound,
    issue_letter,
    letter_pdf,
    letter_task,
)
from services.deadlines.officers import Officer, register_officer
from services.deadlines.tracking import Alert, AlertKind, DossierClock
from tests.conftest import Database

NOW = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database.service_urls["deadlines"], autocommit=True) as connection:
        yield connection


@pytest.fixture
def units() -> tuple[str, str, str]:
    """A fresh province with two communes, so no other test's dossiers are in the subtree."""
    tag = uuid.uuid4().hex[:5].upper()
    return (
        f"{tag[:3]}.{tag[3:]}.00.T01",
        f"{tag[:3]}.{tag[3:]}.01.T01",
        f"{tag[:3]}.{tag[3:]}.02.T01",
    )


def _officer(conn: psycopg.Connection, unit: str) -> Officer:
    return register_officer(
        f"o-{unit}", f"Trực ban {unit}", unit, "mat-khau-du-dai-123", db_session=conn
    )


def _clock(province: str, commune: str, *, rescheduled: bool = False) -> DossierClock:
    dossier_id = str(uuid.uuid4())
    return DossierClock(
        dossier_id=dossier_id,
        dossier_code=f"{commune}-251110-{uuid.uuid4().int % 10000:04d}",  # unique enough
        unit_code=commune,
        unit_path=("000.00.00.B01", province, commune),
        procedure_code="1.004222",
        due_at=NOW,
        original_due_at=NOW,
        rescheduled=rescheduled,
    )


def _items(officer: Officer, conn: psycopg.Connection) -> list[BoardItem]:
    """The first page of the officer's board, unfiltered."""
    return board_page(officer, BoardRequest(), db_session=conn).items


def _alert(clock: DossierClock, kind: AlertKind, episode: int = 1) -> Alert:
    assert clock.due_at is not None
    return Alert(kind, clock.dossier_id, episode, clock.due_at, rescheduled=clock.rescheduled)


def _figures(conn: psycopg.Connection, province: str) -> tuple[int, int]:
    """(overdue, late without letter) within one province, from the same SQL the metric uses."""
    figures = compliance(db_session=conn, unit_code=province)
    return figures.overdue, figures.late_without_letter


def _letters(conn: psycopg.Connection, clock: DossierClock) -> list[tuple[int, datetime, str]]:
    """The dossier's letters as (episode, original due date, status), oldest episode first."""
    return [
        (int(episode), due, str(status))
        for episode, due, status in conn.execute(
            "SELECT episode, original_due_at, status FROM apology_letters "
            "WHERE dossier_id = %s ORDER BY episode",
            (clock.dossier_id,),
        ).fetchall()
    ]


def _letter_due(clock: DossierClock) -> datetime:
    """The apology deadline the worker would compute; the board only stores it."""
    return clock.original_due_at - timedelta(days=1)


def test_alerts_put_a_dossier_on_its_subtree_board_only_once(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    clock = _clock(province, commune)
    for _ in range(2):
        record_alert(_alert(clock, AlertKind.DUE_SOON), clock, _letter_due(clock), db_session=conn)
        record_alert(_alert(clock, AlertKind.OVERDUE), clock, _letter_due(clock), db_session=conn)
    for watcher in (province, commune):
        [item] = _items(_officer(conn, watcher), conn)
        assert item.dossier_id == clock.dossier_id
        assert item.status == "overdue"
        assert item.needs_letter
    assert _items(_officer(conn, other), conn) == []
    # One draft, of the episode and due date its alerts carry; rows, not a count, so a
    # letter drafted per alert (or for the wrong episode) shows.
    assert _letters(conn, clock) == [(1, clock.due_at, "draft")]
    assert _figures(conn, province) == (1, 1)


def test_a_burst_recorded_at_once_leaves_the_board_as_one_alert_at_a_time_would(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    late, soon, moved = (
        _clock(province, commune),
        _clock(province, commune),
        _clock(province, commune, rescheduled=True),
    )
    batch = [
        AlertToRecord(_alert(late, AlertKind.DUE_SOON), late, _letter_due(late)),
        AlertToRecord(_alert(soon, AlertKind.DUE_SOON), soon, _letter_due(soon)),
        AlertToRecord(_alert(late, AlertKind.OVERDUE), late, _letter_due(late)),
        AlertToRecord(_alert(moved, AlertKind.OVERDUE), moved, _letter_due(moved)),
    ]
    for _ in range(2):  # redelivered: nothing changes
        record_alerts(batch, db_session=conn)
    rows: dict[str, str] = dict(
        conn.execute(
            "SELECT dossier_id::text, status FROM watched_dossiers WHERE dossier_id = ANY(%s)",
            ([late.dossier_id, soon.dossier_id, moved.dossier_id],),
        ).fetchall()
    )
    assert rows == {
        late.dossier_id: "overdue",
        soon.dossier_id: "due_soon",
        moved.dossier_id: "overdue",
    }
    letters = conn.execute(
        "SELECT dossier_id::text, episode, apology_deadline FROM apology_letters "
        "WHERE dossier_id = ANY(%s)",
        ([late.dossier_id, soon.dossier_id, moved.dossier_id],),
    ).fetchall()
    # A letter is drafted at the first alert of a dossier not yet rescheduled, once, for
    # the episode its alerts carry.
    assert sorted(letters) == sorted(
        [(late.dossier_id, 1, _letter_due(late)), (soon.dossier_id, 1, _letter_due(soon))]
    )


def test_acknowledging_is_limited_to_the_subtree(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    clock = _clock(province, commune)
    record_alert(_alert(clock, AlertKind.OVERDUE), clock, _letter_due(clock), db_session=conn)
    assert not acknowledge(_officer(conn, other), clock.dossier_id, db_session=conn)
    assert acknowledge(_officer(conn, commune), clock.dossier_id, db_session=conn)
    [item] = _items(_officer(conn, province), conn)
    assert item.acknowledged_by == f"o-{commune}"


def _staged(conn: psycopg.Connection, dossier_id: str) -> list[dict[str, Any]]:
    """The dossier's events in deadlines' outbox, in the order the relay publishes them."""
    rows = conn.execute(
        "SELECT topic, payload FROM outbox WHERE message_key = %s ORDER BY id", (dossier_id,)
    ).fetchall()
    assert {topic for topic, _ in rows} <= {Topic.APOLOGY_LETTERS.value}
    return [payload for _, payload in rows]


def _issue(
    conn: psycopg.Connection, officer: Officer, dossier_id: str, reason: str, new_due: datetime
) -> int:
    task = letter_task(officer, dossier_id, db_session=conn)
    issued = issue_letter(
        officer,
        task,
        reason=reason,
        new_due_at=new_due,
        issued_at=NOW,
        render=lambda letter: f"PDF {letter.letter_number} v{letter.version}".encode(),
        letter_for=lambda number, version, due: _letter(task.dossier_code, number, version, due),
        db_session=conn,
    )
    assert issued.event["data"]["letter_version"] == issued.version
    assert _staged(conn, dossier_id)[-1] == issued.event, "staged with the version, as issued"
    return issued.version


def _letter(code: str, number: str, version: int, new_due: datetime) -> ApologyLetter:
    return ApologyLetter(
        agency="Công an xã thử nghiệm",
        parent_agency=None,
        place="Hà Nội",
        letter_number=number,
        version=version,
        citizen_name="Trần Văn An",
        citizen_address=None,
        dossier_code=code,
        procedure_name="Đăng ký thường trú",
        received_at=NOW - timedelta(days=10),
        original_due_at=NOW,
        reason="Chờ xác minh",
        new_due_at=new_due,
        issued_at=NOW,
    )


def test_issuing_numbers_the_letter_and_versions_corrections_and_the_board_follows_intake(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    officer = _officer(conn, commune)
    first, second = _clock(province, commune), _clock(province, commune)
    for clock in (first, second):
        record_alert(_alert(clock, AlertKind.OVERDUE), clock, _letter_due(clock), db_session=conn)
    assert _figures(conn, province) == (2, 2)

    new_due = NOW + timedelta(days=3)
    assert _issue(conn, officer, first.dossier_id, "Chờ xác minh", new_due) == 1
    assert _issue(conn, officer, second.dossier_id, "Chờ xác minh", new_due) == 1
    numbers = {
        letter_pdf(officer, clock.dossier_id, None, db_session=conn)[0] for clock in (first, second)
    }
    assert numbers == {"1/PXL", "2/PXL"}
    # Letters out, so none is late without one; the appointment is intake's to move.
    assert _figures(conn, province) == (2, 0)
    for clock in (first, second):  # intake's dossier.rescheduled, as the tracker applies it
        sync_board(replace(clock, due_at=new_due, rescheduled=True, episode=2), db_session=conn)
    assert _figures(conn, province) == (0, 0)
    assert _items(officer, conn) == []

    assert _issue(conn, officer, first.dossier_id, "Chờ xác minh; đính chính", new_due) == 2
    number, version, pdf = letter_pdf(officer, first.dossier_id, None, db_session=conn)
    assert (version, pdf) == (2, f"PDF {number} v2".encode())
    assert (
        letter_pdf(officer, first.dossier_id, 1, db_session=conn)[2] == f"PDF {number} v1".encode()
    )
    with pytest.raises(LetterRuleError):
        _issue(conn, officer, first.dossier_id, "Hẹn lần hai", new_due + timedelta(days=5))

    # Each version's event was staged in the outbox with it, for the relay to publish; the
    # refused correction staged nothing.
    assert [event["data"]["letter_version"] for event in _staged(conn, first.dossier_id)] == [1, 2]


def test_each_episode_keeps_its_own_letter_for_the_list_the_pdf_and_the_form(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    """A dossier late again after its clock restarted has a second letter: the issued
    letters name each one's episode, and the PDF and the form reach the older by it."""
    province, commune, _ = units
    officer = _officer(conn, commune)
    clock = _clock(province, commune)
    record_alert(_alert(clock, AlertKind.OVERDUE), clock, _letter_due(clock), db_session=conn)
    _issue(conn, officer, clock.dossier_id, "Chờ xác minh", NOW + timedelta(days=3))
    restarted = replace(clock, episode=2)
    record_alert(
        _alert(restarted, AlertKind.OVERDUE, episode=2),
        restarted,
        _letter_due(restarted),
        db_session=conn,
    )
    _issue(conn, officer, clock.dossier_id, "Chờ cơ quan khác", NOW + timedelta(days=5))

    month = NOW.astimezone(LOCAL_ZONE).date().replace(day=1)
    letters, _ = issued_letters(officer, LettersRequest(None, month), db_session=conn)
    numbers = {x.episode: x.letter_number for x in letters if x.dossier_id == clock.dossier_id}
    assert set(numbers) == {1, 2}
    assert numbers[1] != numbers[2]
    assert letter_pdf(officer, clock.dossier_id, None, db_session=conn)[0] == numbers[2]
    older = letter_pdf(officer, clock.dossier_id, 1, episode=1, db_session=conn)
    assert older == (numbers[1], 1, f"PDF {numbers[1]} v1".encode())
    task = letter_task(officer, clock.dossier_id, episode=1, db_session=conn)
    assert (task.episode, task.letter_number, task.status) == (1, numbers[1], "issued")
    with pytest.raises(LetterNotFound):
        letter_task(officer, clock.dossier_id, episode=3, db_session=conn)


def test_a_rescheduled_dossier_late_again_is_escalated_without_a_second_letter(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    clock = _clock(province, commune, rescheduled=True)
    record_alert(
        _alert(clock, AlertKind.OVERDUE, episode=2), clock, _letter_due(clock), db_session=conn
    )
    [item] = _items(_officer(conn, commune), conn)
    assert item.rescheduled
    assert not item.needs_letter
    assert _figures(conn, province) == (1, 0)


def test_closing_takes_the_dossier_off_the_board(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    clock = _clock(province, commune)
    record_alert(_alert(clock, AlertKind.DUE_SOON), clock, _letter_due(clock), db_session=conn)
    sync_board(replace(clock, open=False), db_session=conn)  # completed, rejected, withdrawn
    assert _items(_officer(conn, commune), conn) == []
    assert compliance(db_session=conn, unit_code=province).letters_draft == 0


def test_the_board_follows_the_clock_stopped_resumed_and_transferred(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    clock = _clock(province, commune)
    alert = _alert(clock, AlertKind.DUE_SOON)
    record_alert(alert, clock, _letter_due(clock), db_session=conn)
    clock = clock.mark(alert)
    watcher = _officer(conn, commune)

    sync_board(replace(clock, due_at=None), db_session=conn)  # supplement requested
    assert _items(watcher, conn) == []
    sync_board(clock, db_session=conn)  # resumed with the same episode: still due soon
    [item] = _items(watcher, conn)
    assert item.status == "due_soon"

    moved = replace(clock, unit_code=other, unit_path=("000.00.00.B01", province, other))
    sync_board(moved, db_session=conn)
    assert _items(watcher, conn) == []
    [item] = _items(_officer(conn, other), conn)
    assert item.unit_code == other

    restarted = replace(moved, episode=2, due_at=NOW + timedelta(days=7))
    sync_board(restarted, db_session=conn)
    assert _items(_officer(conn, province), conn) == []


def test_letters_issued_after_their_apology_deadline_are_counted_per_unit(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    team = f"{uuid.uuid4().int % 1000:03d}.00.00.T{uuid.uuid4().int % 100:02d}"  # a unit of its own
    officer = _officer(conn, commune)
    late, in_time, unissued = (
        replace(_clock(province, commune), unit_code=team, unit_path=(province, commune, team))
        for _ in range(3)
    )
    record_alert(_alert(late, AlertKind.OVERDUE), late, NOW - timedelta(days=2), db_session=conn)
    record_alert(
        _alert(in_time, AlertKind.DUE_SOON), in_time, NOW + timedelta(days=1), db_session=conn
    )
    record_alert(
        _alert(unissued, AlertKind.OVERDUE), unissued, NOW - timedelta(days=1), db_session=conn
    )
    for clock in (late, in_time):
        _issue(conn, officer, clock.dossier_id, "Chờ xác minh", NOW + timedelta(days=5))
    [figures] = [f for f in compliance_by_unit(db_session=conn) if f.unit_code == team]
    assert figures.letters_issued_late == 1
    assert figures.late_without_letter == 1


def _put(
    conn: psycopg.Connection,
    province: str,
    commune: str,
    *,
    kind: AlertKind = AlertKind.OVERDUE,
    due_at: datetime = NOW,
    code: str | None = None,
    procedure: str = "1.004222",
    rescheduled: bool = False,
) -> DossierClock:
    """A dossier on the board through the worker's own write, with its draft letter (none
    when its appointment was already moved)."""
    clock = replace(
        _clock(province, commune, rescheduled=rescheduled),
        due_at=due_at,
        original_due_at=due_at,
        procedure_code=procedure,
    )
    if code is not None:
        clock = replace(clock, dossier_code=code)
    record_alert(
        _alert(clock, kind, episode=2 if rescheduled else 1),
        clock,
        _letter_due(clock),
        db_session=conn,
    )
    return clock


def _order(item: BoardItem) -> tuple[datetime, str, uuid.UUID]:
    """The board's order, as PostgreSQL sorts it (a uuid compares as its 128 bits)."""
    return item.due_at, item.dossier_code, uuid.UUID(item.dossier_id)


def _all_pages(
    officer: Officer, params: dict[str, str], conn: psycopg.Connection, **kwargs: Any
) -> list[list[BoardItem]]:
    """Every page, each next one asked with the cursor as the browser sends it back."""
    pages: list[list[BoardItem]] = []
    while True:
        page = board_page(officer, parse_board_request(params), db_session=conn, **kwargs)
        pages.append(page.items)
        if page.next_cursor is None:
            return pages
        params = {**params, "cursor": page.next_cursor.encode()}


def test_paging_through_more_than_500_dossiers_shows_each_once_in_the_board_order(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    for n in range(620):  # seven due instants: most rows tie on due_at and are ordered by code
        unit = commune if n % 2 else other
        due = NOW + timedelta(hours=n % 7)
        kind = AlertKind.OVERDUE if n % 3 else AlertKind.DUE_SOON
        _put(conn, province, unit, kind=kind, due_at=due, code=f"{unit}-251110-{n % 300:04d}")
    officer = _officer(conn, province)
    pages = _all_pages(officer, {"limit": "200"}, conn)
    assert [len(page) for page in pages] == [200, 200, 200, 20]
    items = [item for page in pages for item in page]
    assert len({item.dossier_id for item in items}) == 620
    assert items == sorted(items, key=_order)
    first = board_page(officer, BoardRequest(), db_session=conn)
    assert len(first.items) == 50
    assert first.items == items[:50]
    assert first.counts.total == 620
    assert (first.counts.overdue, first.counts.due_soon) == (413, 207)
    # Letters owed: the overdue ones; a due-soon dossier owes one once marked (none here).
    assert first.counts.letters_to_issue == 413


def test_a_cursor_stays_put_when_dossiers_are_added_in_front_of_it(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    for n in range(30):
        _put(conn, province, commune, due_at=NOW + timedelta(minutes=n))
    officer = _officer(conn, commune)
    before = [item for page in _all_pages(officer, {}, conn) for item in page]
    first = board_page(officer, BoardRequest(limit=10), db_session=conn)
    assert first.items == before[:10]
    assert first.next_cursor is not None
    last = first.items[-1]
    for n in range(5):  # more urgent than anything shown: in front of the cursor
        _put(conn, province, commune, due_at=NOW - timedelta(hours=n + 1))
    # Due at the same instant as the last row shown: the code decides the side.
    _put(conn, province, commune, due_at=last.due_at, code=last.dossier_code[:-1])
    behind = _put(conn, province, commune, due_at=last.due_at, code=last.dossier_code + "9")
    later = _put(conn, province, commune, due_at=NOW + timedelta(days=1))
    rest = [
        item
        for page in _all_pages(officer, {"cursor": first.next_cursor.encode()}, conn)
        for item in page
    ]
    assert [item.dossier_id for item in rest] == [
        behind.dossier_id,
        *(item.dossier_id for item in before[10:]),
        later.dossier_id,
    ]


def _ids(items: list[BoardItem]) -> set[str]:
    return {item.dossier_id for item in items}


def test_every_filter_narrows_the_view_and_the_counts_ignore_only_status_and_cursor(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    x, y, z = "1.004222", "1.004223", "2.000001"  # x and y: one field's procedures
    a1 = _put(conn, province, commune, procedure=x)
    a2 = _put(conn, province, commune, kind=AlertKind.DUE_SOON, procedure=y)
    a3 = _put(conn, province, commune, procedure=z)
    a4 = _put(conn, province, commune, procedure=x, rescheduled=True)  # no letter owed
    b1 = _put(conn, province, other, kind=AlertKind.DUE_SOON, procedure=x)
    b2 = _put(conn, province, other, procedure=z)
    closed = _put(conn, province, commune, procedure=x)
    sync_board(replace(closed, open=False), db_session=conn)
    _issue(conn, _officer(conn, commune), a3.dossier_id, "Chờ xác minh", NOW + timedelta(days=3))
    officer = _officer(conn, province)
    # a2 is marked as going to be late: its letter is owed; b1, due soon too, is not marked.
    assert expect_late(officer, a2.dossier_id, True, db_session=conn)

    def view(
        codes: list[str] | None = None, **narrowed: Any
    ) -> tuple[set[str], tuple[int, int, int, int]]:
        page = board_page(
            officer,
            BoardRequest(BoardFilter(**narrowed)),
            db_session=conn,
            procedure_codes=codes,
        )
        exported = list(
            board_export(officer, BoardFilter(**narrowed), db_session=conn, procedure_codes=codes)
        )
        assert exported == page.items  # the CSV is the view, unpaged
        c = page.counts
        return _ids(page.items), (c.due_soon, c.overdue, c.letters_to_issue, c.total)

    a1_, a2_, a3_, a4_, b1_, b2_ = (c.dossier_id for c in (a1, a2, a3, a4, b1, b2))
    everything = (2, 4, 3, 6)
    assert view() == ({a1_, a2_, a3_, a4_, b1_, b2_}, everything)
    assert view(status=BoardStatus.OVERDUE) == ({a1_, a3_, a4_, b2_}, everything)
    assert view(status=BoardStatus.DUE_SOON) == ({a2_, b1_}, everything)
    assert view(unit_code=commune) == ({a1_, a2_, a3_, a4_}, (1, 3, 2, 4))
    assert view(procedure_code=x) == ({a1_, a4_, b1_}, (1, 2, 1, 3))
    assert view([x, y]) == ({a1_, a2_, a4_, b1_}, (2, 2, 2, 4))  # a field of two procedures
    assert view([x, y], procedure_code=x) == ({a1_, a4_, b1_}, (1, 2, 1, 3))
    assert view([x, y], procedure_code=z) == (set(), (0, 0, 0, 0))
    assert view([]) == (set(), (0, 0, 0, 0))  # a field with no procedure
    assert view([x, y], field_code="residence") == view([x, y])
    with pytest.raises(ValueError, match="procedure_codes"):
        view(field_code="residence")  # a field the caller forgot to resolve
    assert view(letter_to_issue=True) == ({a1_, a2_, b2_}, (1, 2, 3, 3))
    assert view(dossier_code=a3.dossier_code) == ({a3_}, (0, 1, 0, 1))
    assert view(unit_code=commune, letter_to_issue=True, status=BoardStatus.OVERDUE) == (
        {a1_},
        (1, 1, 2, 2),
    )
    [issued] = board_page(
        officer, BoardRequest(BoardFilter(dossier_code=a3.dossier_code)), db_session=conn
    ).items
    assert (issued.letter_status, issued.letter_version) == ("issued", 1)
    assert issued.letter_number is not None
    [draft] = board_page(
        officer, BoardRequest(BoardFilter(dossier_code=a1.dossier_code)), db_session=conn
    ).items
    assert (draft.letter_status, draft.letter_version, draft.needs_letter) == ("draft", None, True)
    assert draft.apology_deadline == _letter_due(a1)


def test_a_due_soon_dossier_owes_its_letter_once_marked_going_to_be_late(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    soon = _put(conn, province, commune, kind=AlertKind.DUE_SOON)
    late = _put(conn, province, commune)
    theirs = _put(conn, province, other, kind=AlertKind.DUE_SOON)
    officer = _officer(conn, commune)

    def owed() -> tuple[int, int, set[str]]:
        page = board_page(officer, BoardRequest(), db_session=conn)
        owing = {item.dossier_id for item in page.items if item.needs_letter}
        return page.counts.letters_to_issue, page.counts.total, owing

    assert owed() == (1, 2, {late.dossier_id})  # the tile now differs from the total
    assert expect_late(officer, soon.dossier_id, True, db_session=conn)
    assert owed() == (2, 2, {late.dossier_id, soon.dossier_id})
    [item] = [i for i in _items(officer, conn) if i.dossier_id == soon.dossier_id]
    assert (item.late_expected_by, item.late_expected_name) == (
        officer.username,
        officer.display_name,
    )
    # Only a due-soon dossier with a draft letter, only within the officer's subtree.
    assert not expect_late(officer, late.dossier_id, True, db_session=conn)
    assert not expect_late(officer, theirs.dossier_id, True, db_session=conn)
    assert expect_late(officer, soon.dossier_id, False, db_session=conn)  # undone
    assert owed() == (1, 2, {late.dossier_id})
    log = conn.execute(
        "SELECT expected, officer, episode FROM late_expected_log WHERE dossier_id = %s "
        "ORDER BY id",
        (soon.dossier_id,),
    ).fetchall()
    assert log == [(True, officer.username, 1), (False, officer.username, 1)]
    # The mark holds while the dossier turns overdue, and goes with a new episode.
    assert expect_late(officer, soon.dossier_id, True, db_session=conn)
    record_alert(_alert(soon, AlertKind.OVERDUE), soon, _letter_due(soon), db_session=conn)
    assert _late_mark(conn, soon) == officer.username
    restarted = replace(soon, episode=2, due_at=NOW + timedelta(days=2))
    sync_board(restarted, db_session=conn)
    assert _late_mark(conn, soon) is None


def _late_mark(conn: psycopg.Connection, clock: DossierClock) -> str | None:
    row = conn.execute(
        "SELECT late_expected_by FROM watched_dossiers WHERE dossier_id = %s", (clock.dossier_id,)
    ).fetchone()
    assert row is not None
    return row[0]


def test_the_dossier_code_search_takes_a_whole_code_or_its_beginning(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    first = _put(conn, province, commune, code=f"{commune}-251110-0001")
    second = _put(conn, province, commune, code=f"{commune}-251110-0002")
    third = _put(conn, province, commune, code=f"{commune}-251111-0001")
    officer = _officer(conn, province)

    def found(code: str) -> set[str]:
        request = BoardRequest(BoardFilter(dossier_code=code))
        return _ids(board_page(officer, request, db_session=conn).items)

    assert found(first.dossier_code) == {first.dossier_id}
    assert found(f"{commune}-251110") == {first.dossier_id, second.dossier_id}
    assert found(commune) == {first.dossier_id, second.dossier_id, third.dossier_id}
    assert found(f"{commune}-2511_0") == set()  # LIKE's wildcards match only themselves
    assert found(f"{commune}%") == set()


def test_page_starts_number_the_pages_of_the_view(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    for n in range(25):
        _put(conn, province, commune, due_at=NOW + timedelta(minutes=n))
    officer = _officer(conn, commune)
    pages = _all_pages(officer, {"limit": "10"}, conn)
    first = board_page(officer, parse_board_request({"limit": "10"}), db_session=conn)
    # Pages 2 and 3 start after the last row of pages 1 and 2; no start for an empty page 4.
    assert (first.page_number, first.page_count) == (1, 3)
    assert {n: s.dossier_id for n, s in first.page_starts.items()} == {
        2: pages[0][-1].dossier_id,
        3: pages[1][-1].dossier_id,
    }
    # Five pages of five: from the first, pages 2 and 3 are linked; the last is numbered.
    fives = _all_pages(officer, {"limit": "5"}, conn)
    exact = board_page(officer, parse_board_request({"limit": "5"}), db_session=conn)
    assert (exact.page_number, exact.page_count) == (1, 5)
    assert {n: s.dossier_id for n, s in exact.page_starts.items()} == {
        2: fives[0][-1].dossier_id,
        3: fives[1][-1].dossier_id,
    }
    # Page 3 by its link holds the third page's rows and knows it is the third.
    third = board_page(
        officer,
        parse_board_request({"limit": "5", "cursor": exact.page_starts[3].encode()}),
        db_session=conn,
    )
    assert [item.dossier_id for item in third.items] == [i.dossier_id for i in fives[2]]
    assert third.page_number == 3
    # From page 4, walking back and forth from its cursor: 2, 3 and 5.
    fourth = board_page(
        officer,
        parse_board_request({"limit": "5", "cursor": _as_cursor(fives[2][-1]).encode()}),
        db_session=conn,
    )
    assert (fourth.page_number, fourth.page_count) == (4, 5)
    assert {n: s.dossier_id for n, s in fourth.page_starts.items()} == {
        2: fives[0][-1].dossier_id,
        3: fives[1][-1].dossier_id,
        5: fives[3][-1].dossier_id,
    }


def _as_cursor(item: BoardItem) -> Cursor:
    return Cursor(item.due_at, item.dossier_code, item.dossier_id)


def test_no_unit_filter_reaches_outside_the_officers_subtree(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, other = units
    mine = _put(conn, province, commune)
    theirs = _put(conn, province, other)
    elsewhere = _officer(conn, f"{uuid.uuid4().hex[:3].upper()}.00.00.T09")  # another province
    neighbour = _officer(conn, other)
    for unit in (commune, province, None):
        narrowed = BoardFilter(unit_code=unit)
        page = board_page(elsewhere, BoardRequest(narrowed), db_session=conn)
        assert page.items == []
        assert page.counts == StatusCounts(0, 0, 0, 0)
        assert list(board_export(elsewhere, narrowed, db_session=conn)) == []
    commune_only = BoardRequest(BoardFilter(unit_code=commune))
    assert board_page(neighbour, commune_only, db_session=conn).items == []
    # An ancestor of the officer's unit narrows nothing: the officer's subtree still bounds it.
    above = board_page(neighbour, BoardRequest(BoardFilter(unit_code=province)), db_session=conn)
    assert _ids(above.items) == {theirs.dossier_id}
    assert _ids(board_page(_officer(conn, province), commune_only, db_session=conn).items) == {
        mine.dossier_id
    }


def test_a_unit_filter_finds_the_dossiers_of_the_retired_units_it_carries_on(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    # ``commune`` succeeded ``other`` (a merger): its filter brings ``other``'s open dossiers,
    # still under the unit that received them, with its own; the counts and the CSV agree.
    province, commune, other = units
    mine = _put(conn, province, commune)
    merged = _put(conn, province, other, kind=AlertKind.DUE_SOON)
    officer = _officer(conn, province)
    alone = BoardFilter(unit_code=commune)
    with_merged = replace(alone, carried_units=(other,))
    assert _ids(board_page(officer, BoardRequest(alone), db_session=conn).items) == {
        mine.dossier_id
    }
    page = board_page(officer, BoardRequest(with_merged), db_session=conn)
    assert _ids(page.items) == {mine.dossier_id, merged.dossier_id}
    assert page.counts == StatusCounts(1, 1, 1, 2)
    exported = list(board_export(officer, with_merged, db_session=conn))
    assert {row.dossier_id for row in exported} == {mine.dossier_id, merged.dossier_id}
    # The officer's subtree still bounds it: an officer of the successor who carries on
    # nothing (as before the merger was known) sees its own only.
    assert _ids(
        board_page(_officer(conn, commune), BoardRequest(with_merged), db_session=conn).items
    ) == {mine.dossier_id}


def test_a_successors_officer_handles_the_retired_units_open_dossiers_and_no_one_else_does(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    # ``commune`` carries on ``other`` (retired by a merger): the dossiers ``other`` received
    # keep its path, and are the successor's officers' to see, acknowledge and write to.
    province, commune, other = units
    mine = _put(conn, province, commune)
    merged = _put(conn, province, other)
    successor = replace(_officer(conn, commune), carries_on=(other,))
    assert successor.sees(merged.unit_path)
    page = board_page(successor, BoardRequest(), db_session=conn)
    assert _ids(page.items) == {mine.dossier_id, merged.dossier_id}
    assert page.counts.overdue == 2
    assert {r.dossier_id for r in board_export(successor, BoardFilter(), db_session=conn)} == {
        mine.dossier_id,
        merged.dossier_id,
    }
    assert acknowledge(successor, merged.dossier_id, db_session=conn)
    assert letter_task(successor, merged.dossier_id, db_session=conn).dossier_id == (
        merged.dossier_id
    )
    _issue(conn, successor, merged.dossier_id, "Chờ xác minh", NOW + timedelta(days=7))
    assert letter_pdf(successor, merged.dossier_id, None, db_session=conn)[1] == 1
    month = NOW.astimezone(LOCAL_ZONE).date().replace(day=1)
    found, _ = issued_letters(successor, LettersRequest(None, month), db_session=conn)
    assert [letter.dossier_id for letter in found] == [merged.dossier_id]
    # Asking for the successor by name finds the letter too, once it says what it carries.
    asked = LettersRequest(commune, month, carried_units=(other,))
    assert [x.dossier_id for x in issued_letters(successor, asked, db_session=conn)[0]] == [
        merged.dossier_id
    ]
    # A unit beside them carries on nothing of ``other``'s: none of it is theirs.
    stranger = _officer(conn, f"{province[:3]}.{province[4:6]}.03.T01")
    assert not stranger.sees(merged.unit_path)
    assert board_page(stranger, BoardRequest(), db_session=conn).items == []
    assert not acknowledge(stranger, merged.dossier_id, db_session=conn)
    with pytest.raises(LetterNotFound):
        letter_task(stranger, merged.dossier_id, db_session=conn)
    with pytest.raises(LetterNotFound):
        letter_pdf(stranger, merged.dossier_id, None, db_session=conn)
    assert issued_letters(stranger, LettersRequest(None, month), db_session=conn)[0] == []


def test_the_export_streams_the_whole_view_in_the_board_order(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    for n in range(45):
        kind = AlertKind.OVERDUE if n % 4 else AlertKind.DUE_SOON
        _put(conn, province, commune, kind=kind, due_at=NOW + timedelta(hours=n % 5))
    officer = _officer(conn, commune)
    paged = [item for page in _all_pages(officer, {"limit": "10"}, conn) for item in page]
    everything = BoardFilter()
    assert list(board_export(officer, everything, db_session=conn, batch_size=7)) == paged
    overdue = BoardFilter(status=BoardStatus.OVERDUE)
    exported = list(board_export(officer, overdue, db_session=conn, batch_size=7))
    assert exported == [item for item in paged if item.status == "overdue"]
    assert len(exported) == 33


def test_the_letter_to_issue_follows_the_current_episode(
    conn: psycopg.Connection, units: tuple[str, str, str]
) -> None:
    province, commune, _ = units
    officer = _officer(conn, commune)
    clock = _put(conn, province, commune)

    def letters() -> tuple[int, list[str | None]]:
        page = board_page(officer, BoardRequest(), db_session=conn)
        return page.counts.letters_to_issue, [item.letter_status for item in page.items]

    assert letters() == (1, ["draft"])
    _issue(conn, officer, clock.dossier_id, "Chờ xác minh", NOW + timedelta(days=3))
    assert letters() == (0, ["issued"])
    # The clock restarted from zero (a supplement): a new episode owes a new letter.
    restarted = replace(clock, episode=2, due_at=NOW + timedelta(days=2))
    sync_board(restarted, db_session=conn)
    record_alert(
        _alert(restarted, AlertKind.OVERDUE, episode=2),
        restarted,
        _letter_due(restarted),
        db_session=conn,
    )
    assert letters() == (1, ["draft"])
    assert _letters(conn, clock) == [(1, clock.due_at, "issued"), (2, restarted.due_at, "draft")]
    _issue(conn, officer, clock.dossier_id, "Chờ bổ sung", NOW + timedelta(days=6))
    assert letters() == (0, ["issued"])
    assert [(episode, status) for episode, _, status in _letters(conn, clock)] == [
        (1, "issued"),
        (2, "issued"),
    ]
