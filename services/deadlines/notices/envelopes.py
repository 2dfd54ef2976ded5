"""The print batch as one PDF: for each letter, an address sheet laid out for a DL window
envelope, then the letter's own pages as issued. Pure (bytes in, bytes out).

The address sheet is A4 (210×297 mm), folded in three (folds at 105 and 210 mm from the
top, marked in the left margin) so its top panel faces the window of a DL envelope
(110×220 mm; window 90×45 mm, 20 mm from the left and 15 mm from the bottom edge, the
common DL window). The address block is 85×45 mm, 20 mm from the left and 45 mm from the
top of the sheet: a 5 mm return line (the agency) over the citizen's name and address.
The dossier code and the letter's number are printed below the top fold, inside the
envelope, so the post office sees the address only. The font is the letters' own serif,
embedded as in every Motcua document (:mod:`motcua.documents`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf import PdfReader, PdfWriter

from motcua.documents import DEFAULT_FONT_DIR, FAMILY, add_fonts

SHEET_MM = (210.0, 297.0)
FOLDS_MM = (105.0, 210.0)
ADDRESS_LEFT_MM = 20.0
ADDRESS_TOP_MM = 45.0
ADDRESS_WIDTH_MM = 85.0
ADDRESS_HEIGHT_MM = 45.0
RETURN_LINE_MM = 5.0
REFERENCE_TOP_MM = 115.0


@dataclass(frozen=True)
class PostalLabel:
    """What the sheet carries: asked from intake at print time, never stored."""

    sender: str
    """The agency, on the return line."""
    name: str
    address: str
    reference: str
    """The dossier and the letter, printed inside the envelope."""


def _sheet(font_dir: Path) -> FPDF:
    pdf = FPDF(unit="mm", format=SHEET_MM)
    add_fonts(pdf, font_dir)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(ADDRESS_LEFT_MM, ADDRESS_TOP_MM)
    return pdf


def _address_page(pdf: FPDF, label: PostalLabel) -> None:
    pdf.add_page()
    pdf.set_line_width(0.2)
    for fold in FOLDS_MM:  # fold marks in the margin
        pdf.line(3, fold, 8, fold)
    pdf.set_xy(ADDRESS_LEFT_MM, ADDRESS_TOP_MM)
    pdf.set_font(FAMILY, "", 7)
    pdf.cell(
        ADDRESS_WIDTH_MM, RETURN_LINE_MM, label.sender[:90], new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(ADDRESS_WIDTH_MM, 6, label.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(
        ADDRESS_WIDTH_MM,
        5,
        label.address,
        max_line_height=5,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(ADDRESS_LEFT_MM, REFERENCE_TOP_MM)
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(SHEET_MM[0] - 2 * ADDRESS_LEFT_MM, 5, label.reference)


def address_sheets(labels: Sequence[PostalLabel], font_dir: Path = DEFAULT_FONT_DIR) -> bytes:
    """One address page per label, in order."""
    pdf = _sheet(font_dir)
    for label in labels:
        _address_page(pdf, label)
    return bytes(pdf.output())


def batch_pdf(
    letters: Sequence[tuple[PostalLabel, bytes]], font_dir: Path = DEFAULT_FONT_DIR
) -> bytes:
    """Each letter's address sheet followed by its pages (the stored PDF, unchanged)."""
    sheets = PdfReader(io.BytesIO(address_sheets([label for label, _ in letters], font_dir)))
    writer = PdfWriter()
    for index, (_, letter) in enumerate(letters):
        writer.add_page(sheets.pages[index])
        writer.append(PdfReader(io.BytesIO(letter)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
