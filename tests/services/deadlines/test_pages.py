"""The board's HTML: what an officer reads, and that nothing from the data runs as markup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.deadlines.board.pages import board_page, board_rows
from services.deadlines.board.service import BoardItem
from services.deadlines.officers import Officer

NOW = datetime(2025, 11, 18, 3, 0, tzinfo=UTC)
OFFICER = Officer("truc.hanoi", "Trực ban <Hà Nội>", "000.00.00.H01")


def _item(**overrides: object) -> BoardItem:
    values: dict[str, object] = {
        "dossier_id": "7f1b3c1e-9a55-4d1e-8f7d-3b2c1a0e9d8c",
        "dossier_code": "000.00.01.H01-251110-0042",
        "unit_code": "000.00.01.H01",
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


def test_a_due_soon_dossier_shows_time_left_and_the_letter_task() -> None:
    html = board_rows([_item()], NOW)
    assert "Còn 5 giờ 30 phút" in html
    assert "Sắp đến hạn" in html
    assert "Lập phiếu xin lỗi" in html
    assert "Đã xem</button>" in html


def test_a_draft_letter_shows_the_time_left_to_issue_it() -> None:
    html = board_rows([_item(apology_deadline=NOW + timedelta(hours=2))], NOW)
    assert "Hạn gửi 12:00 18/11/2025" in html  # 05:00 UTC is noon in Hà Nội
    assert "Còn 2 giờ 0 phút" in html
    late = board_rows([_item(apology_deadline=NOW - timedelta(minutes=45))], NOW)
    assert "Quá hạn 0 giờ 45 phút" in late


def test_an_overdue_rescheduled_dossier_is_escalated_without_a_second_letter() -> None:
    item = _item(
        status="overdue",
        rescheduled=True,
        due_at=NOW - timedelta(days=2, hours=3),
        letter_status=None,
        acknowledged_by="truc.hanoi",
    )
    html = board_rows([item], NOW)
    assert "Quá hạn 2 ngày 3 giờ" in html
    assert "báo cáo lãnh đạo" in html
    assert "Lập phiếu xin lỗi" not in html
    assert "Đã xem: truc.hanoi" in html


def test_an_issued_letter_links_its_pdf() -> None:
    item = _item(letter_status="issued", letter_number="12/PXL", letter_version=2)
    html = board_rows([item], NOW)
    assert f'href="/board/dossiers/{item.dossier_id}/letter.pdf"' in html
    assert "Phiếu 12/PXL</a> (bản 2)" in html


def test_values_are_escaped() -> None:
    html = board_page(OFFICER, [_item(dossier_code="<script>alert(1)</script>")], NOW)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Trực ban &lt;Hà Nội&gt;" in html


def test_an_empty_board_says_so() -> None:
    assert "Không có hồ sơ" in board_rows([], NOW)
