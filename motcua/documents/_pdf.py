"""Lay a :class:`Document` out as PDF in the format of administrative documents (Nghị định
30/2020/NĐ-CP, Phụ lục I), with fpdf2.

A4 portrait, margins 20 mm top and bottom, 30 mm left, 15 mm right. The font is Liberation
Serif: metrically compatible with Times New Roman, which the decree names, and free; its
2.x version (Debian's fonts-liberation2) has every Vietnamese letter with its tone marks.
It is embedded (as a subset), so the PDF prints the same anywhere and its text extracts
exactly. docs/documents.md says which rule each size and position follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from motcua.documents._model import MOTTO, NATION, RECIPIENTS, Document

DEFAULT_FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_PACKAGE = "fonts-liberation2"
FAMILY = "Serif"
FONT_FILES = {
    "": "LiberationSerif-Regular.ttf",
    "B": "LiberationSerif-Bold.ttf",
    "I": "LiberationSerif-Italic.ttf",
    "BI": "LiberationSerif-BoldItalic.ttf",
}
PAGE_MM = (210.0, 297.0)
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 20.0, 20.0, 30.0, 15.0
HEADING_LEFT_MM = 70.0
"""The agency's column; the nation's is the rest of the line (95 mm), wide enough for the
national name in one line."""
INDENT_MM = 12.7
SIGNATURE_ROOM_MM = 30.0
RULE_MM = 0.3
PT_MM = 25.4 / 72

BODY_PT = 13
AGENCY_PT = 12
NATION_PT = 12
MOTTO_PT = 13
TITLE_PT = 14
RECIPIENTS_LABEL_PT = 12
RECIPIENTS_PT = 11


class FontMissing(RuntimeError):
    """The font files are not installed (Debian package fonts-liberation2)."""


def line_height(size_pt: float) -> float:
    """Single line spacing of Times-metric text, in mm."""
    return size_pt * PT_MM * 1.2


def add_fonts(pdf: FPDF, font_dir: Path = DEFAULT_FONT_DIR) -> None:
    """Register the serif family (regular, bold, italic, bold italic) as ``FAMILY``."""
    paths = {style: font_dir / name for style, name in FONT_FILES.items()}
    missing = [path.name for path in paths.values() if not path.exists()]
    if missing:
        raise FontMissing(f"no {', '.join(missing)} in {font_dir}: apt-get install {FONT_PACKAGE}")
    for style, path in paths.items():
        pdf.add_font(FAMILY, style, str(path))


class _Sheet(FPDF):
    def header(self) -> None:
        """Page numbers from the second page on, centred in the top margin."""
        if self.page_no() > 1:
            self.set_font(FAMILY, "", BODY_PT)
            self.set_xy(self.l_margin, TOP_MM / 2 - 2)
            self.cell(self.epw, 5, str(self.page_no()), align="C")
            self.set_xy(self.l_margin, TOP_MM)


def _pdf(document: Document, font_dir: Path) -> FPDF:
    pdf = _Sheet(unit="mm", format=PAGE_MM)
    add_fonts(pdf, font_dir)
    pdf.set_title(document.title)
    pdf.set_lang("vi-VN")
    pdf.set_margins(LEFT_MM, TOP_MM, RIGHT_MM)
    pdf.c_margin = 0  # text starts on the margin itself
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MM)
    pdf.set_line_width(RULE_MM)
    pdf.add_page()
    return pdf


def _centred(pdf: FPDF, x: float, width: float, text: str, style: str, size: float) -> float:
    """``text`` centred in the column at ``x``, wrapped; returns its widest line's width."""
    pdf.set_font(FAMILY, style, size)
    lines = cast(
        list[str], pdf.multi_cell(width, line_height(size), text, dry_run=True, output="LINES")
    )
    for line in lines:
        pdf.set_x(x)
        pdf.cell(width, line_height(size), line, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return max(pdf.get_string_width(line) for line in lines)


def _rule(pdf: FPDF, centre: float, length: float) -> None:
    """A solid rule of ``length`` centred under the line just written."""
    y = pdf.get_y() + 1.0
    pdf.line(centre - length / 2, y, centre + length / 2, y)
    pdf.set_y(y + 1.5)


def _heading(pdf: FPDF, document: Document) -> None:
    """Agency (parent in capitals, issuing agency in bold capitals, a short rule) beside the
    nation and the motto (its rule as long as the motto); then the number beside the place
    and date."""
    left, right = pdf.l_margin, pdf.l_margin + HEADING_LEFT_MM
    right_width = pdf.epw - HEADING_LEFT_MM
    top = pdf.get_y()
    parent, agency = document.agency_lines()
    if parent:
        _centred(pdf, left, HEADING_LEFT_MM, parent, "", AGENCY_PT)
    agency_width = _centred(pdf, left, HEADING_LEFT_MM, agency, "B", AGENCY_PT)
    _rule(pdf, left + HEADING_LEFT_MM / 2, agency_width * 0.4)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    _centred(pdf, right, right_width, NATION, "B", NATION_PT)
    motto_width = _centred(pdf, right, right_width, MOTTO, "B", MOTTO_PT)
    _rule(pdf, right + right_width / 2, motto_width)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 2)
    line_top = pdf.get_y()
    if document.number:
        _centred(pdf, left, HEADING_LEFT_MM, f"Số: {document.number}", "", BODY_PT)
    number_bottom = pdf.get_y()
    pdf.set_y(line_top)
    _centred(pdf, right, right_width, document.place_and_date, "I", BODY_PT)
    pdf.set_y(max(number_bottom, pdf.get_y()) + 6)


def _title(pdf: FPDF, document: Document) -> None:
    _centred(pdf, pdf.l_margin, pdf.epw, document.title.upper(), "B", TITLE_PT)
    if document.subtitle:
        _centred(pdf, pdf.l_margin, pdf.epw, document.subtitle, "", BODY_PT)
    pdf.ln(4)


def _paragraph(pdf: FPDF, text: str, style: str = "") -> None:
    """Left-aligned (no stretched gaps), first line indented, 6 pt after."""
    pdf.set_font(FAMILY, style, BODY_PT)
    pdf.set_x(pdf.l_margin + INDENT_MM)
    pdf.write(line_height(BODY_PT), text)
    pdf.ln(line_height(BODY_PT) + 6 * PT_MM)


def _body(pdf: FPDF, document: Document) -> None:
    for line in document.addressee_lines():
        _paragraph(pdf, line)
    for text, bold in document.body_lines():
        _paragraph(pdf, text, "B" if bold else "")


def _recipients(pdf: FPDF, document: Document, top: float) -> float:
    """The recipients at the bottom left under "Nơi nhận:"; returns where they end."""
    pdf.set_y(top)
    if not document.recipients:
        return top
    width = HEADING_LEFT_MM
    pdf.set_font(FAMILY, "BI", RECIPIENTS_LABEL_PT)
    height = line_height(RECIPIENTS_LABEL_PT)
    pdf.cell(width, height, RECIPIENTS, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", RECIPIENTS_PT)
    for line in document.recipient_lines():
        pdf.multi_cell(width, line_height(RECIPIENTS_PT), line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf.get_y()


def _signature(pdf: FPDF, document: Document, top: float) -> float:
    """The signer's title in bold capitals, the note in italics, then room for the
    signature, the seal and the name; returns where that room ends."""
    x, width = pdf.l_margin + HEADING_LEFT_MM, pdf.epw - HEADING_LEFT_MM
    pdf.set_y(top)
    title, *note = document.signature_lines()
    _centred(pdf, x, width, title, "B", BODY_PT)
    for line in note:
        _centred(pdf, x, width, line, "I", BODY_PT)
    return pdf.get_y() + SIGNATURE_ROOM_MM


def _closing_height(document: Document) -> float:
    lines = len(document.recipients) + len(document.signature_lines())
    return lines * line_height(BODY_PT) + SIGNATURE_ROOM_MM + 4


def _closing(pdf: FPDF, document: Document) -> None:
    """Recipients and signature side by side, kept together on one page."""
    if pdf.get_y() + _closing_height(document) > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 2
    bottom = max(_recipients(pdf, document, top), _signature(pdf, document, top))
    pdf.set_y(bottom)


def render_pdf(document: Document, *, font_dir: Path = DEFAULT_FONT_DIR) -> bytes:
    pdf = _pdf(document, font_dir)
    _heading(pdf, document)
    _title(pdf, document)
    _body(pdf, document)
    _closing(pdf, document)
    return bytes(pdf.output())
