"""Lay a :class:`Document` out as PDF with fpdf2 and an embedded DejaVu font.

DejaVu covers every Vietnamese letter with its tone marks; the font is embedded (as a
subset), so the PDF prints the same anywhere and its text can be extracted exactly.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from motcua.documents._model import MOTTO, NATION, Document, Row

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PAGE_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}


class FontMissing(RuntimeError):
    """The font files are not installed (Debian package fonts-dejavu-core)."""


def _pdf(document: Document, font_dir: Path) -> FPDF:
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():
        raise FontMissing(f"no DejaVu fonts in {font_dir}: apt-get install fonts-dejavu-core")
    pdf = FPDF(unit="mm", format=PAGE_MM[document.page])
    pdf.set_title(document.title)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, document: Document, small: int) -> None:
    """The agency and the number on the left, the nation and the motto on the right."""
    width = pdf.epw
    pdf.set_font("DejaVu", "", small)
    header_left = [document.parent_agency or "", document.agency]
    top = pdf.get_y()
    for index, text in enumerate(header_left):
        pdf.set_font("DejaVu", "B" if index == 1 else "", small)
        pdf.multi_cell(width * 0.42, 5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.number:
        pdf.set_font("DejaVu", "", small)
        pdf.multi_cell(
            width * 0.42,
            5,
            f"Số: {document.number}",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.42, top)
    pdf.set_font("DejaVu", "B", small)
    pdf.multi_cell(width * 0.58, 5, NATION, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.multi_cell(width * 0.58, 5, MOTTO, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", small)
    pdf.multi_cell(
        width * 0.58, 5, document.place_and_date, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)


def _title(pdf: FPDF, document: Document, small: int) -> None:
    width = pdf.epw
    pdf.set_font("DejaVu", "B", small + 3)
    pdf.multi_cell(width, 7, document.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.subtitle:
        pdf.set_font("DejaVu", "", small)
        pdf.multi_cell(width, 5, document.subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _body(pdf: FPDF, document: Document, small: int) -> None:
    """Labelled rows and paragraphs, then the extra lines."""
    width = pdf.epw
    for item in document.body:
        if isinstance(item, Row):
            pdf.set_font("DejaVu", "B", small)
            pdf.write(5.5, f"{item.label}: ")
            pdf.set_font("DejaVu", "", small)
            pdf.write(5.5, item.value)
            pdf.ln(6)
        else:
            pdf.set_font("DejaVu", "B" if item.bold else "", small)
            pdf.multi_cell(width, 5.5, item.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
    for text in document.extra_lines:
        pdf.set_font("DejaVu", "", small)
        pdf.multi_cell(width, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _recipients_and_signer(pdf: FPDF, document: Document, small: int) -> None:
    """Who receives it on the left, the signer's title on the right."""
    width = pdf.epw
    pdf.ln(4)
    bottom = pdf.get_y()
    if document.recipients:
        pdf.set_font("DejaVu", "B", small - 1)
        pdf.multi_cell(width * 0.45, 4.5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", small - 1)
        for recipient in document.recipients:
            pdf.multi_cell(width * 0.45, 4.5, f"- {recipient}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin + width * 0.45, bottom)
    pdf.set_font("DejaVu", "B", small)
    pdf.multi_cell(
        width * 0.55, 5, document.signer_title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )


def render_pdf(document: Document, *, font_dir: Path = DEFAULT_FONT_DIR) -> bytes:
    pdf = _pdf(document, font_dir)
    small = 9 if document.page == "A5" else 11
    _header(pdf, document, small)
    _title(pdf, document, small)
    _body(pdf, document, small)
    _recipients_and_signer(pdf, document, small)
    return bytes(pdf.output())
