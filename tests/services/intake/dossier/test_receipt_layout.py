"""The receipt (Mẫu 01) as printed: the same official heading and signature as every
Motcua form (Nghị định 30/2020/NĐ-CP), read back from its PDF."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from motcua.documents import render_pdf
from services.intake.dossier.receipt import Receipt
from tests.documents.layout import (
    HEADING_SPLIT_MM,
    assert_a4_with_margins,
    assert_official_heading,
    assert_serif,
    assert_signature_block,
    line,
    lines,
    opened,
    save_pages,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _receipt(**overrides: object) -> Receipt:
    values: dict[str, object] = {
        "agency": "Công an phường Tây Hồ",
        "parent_agency": "Công an thành phố Hà Nội",
        "agency_address": "phường Tây Hồ, Hà Nội",
        "agency_head_title": "Trưởng Công an phường",
        "agency_phone": "024 3863 1333",
        "dossier_code": "000.00.05.H01-261205-0001",
        "procedure_code": "1.004194",
        "procedure_name": "Đăng ký thường trú",
        "applicant_name": "Nguyễn Thị Minh Khai",
        "applicant_phone": "0912 345 678",
        "applicant_email": None,
        "applicant_address": "12 Lạc Long Quân, phường Tây Hồ, Hà Nội",
        "contact_preference": "sms",
        "channel": "in_person",
        "documents": ("Tờ khai thay đổi thông tin cư trú", "Giấy tờ chứng minh chỗ ở hợp pháp"),
        "processing_amount": 7,
        "processing_unit": "working_days",
        "received_at": datetime(2026, 12, 5, 9, 30, tzinfo=HANOI),
        "due_at": datetime(2026, 12, 14, 9, 30, tzinfo=HANOI),
    }
    values.update(overrides)
    return Receipt(**values)  # type: ignore[arg-type]


def test_the_receipt_has_the_official_heading_and_signature() -> None:
    pdf = render_pdf(_receipt().document())
    save_pages(pdf, "receipt-mau-01")
    with opened(pdf) as pages:
        page = pages[0]
        assert_a4_with_margins(page)
        assert_serif(pages)
        assert_official_heading(page, "Công an thành phố Hà Nội", "Công an phường Tây Hồ")
        date = line(lines(page, HEADING_SPLIT_MM), "Phường Tây Hồ, ngày 05 tháng 12 năm 2026")
        assert date.fonts == {"LiberationSerifItalic"}
        assert_signature_block(page, "NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký, ghi rõ họ tên)")


def test_a_receipt_without_an_address_is_dated_without_a_place() -> None:
    document = _receipt(agency_address=None).document()
    assert document.place_and_date == "Ngày 05 tháng 12 năm 2026"
    assert document.body_lines()[-1] == ("Nhận kết quả tại: Công an phường Tây Hồ./.", False)
