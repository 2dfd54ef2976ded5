"""Rendered PDFs keep every Vietnamese diacritic: the text extracted equals the text given."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from motcua.documents import Document, FontMissing, Paragraph, Row, render_pdf

SAMPLE = Document(
    parent_agency="CÔNG AN THÀNH PHỐ HÀ NỘI",
    agency="CÔNG AN PHƯỜNG HOÀN KIẾM",
    number="12/PXL",
    title="PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    place_and_date="Hà Nội, ngày 24 tháng 11 năm 2026",
    body=(
        Row("Kính gửi", "Bà Nguyễn Thị Ánh Tuyết"),
        Paragraph("Lý do: chờ kết quả xác minh của cơ quan khác; Đường Giải Phóng, quận Đống Đa."),
        Paragraph("Xin trân trọng cáo lỗi và hẹn lại ngày trả kết quả.", bold=True),
    ),
    recipients=("Như trên", "Lưu: VT"),
    signer_title="Trưởng Công an phường",
    signer_note="(Ký, ghi rõ họ tên, đóng dấu)",
)


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in pages))


def _words(text: str) -> list[str]:
    return unicodedata.normalize("NFC", text).split()


def test_every_word_with_its_diacritics_survives_rendering() -> None:
    pdf = render_pdf(SAMPLE)
    assert pdf.startswith(b"%PDF-")
    extracted = _words(_text(pdf))
    for word in _words(SAMPLE.text()):
        assert word in extracted, f"{word!r} is missing from the PDF text"


def test_a_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-liberation2"):
        render_pdf(SAMPLE, font_dir=tmp_path)
