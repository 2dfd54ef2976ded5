"""The board's HTML: what an officer reads, the links that keep the filter, and that
nothing from the data runs as markup."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

from motcua.reference import Names, NoReference, ProcedureRef, ReferenceData, UnitRef
from motcua.web import Layout, SignedIn
from services.deadlines.board.delivery import LetterDelivery
from services.deadlines.board.pages import board_page, board_rows, board_view, letter_page
from services.deadlines.board.query import (
    BoardQueryError,
    Cursor,
    parse_board_request,
)
from services.deadlines.board.service import BoardItem, BoardPage, StatusCounts
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
) -> str:
    names = Names(reference or Reference())
    request = parse_board_request(params)
    page = BoardPage(items, StatusCounts(1, 2, 1, 3), next_cursor)
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
    html = _rows([_item()])
    assert "Còn 5 giờ 30 phút" in html
    assert "Sắp đến hạn" in html
    assert "Lập phiếu xin lỗi" in html
    assert "Đăng ký thường trú" in html
    assert "Công an phường Ba Đình" in html
    assert re.search(r"Đã xem<span", html)


def test_codes_stand_in_for_names_the_reference_data_lacks() -> None:
    html = _rows([_item()], NoReference())
    assert "<td>1.004222</td>" in html
    assert f"<td>{COMMUNE}</td>" in html


def test_a_draft_letter_shows_the_time_left_to_issue_it() -> None:
    html = _rows([_item(apology_deadline=NOW + timedelta(hours=2))])
    assert "Hạn gửi 12:00 18/11/2025" in html  # 05:00 UTC is noon in Hà Nội
    assert "Còn 2 giờ 0 phút" in html
    late = _rows([_item(apology_deadline=NOW - timedelta(minutes=45))])
    assert "Quá hạn 0 giờ 45 phút" in late


def test_an_overdue_rescheduled_dossier_is_escalated_without_a_second_letter() -> None:
    item = _item(
        status="overdue",
        rescheduled=True,
        due_at=NOW - timedelta(days=2, hours=3),
        letter_status=None,
        acknowledged_by="truc.hanoi",
    )
    html = _rows([item])
    assert "Quá hạn 2 ngày 3 giờ" in html
    assert "báo cáo lãnh đạo" in html
    assert "Lập phiếu xin lỗi" not in html
    assert "Đã xem: truc.hanoi" in html


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


def test_the_letter_form_names_the_procedure_and_marks_the_field_in_error() -> None:
    task = LetterTask(
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
    html = letter_page(
        LAYOUT,
        task,
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
