"""The apology letter's rules and content (Mẫu 04), without I/O."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from motcua.calendar import default_calendar
from motcua.documents import render_pdf
from motcua.web.strings import LETTER_ERRORS
from services.deadlines.letters.models import (
    ApologyLetter,
    LetterRuleError,
    clean_reason,
    new_appointment,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = default_calendar()


def _letter(**overrides: object) -> ApologyLetter:
    values: dict[str, object] = {
        "agency": "Công an phường Hoàn Kiếm",
        "parent_agency": "Công an thành phố Hà Nội",
        "place": "Hà Nội",
        "letter_number": "7/PXL",
        "version": 1,
        "citizen_name": "Nguyễn Thị Minh Khai",
        "citizen_address": "12 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        "dossier_code": "000.00.01.H01-251110-0042",
        "procedure_name": "Đăng ký thường trú",
        "received_at": datetime(2025, 11, 10, 9, 30, tzinfo=HANOI),
        "original_due_at": datetime(2025, 11, 19, 9, 30, tzinfo=HANOI),
        "reason": "Chờ kết quả xác minh của Công an tỉnh Quảng Ninh",
        "new_due_at": datetime(2025, 11, 24, 9, 30, tzinfo=HANOI),
        "issued_at": datetime(2025, 11, 18, 15, 0, tzinfo=HANOI),
    }
    values.update(overrides)
    return ApologyLetter(**values)  # type: ignore[arg-type]


def test_the_letter_says_what_mau_04_requires() -> None:
    text = _letter().document().text()
    for expected in (
        "CÔNG AN THÀNH PHỐ HÀ NỘI\nCÔNG AN PHƯỜNG HOÀN KIẾM",
        "Công an phường Hoàn Kiếm",
        "Số: 7/PXL",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Nguyễn Thị Minh Khai\nĐịa chỉ: 12 phố Hàng Bạc",
        "Ngày 10/11/2025",
        "Đăng ký thường trú, mã hồ sơ 000.00.01.H01-251110-0042",
        "09 giờ 30 phút, ngày 19/11/2025",
        "chưa trả kết quả",
        "Lý do: Chờ kết quả xác minh của Công an tỉnh Quảng Ninh",
        "xin lỗi",
        "Thời gian trả kết quả: 09 giờ 30 phút, ngày 24/11/2025",
        "Nơi nhận:",
        "Hà Nội, ngày 18 tháng 11 năm 2025",
        "Trân trọng./.",
        "TRƯỞNG CÔNG AN PHƯỜNG\n(Ký, ghi rõ họ tên, đóng dấu)",
    ):
        assert expected in text, expected


def test_a_correction_is_marked_as_a_new_version_of_the_same_number() -> None:
    document = _letter(version=2).document()
    assert document.number == "7/PXL"
    assert document.subtitle is not None
    assert "bản 2" in document.subtitle


def test_the_pdf_keeps_vietnamese_diacritics() -> None:
    letter = _letter()
    pdf = render_pdf(letter.document())
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))
    for phrase in (
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Nguyễn Thị Minh Khai",
        "Chờ kết quả xác minh của Công an tỉnh Quảng Ninh",
        "Độc lập - Tự do - Hạnh phúc",
    ):
        assert phrase in text, phrase


def test_the_new_appointment_counts_working_days_from_the_original_due_date() -> None:
    due = datetime(2025, 11, 21, 9, 30, tzinfo=HANOI)  # a Friday
    before_due = datetime(2025, 11, 20, 10, 0, tzinfo=HANOI)
    new = new_appointment(due, 2, before_due, CALENDAR)
    assert new == datetime(2025, 11, 25, 9, 30, tzinfo=HANOI)  # Tuesday: the weekend skipped


def test_a_letter_after_the_due_date_counts_from_now() -> None:
    due = datetime(2025, 11, 10, 9, 30, tzinfo=HANOI)
    now = datetime(2025, 11, 18, 3, 15, 42, tzinfo=UTC)  # 10:15 in Hà Nội
    new = new_appointment(due, 1, now, CALENDAR)
    assert new == datetime(2025, 11, 19, 10, 15, tzinfo=HANOI)


@pytest.mark.parametrize("days", [0, -1, 61])
def test_the_extension_is_bounded(days: int) -> None:
    now = datetime(2025, 11, 18, 10, 0, tzinfo=HANOI)
    with pytest.raises(LetterRuleError) as error:
        new_appointment(now, days, now, CALENDAR)
    assert error.value.field == "extension_working_days"


def test_the_reason_is_required_and_tidied() -> None:
    assert clean_reason("  Chờ   xác minh\n của tỉnh ") == "Chờ xác minh của tỉnh"
    for bad in ("", "   \n "):
        with pytest.raises(LetterRuleError) as error:
            clean_reason(bad)
        assert error.value.field == "reason"
    with pytest.raises(LetterRuleError):
        clean_reason("x" * 2001)


MAY_4 = datetime(2026, 5, 4, 9, 0, tzinfo=HANOI)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (lambda: clean_reason("   "), "Nhập lý do chậm trả kết quả."),
        (lambda: clean_reason("x" * 2001), "Lý do dài tối đa 2000 ký tự."),
        (
            lambda: new_appointment(
                datetime(2026, 5, 4, tzinfo=UTC), 0, datetime.now(UTC), CALENDAR
            ),
            "Số ngày làm việc gia hạn từ 1 đến",
        ),
    ],
)
def test_every_broken_rule_is_told_to_the_officer_in_vietnamese(
    broken: Callable[[], object], expected: str
) -> None:
    with pytest.raises(LetterRuleError) as caught:
        broken()
    assert LETTER_ERRORS[caught.value.rule].format(**caught.value.details).startswith(expected)
