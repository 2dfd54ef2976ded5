"""Official documents (receipt, apology letter …) as plain data, rendered to PDF.

What a form *says* is domain logic and lives with its service as a pure function that
returns a :class:`Document`; this package only lays it out, with a font that has every
Vietnamese diacritic.
"""

from motcua.documents._model import Document, Paragraph, Row
from motcua.documents._pdf import DEFAULT_FONT_DIR, FontMissing, render_pdf

__all__ = ["DEFAULT_FONT_DIR", "Document", "FontMissing", "Paragraph", "Row", "render_pdf"]
