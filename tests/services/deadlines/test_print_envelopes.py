"""The print batch's PDF: an address sheet for a DL window envelope before each letter's
pages, read back with pypdf."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from motcua.documents import render_pdf
from services.deadlines.notices.envelopes import (
    ADDRESS_LEFT_MM,
    ADDRESS_TOP_MM,
    ADDRESS_WIDTH_MM,
    PostalLabel,
    batch_pdf,
)
from tests.services.deadlines.test_letters import _letter

MM = 72 / 25.4


def _label(name: str, address: str, number: str) -> PostalLabel:
    return PostalLabel(
        sender="Công an phường Hoàn Kiếm",
        name=name,
        address=address,
        reference=f"Hồ sơ 000.00.01.H01-251110-0042 — Phiếu số {number}",
    )


def _text(page: object) -> str:
    return unicodedata.normalize("NFC", page.extract_text())  # type: ignore[attr-defined]


def test_each_letter_follows_its_address_sheet() -> None:
    first = render_pdf(_letter(letter_number="7/PXL").document())
    second = render_pdf(_letter(letter_number="8/PXL", citizen_name="Trần Văn Bình").document())
    letter_pages = len(PdfReader(io.BytesIO(first)).pages)

    pdf = batch_pdf(
        [
            (_label("Nguyễn Thị Minh Khai", "12 phố Hàng Bạc, Hoàn Kiếm, Hà Nội", "7/PXL"), first),
            (_label("Trần Văn Bình", "3 ngõ Huế, Hai Bà Trưng, Hà Nội", "8/PXL"), second),
        ]
    )

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2 * (1 + letter_pages)
    sheet, letter = _text(pages[0]), _text(pages[1])
    assert "Nguyễn Thị Minh Khai" in sheet
    assert "12 phố Hàng Bạc, Hoàn Kiếm, Hà Nội" in sheet
    assert "Phiếu số 7/PXL" in sheet
    assert "Số: 7/PXL" in letter
    second_sheet = _text(pages[1 + letter_pages])
    assert "Trần Văn Bình" in second_sheet
    assert "Phiếu số 8/PXL" in second_sheet
    assert "Số: 8/PXL" in _text(pages[2 + letter_pages])


def test_the_address_sits_where_a_dl_window_is() -> None:
    letter = render_pdf(_letter().document())
    pdf = batch_pdf([(_label("Nguyễn Thị Minh Khai", "12 phố Hàng Bạc", "7/PXL"), letter)])
    sheet = PdfReader(io.BytesIO(pdf)).pages[0]
    assert round(float(sheet.mediabox.width) / MM) == 210
    assert round(float(sheet.mediabox.height) / MM) == 297
    found: list[tuple[float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], *_: object) -> None:
        if "Nguyễn" in unicodedata.normalize("NFC", text):
            found.append((tm[4] / MM, (float(sheet.mediabox.height) - tm[5]) / MM))

    sheet.extract_text(visitor_text=visit)
    assert found, "the name is not on the sheet"
    left, top = found[0]
    # The name is on the address block's second line: inside the window's area.
    assert ADDRESS_LEFT_MM - 1 <= left <= ADDRESS_LEFT_MM + ADDRESS_WIDTH_MM
    assert ADDRESS_TOP_MM + 5 <= top <= ADDRESS_TOP_MM + 20
