"""The wording rules of Nghị định 30/2020 that change a document's text, without a PDF."""

from __future__ import annotations

import pytest

from motcua.documents import Document, Paragraph, Row, place_name


def _document(**overrides: object) -> Document:
    values: dict[str, object] = {
        "parent_agency": "Công an thành phố Hà Nội",
        "agency": "Công an phường Tây Hồ",
        "title": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "body": (Paragraph("Xin lỗi ông/bà."), Row("Thời gian trả kết quả", "24/11/2025")),
        "place_and_date": "Phường Tây Hồ, ngày 05 tháng 12 năm 2026",
        "signer_title": "Trưởng Công an phường",
        "recipients": ("Như trên", "Bộ phận Tiếp nhận và Trả kết quả;", "Lưu: VT"),
    }
    values.update(overrides)
    return Document(**values)  # type: ignore[arg-type]


def test_agencies_and_the_signer_are_in_capitals() -> None:
    document = _document()
    assert document.agency_lines() == ("CÔNG AN THÀNH PHỐ HÀ NỘI", "CÔNG AN PHƯỜNG TÂY HỒ")
    assert document.signature_lines() == ["TRƯỞNG CÔNG AN PHƯỜNG"]
    assert _document(parent_agency=None).agency_lines()[0] is None


def test_the_body_closes_with_the_slash_mark_once() -> None:
    assert _document().body_lines()[-1] == ("Thời gian trả kết quả: 24/11/2025./.", False)
    closed = _document(body=(Paragraph("Trân trọng."),)).body_lines()
    assert closed == [("Trân trọng./.", False)]
    again = _document(body=(Paragraph("Trân trọng./.", bold=True),)).body_lines()
    assert again == [("Trân trọng./.", True)]
    assert _document(body=()).body_lines() == []


def test_recipients_take_a_dash_a_semicolon_and_a_final_full_stop() -> None:
    assert _document().recipient_lines() == [
        "- Như trên;",
        "- Bộ phận Tiếp nhận và Trả kết quả;",
        "- Lưu: VT.",
    ]


def test_the_addressee_has_the_address_on_the_next_line() -> None:
    assert _document().addressee_lines() == []
    named = _document(addressee="Nguyễn Văn An", addressee_address="3 ngõ Huế, Hà Nội")
    assert named.addressee_lines() == ["Kính gửi: Nguyễn Văn An", "Địa chỉ: 3 ngõ Huế, Hà Nội"]
    assert "Kính gửi: Nguyễn Văn An\nĐịa chỉ: 3 ngõ Huế, Hà Nội\nXin lỗi" in named.text()


@pytest.mark.parametrize(
    ("address", "place"),
    [
        ("phường Tây Hồ, Hà Nội", "Phường Tây Hồ"),
        ("12 Lạc Long Quân, phường Tây Hồ, Hà Nội", "Phường Tây Hồ"),
        ("xã Sóc Sơn, Hà Nội", "Xã Sóc Sơn"),
        ("87 Trần Hưng Đạo, Hà Nội", "Hà Nội"),
        ("Hà Nội", "Hà Nội"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_place_is_the_commune_when_the_address_names_one(
    address: str | None, place: str
) -> None:
    assert place_name(address) == place
