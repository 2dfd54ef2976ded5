"""The board's HTML: what an officer reads, the links that keep the filter, and that
nothing from the data runs as markup."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from motcua.reference import (
    Names,
    NoReference,
    ProcedureRef,
    ReferenceData,
    UnitRef,
    carried_over,
)
from motcua.web import Layout, SignedIn
from services.deadlines.board.delivery import LetterDelivery
from services.deadlines.board.issued import IssuedLetter, parse_letters_request
from services.deadlines.board.pages import (
    LetterFormState,
    LettersView,
    Pager,
    board_page,
    board_rows,
    board_view,
    letter_page,
    letters_page,
    login_destination,
    login_page,
    pager,
)
from services.deadlines.board.query import (
    BoardQueryError,
    Cursor,
    parse_board_request,
)
from services.deadlines.board.service import BoardItem, BoardPage, StatusCounts
from services.deadlines.board.units import unit_choice
from services.deadlines.board.views.export import HEADERS, csv_row
from services.deadlines.letters.service import LetterTask

NOW = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)
PROVINCE, COMMUNE = "000.00.00.H01", "000.00.01.H01"
LAYOUT = Layout(user=SignedIn("Trực ban <Hà Nội>", "Công an <Hà Nội>", "/board/logout"))


class Reference:
    """A catalogue of one procedure and a province with one commune."""

    def __init__(self, procedure_name: str = "Đăng ký thường trú") -> None:
        self._procedures = [ProcedureRef("1.004222", procedure_name, "residence")]
        self._units = [
            UnitRef(PROVINCE, "Công an thành phố Hà Nội", ("000.00.00.B01", PROVINCE)),
            UnitRef(COMMUNE, "Công an phường Ba Đình", ("000.00.00.B01", PROVINCE, COMMUNE)),
        ]

    def procedure(self, code: str) -> ProcedureRef | None:
        return next((p for p in self._procedures if p.code == code), None)

    def procedures(self) -> list[ProcedureRef]:
        return list(self._procedures)

    def unit(self, code: str) -> UnitRef | None:
        return next((u for u in self._units if u.code == code), None)

    def units_within(self, unit_code: str) -> list[UnitRef]:
        return [u for u in self._units if unit_code in u.path]

    def carried_over(self, unit_code: str) -> tuple[str, ...]:
        return carried_over(self._units, unit_code)


def _item(**overrides: object) -> BoardItem:
    values: dict[str, object] = {
        "dossier_id": "7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
        "dossier_code": "000.00.01.H01-251110-0042",
        "unit_code": COMMUNE,
        "procedure_code": "1.004222",
        "episode": 1,
        "due_at": NOW + timedelta(hours=5, minutes=30),
        "status": "due_soon",
        "rescheduled": False,
        "acknowledged_by": None,
        "letter_status": "draft",
        "letter_number": None,
        "letter_version": None,
        "apology_deadline": None,
    }
    values.update(overrides)
    return BoardItem(**values)  # type: ignore[arg-type]


def _rows(items: list[BoardItem], reference: ReferenceData | None = None) -> str:
    return board_rows(items, NOW, Names(reference or Reference()))


def _board(
    params: Mapping[str, str],
    items: list[BoardItem],
    *,
    next_cursor: Cursor | None = None,
    reference: ReferenceData | None = None,
    page: BoardPage | None = None,
) -> str:
    names = Names(reference or Reference())
    request = parse_board_request(params)
    page = page or BoardPage(items, StatusCounts(1, 2, 1, 3), next_cursor)
    view = board_view(
        layout=LAYOUT,
        officer_unit=PROVINCE,
        request=request,
        page=page,
        raw=params,
        error=None,
        units=names.reference.units_within(PROVINCE),
        procedures=names.reference.procedures(),
        names=names,
        now=NOW,
    )
    return board_page(view)


def _href(html: str, element_id: str) -> dict[str, list[str]]:
    found = re.search(rf'id="{element_id}" href="([^"]+)"', html)
    assert found, f"no #{element_id}"
    return parse_qs(urlsplit(unescape(found.group(1))).query)


def test_a_due_soon_dossier_shows_time_left_names_and_the_letter_task() -> None:
    # Marked as going to be late: its letter is owed now (Nghị định 61/2018 Điều 19 khoản 9).
    html = _rows([_item(late_expected_by="truc.hanoi", late_expected_name="Trực ban Hà Nội")])
    assert "Còn 5 giờ 30 phút" in html
    assert "Sắp đến hạn" in html
    assert "Lập phiếu xin lỗi" in html
    assert "Đăng ký thường trú" in html
    assert "Công an phường Ba Đình" in html
    assert re.search(r"Xác nhận đã nhận biết<span", html)
    assert "Sẽ trễ hạn — đánh dấu bởi Trực ban Hà Nội" in html
    assert re.search(r'name="expected" value="no">\s*<button type="submit">Bỏ đánh dấu', html)


def test_an_unmarked_due_soon_dossier_offers_the_going_to_be_late_mark_not_the_letter() -> None:
    html = board_rows(
        [_item(apology_deadline=NOW + timedelta(hours=2))], NOW, Names(Reference()), "?unit=X"
    )
    assert "Lập phiếu xin lỗi" not in html
    assert "Hạn gửi" not in html
    form = re.search(
        r'<form class="inline" method="post" action="([^"]+)">(.*?)</form>', html, re.S
    )
    assert form
    assert form.group(1) == "/board/dossiers/7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c/late"
    assert '<input type="hidden" name="expected" value="yes">' in form.group(2)
    assert '<input type="hidden" name="back" value="?unit=X">' in form.group(2)
    assert ">Sẽ trễ hạn<span" in form.group(2)
    # Overdue, the letter is owed without any mark; a leader sees no mark button.
    overdue = _rows([_item(status="overdue", due_at=NOW - timedelta(hours=1))])
    assert "Lập phiếu xin lỗi" in overdue
    assert "/late" not in overdue
    leader = board_rows([_item()], NOW, Names(Reference()), can_act=False)
    assert "/late" not in leader
    assert "Chưa ai nhận biết" in leader


def test_codes_stand_in_for_names_the_reference_data_lacks() -> None:
    html = _rows([_item()], NoReference())
    assert '<td data-label="Thủ tục">1.004222</td>' in html
    assert f'<td data-label="Đơn vị">{COMMUNE}</td>' in html


def test_a_draft_letter_shows_the_time_left_to_issue_it() -> None:
    marked = {"late_expected_by": "truc.hanoi"}
    html = _rows([_item(apology_deadline=NOW + timedelta(hours=2), **marked)])
    assert "Hạn gửi 12:00 18/11/2025" in html  # 05:00 UTC is noon in Hà Nội
    assert "Còn 2 giờ 0 phút" in html
    late = _rows([_item(apology_deadline=NOW - timedelta(minutes=45), **marked)])
    assert "Quá hạn 0 giờ 45 phút" in late


def test_an_overdue_rescheduled_dossier_is_escalated_without_a_second_letter() -> None:
    item = _item(
        status="overdue",
        rescheduled=True,
        due_at=NOW - timedelta(days=2, hours=3),
        letter_status=None,
        acknowledged_by="truc.hanoi",
        acknowledged_name="Trực ban Hà Nội",
    )
    html = _rows([item])
    assert "Quá hạn 2 ngày 3 giờ" in html
    assert "báo cáo lãnh đạo" in html
    assert "Lập phiếu xin lỗi" not in html
    assert "Đã nhận biết bởi Trực ban Hà Nội" in html
    assert "truc.hanoi" not in html


def test_an_issued_letter_links_its_pdf() -> None:
    item = _item(letter_status="issued", letter_number="12/PXL", letter_version=2)
    html = _rows([item])
    assert f'href="/board/dossiers/{item.dossier_id}/letter.pdf"' in html
    assert "Phiếu 12/PXL</a> (bản 2)" in html


def test_values_are_escaped_a_script_procedure_name_included() -> None:
    reference = Reference(procedure_name="<script>alert('thủ tục')</script>")
    html = _board({}, [_item(dossier_code="<script>alert(1)</script>")], reference=reference)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;thủ tục&#39;)&lt;/script&gt;" in html
    assert "Trực ban &lt;Hà Nội&gt;" in html
    assert "Công an &lt;Hà Nội&gt;" in html


def test_an_empty_board_says_so() -> None:
    assert "Không có hồ sơ" in _rows([])


def test_the_filter_form_shows_the_subtree_the_catalogue_and_the_chosen_values() -> None:
    html = _board({"unit": COMMUNE, "status": "overdue", "letter": "to_issue"}, [_item()])
    assert f'<option value="{COMMUNE}" selected>— Công an phường Ba Đình</option>' in html
    assert '<option value="overdue" selected>Quá hạn</option>' in html
    assert '<optgroup label="Cư trú">' in html
    assert 'id="filter-letter" name="letter" value="to_issue" checked' in html
    for control in ("filter-unit", "filter-status", "filter-procedure", "filter-field"):
        assert f'<label for="{control}">' in html
    assert ">Lọc</button>" in html


def test_counts_link_to_their_filter_keeping_the_others() -> None:
    html = _board({"unit": COMMUNE, "status": "due_soon"}, [_item()])
    assert _href(html, "count-overdue") == {"unit": [COMMUNE], "status": ["overdue"]}
    assert _href(html, "count-letters_to_issue") == {"unit": [COMMUNE], "letter": ["to_issue"]}
    assert _href(html, "count-total") == {"unit": [COMMUNE]}
    assert 'id="count-due_soon" href="/board?unit=' in html
    assert re.search(r'id="count-due_soon"[^>]*aria-current="true"', html)
    drafts = _board({"letter": "to_issue", "status": "overdue"}, [_item()])
    assert _href(drafts, "count-due_soon") == {"status": ["due_soon"], "letter": ["to_issue"]}
    assert _href(drafts, "count-total") == {"letter": ["to_issue"]}
    assert re.search(r'id="count-overdue"[^>]*aria-current="true"', drafts)
    assert not re.search(r'id="count-letters_to_issue"[^>]*aria-current', drafts)


def test_the_next_page_and_the_csv_keep_the_filter() -> None:
    params = {"field": "residence", "status": "overdue", "limit": "20"}
    cursor = Cursor(NOW, "000.00.01.H01-251110-0042", "7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c")
    html = _board(params, [_item()], next_cursor=cursor)
    assert _href(html, "next-page") == {
        "field": ["residence"],
        "status": ["overdue"],
        "limit": ["20"],
        "cursor": [cursor.encode()],
    }
    assert _href(html, "export") == {"field": ["residence"], "status": ["overdue"]}
    assert 'id="first-page"' not in html
    second = _board({**params, "cursor": cursor.encode()}, [_item()])
    assert _href(second, "first-page") == {
        "field": ["residence"],
        "status": ["overdue"],
        "limit": ["20"],
    }
    assert 'id="next-page"' not in second


def test_a_refused_filter_is_shown_next_to_its_field() -> None:
    names = Names(Reference())
    view = board_view(
        layout=LAYOUT,
        officer_unit=PROVINCE,
        request=None,
        page=None,
        raw={"status": "<lost>"},
        error=BoardQueryError("status", "one of due_soon, overdue"),
        units=names.reference.units_within(PROVINCE),
        procedures=names.reference.procedures(),
        names=names,
        now=NOW,
    )
    html = board_page(view)
    assert 'id="error-status"' in html
    assert re.search(r'<select id="filter-status" name="status" aria-invalid="true"', html)
    assert "Chọn một trạng thái trong danh sách." in html
    assert "<lost>" not in html


def _task() -> LetterTask:
    return LetterTask(
        letter_id=1,
        dossier_id="7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
        dossier_code="000.00.01.H01-251110-0042",
        unit_code=COMMUNE,
        unit_path=(PROVINCE, COMMUNE),
        procedure_code="1.004222",
        episode=1,
        status="draft",
        letter_number=None,
        original_due_at=NOW,
        new_due_at=None,
        last_version=0,
        last_reason=None,
    )


def test_the_letter_form_names_the_procedure_and_marks_the_field_in_error() -> None:
    html = letter_page(
        LAYOUT,
        _task(),
        Names(Reference()),
        suggested_days=5,
        error="reason: the reason for the delay is required",
        error_field="reason",
    )
    assert "thủ tục Đăng ký thường trú" in html
    assert 'aria-invalid="true" aria-describedby="error-reason"' in html
    assert 'value="5"' in html


def test_the_undelivered_count_links_to_its_rows_and_the_form_keeps_it() -> None:
    html = _board({"unit": COMMUNE, "letter": "undelivered"}, [_item()])
    assert _href(html, "count-letters_undelivered") == {
        "unit": [COMMUNE],
        "letter": ["undelivered"],
    }
    assert re.search(r'id="count-letters_undelivered"[^>]*aria-current="true"', html)
    assert _href(html, "count-letters_to_issue") == {"unit": [COMMUNE], "letter": ["to_issue"]}
    assert 'value="to_issue" checked' not in html
    assert '<input type="hidden" name="letter" value="undelivered">' in html


def test_a_row_says_where_its_letter_stands_and_flags_it_in_words() -> None:
    delivery = LetterDelivery(
        letter_number="7/PXL",
        apology_deadline=NOW - timedelta(hours=1),
        reached_at=None,
        channel="zalo",
        state="queued",
        failed_channel="sms",
        failed_reason="số không tồn tại",
    )
    html = _rows(
        [_item(letter_status="issued", letter_number="7/PXL", delivery=delivery)],
    )
    assert "Gửi không thành công (SMS): số không tồn tại — chuyển Zalo" in html
    assert "Chờ gửi (Zalo)" in html
    assert '<strong class="delivery-flag">Chưa đến công dân — đã quá hạn gửi phiếu' in html
    # A rescheduled dossier's row has no letter of its own episode: its last letter shows.
    moved = _rows([_item(status="rescheduled", letter_status=None, delivery=delivery)])
    assert ">Phiếu 7/PXL</a>" in moved
    assert "Chờ gửi (Zalo)" in moved


def _cursor(n: int) -> Cursor:
    return Cursor(
        NOW + timedelta(minutes=n), f"000.00.01.H01-251110-{n:04d}", str(uuid.UUID(int=n))
    )


def _pager(cursor: Cursor | None, starts: int, *, next_page: bool, cursor_row: int = 0) -> Pager:
    params = {"status": "overdue", "limit": "10"}
    if cursor:
        params["cursor"] = cursor.encode()
    # As the service numbers them: page n starts after the 10·(n − 1)th row.
    page = BoardPage(
        [_item()],
        StatusCounts(1, 2, 1, 3),
        _cursor(99) if next_page else None,
        page_number=cursor_row // 10 + 1 if cursor else 1,
        page_count=starts + 1,
        page_starts={n: _cursor(10 * (n - 1)) for n in range(2, starts + 2)},
    )
    return pager(parse_board_request(params), page)


def _query(url: str | None) -> dict[str, list[str]]:
    assert url
    return parse_qs(urlsplit(url).query)


def test_the_pager_numbers_the_pages_and_goes_back_one() -> None:
    first = _pager(None, 9, next_page=True)  # ten pages
    assert first.previous_url is None
    assert first.first_url is None
    assert [(link.number, link.current, bool(link.href)) for link in first.links] == [
        (1, True, True),
        (2, False, True),
        (3, False, True),
        (9, False, False),  # the gap
        (10, False, True),
    ]
    assert _query(first.links[-1].href)["cursor"] == [_cursor(90).encode()]

    fifth = _pager(
        _cursor(40), 9, next_page=True, cursor_row=40
    )  # page 5 starts after the 40th row
    assert [link.number for link in fifth.links if link.current] == [5]
    assert _query(fifth.previous_url) == {
        "status": ["overdue"],
        "limit": ["10"],
        "cursor": [_cursor(30).encode()],
    }
    assert _query(fifth.first_url) == {"status": ["overdue"], "limit": ["10"]}
    assert [n.number for n in fifth.links if n.href and not n.current] == [1, 3, 4, 6, 7, 10]

    second = _pager(_cursor(10), 9, next_page=True, cursor_row=10)
    assert _query(second.previous_url) == {"status": ["overdue"], "limit": ["10"]}
    assert _pager(None, 0, next_page=False).links == []


def test_the_board_page_shows_the_pager_the_search_and_what_the_counts_are() -> None:
    html = _board({"dossier_code": "000.00.01.H01-2511"}, [_item()], next_cursor=_cursor(1))
    assert (
        'id="filter-dossier_code" name="dossier_code" type="search" value="000.00.01.H01-2511"'
        in html
    )
    assert 'name="dossier_code" value=' not in html.replace('type="search" value=', "")
    assert "</span> Đang theo dõi (sắp đến hạn + quá hạn)</a>" in html
    assert "không phải số hồ sơ “đang giải quyết” của trang Báo cáo" in html
    assert 'id="next-page"' in html
    assert 'aria-live="polite"' in html
    assert 'href="/board/letters"' in html
    assert "table-scroll" not in html


def test_the_sign_in_page_says_where_the_person_is_going() -> None:
    ratings, reporting = "http://ratings.local:8003", "http://reports.local:8004/"
    where = {
        next_page: login_destination(next_page, ratings_url=ratings, reporting_url=reporting)
        for next_page in (f"{ratings}/staff/kiosk", "http://reports.local:8004/reports", "/board")
    }
    assert list(where.values()) == [
        "Đăng nhập để vào trang Đánh giá sự hài lòng.",
        "Đăng nhập để vào trang Báo cáo.",
        "Đăng nhập để vào Bảng theo dõi hạn giải quyết hồ sơ.",
    ]
    html = login_page(next_page=f"{ratings}/staff", destination=where[f"{ratings}/staff/kiosk"])
    assert "<title>Đăng nhập Motcua — cán bộ · Motcua</title>" in html
    assert "Đăng nhập cán bộ trực" not in html
    assert "Đăng nhập để vào trang Đánh giá sự hài lòng." in html


def test_the_letter_form_names_the_applicant_previews_the_date_and_keeps_the_way_back() -> None:
    state = LetterFormState(
        applicant="Nguyễn Văn <An>",
        preview_due_at=datetime(2025, 11, 25, 10, 0, tzinfo=UTC),
        days="4",
        back="?status=overdue&unit=000.00.01.H01",
    )
    html = letter_page(LAYOUT, _task(), Names(Reference()), suggested_days=5, state=state)
    assert "Người nộp hồ sơ: <b>Nguyễn Văn &lt;An&gt;</b>" in html
    assert "gia hạn 4 ngày làm việc, ngày hẹn mới là <b>17:00 25/11/2025</b>" in html
    assert 'value="4"' in html
    assert 'href="/board?status=overdue&amp;unit=000.00.01.H01"' in html
    assert (
        '<input type="hidden" name="back" value="?status=overdue&amp;unit=000.00.01.H01">' in html
    )
    assert 'name="action" value="preview" formnovalidate>' in html
    unknown = letter_page(LAYOUT, _task(), Names(Reference()), suggested_days=5)
    assert "chưa lấy được tên từ hệ thống tiếp nhận" in unknown
    assert 'id="back-to-board" href="/board"' in unknown


def test_the_letters_list_names_each_letter_and_links_reprint_and_correction() -> None:
    letter = IssuedLetter(
        dossier_id="7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
        dossier_code="000.00.01.H01-251110-0042",
        procedure_code="1.004222",
        unit_code=COMMUNE,
        episode=1,
        letter_number="12/PXL",
        issued_at=NOW,
        issued_by="Trực ban Hà Nội",
        version=2,
        delivery=LetterDelivery("12/PXL", NOW + timedelta(hours=1), None),
    )
    names = Names(Reference())
    request = parse_letters_request({"month": "2025-11"}, NOW.date())
    view = LettersView(
        LAYOUT, unit_choice([], COMMUNE, None, names), request, [letter], False, None, NOW
    )
    html = letters_page(view, names, {}, can_act=True)
    assert "Tháng 11/2025: 1 phiếu" in html
    assert "12/PXL" in html
    assert "(bản 2)" in html
    assert '<td data-label="Thủ tục">Đăng ký thường trú</td>' in html
    assert "1.004222" not in html
    assert "10:00 18/11/2025" in html
    assert "Trực ban Hà Nội" in html
    assert "Chưa gửi đến công dân" in html
    link = "/board/dossiers/7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c/letter"
    assert f'href="{link}.pdf?episode=1&amp;version=2"' in html  # this row's own letter
    assert f'class="correct" href="{link}?episode=1"' in html
    assert '<option value="2025-11" selected>Tháng 11/2025</option>' in html
    leader = letters_page(view, names, {}, can_act=False)
    assert 'class="correct"' not in leader


def test_a_month_must_be_one_the_picker_writes() -> None:
    today = NOW.date()
    assert parse_letters_request({}, today).month_text == "2025-11"
    asked = parse_letters_request({"month": "2025-12", "unit": COMMUNE}, today)
    assert asked.unit_code == COMMUNE
    start, end = asked.bounds
    assert (start.isoformat(), end.isoformat()) == (
        "2025-12-01T00:00:00+07:00",
        "2026-01-01T00:00:00+07:00",
    )
    for bad in ("11/2026", "2025-13", "2025-1", "x"):
        with pytest.raises(BoardQueryError) as refused:
            parse_letters_request({"month": bad}, today)
        assert refused.value.field == "month"


def test_a_due_soon_draft_not_marked_late_reads_not_yet_owed_on_the_board_and_in_the_csv() -> None:
    names = Names(Reference())
    column = HEADERS.index("Phiếu xin lỗi")
    unmarked = _item()
    marked = _item(late_expected_by="truc.hanoi", late_expected_name="Trực ban Hà Nội")
    overdue = _item(status="overdue")
    assert csv_row(unmarked, names, NOW)[column] == "Chưa cần (chưa quá hạn)"
    assert csv_row(marked, names, NOW)[column] == "Chưa ban hành"
    assert csv_row(overdue, names, NOW)[column] == "Chưa ban hành"
    viewer = board_rows([unmarked], NOW, names, can_act=False)
    assert '<span class="muted not-yet-owed">Chưa cần (chưa quá hạn)</span>' in viewer
    assert "Chưa cần" not in board_rows([marked, overdue], NOW, names, can_act=False)


def test_the_last_page_without_its_cursor_is_numbered_not_dotted() -> None:
    # A view of twelve pages seen from the first: pages 2 and 3 are linked, the last is
    # named by its number (its cursor is not looked for), and the gap before it is "…".
    page = BoardPage(
        [_item()],
        StatusCounts(1, 2, 1, 3),
        _cursor(10),
        page_count=12,
        page_starts={2: _cursor(10), 3: _cursor(20)},
    )
    shown = pager(parse_board_request({"limit": "10"}), page)
    assert [(link.number, bool(link.href)) for link in shown.links] == [
        (1, True),
        (2, True),
        (3, True),
        (11, False),
        (12, False),
    ]
    html = _board({"limit": "10"}, [_item()], next_cursor=_cursor(10), page=page)
    assert '<span class="page-last">Trang 12</span>' in html
