"""Official documents (receipt, apology letter …) as plain data, rendered to PDF.

What a form *says* is domain logic and lives with its service as a pure function that
returns a :class:`Document`; this package lays it out in the format of administrative
documents (Nghị định 30/2020/NĐ-CP), with a Times-metric serif font that has every
Vietnamese diacritic.
"""

from motcua.documents._model import Document, Paragraph, Row, place_name
from motcua.documents._pdf import DEFAULT_FONT_DIR, FAMILY, FontMissing, add_fonts, render_pdf

__all__ = [
    "DEFAULT_FONT_DIR",
    "FAMILY",
    "Document",
    "FontMissing",
    "Paragraph",
    "Row",
    "add_fonts",
    "place_name",
    "render_pdf",
]
