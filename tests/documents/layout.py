"""Read a rendered PDF back with pdfplumber, in millimetres, and check the layout every
Motcua form shares (Nghị định 30/2020/NĐ-CP, Phụ lục I; docs/documents.md)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from pdfplumber.page import Page

from motcua.documents._model import MOTTO, NATION

MM = 72 / 25.4
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".test-artifacts" / "screenshots"
PAGE = (210.0, 297.0)
MARGINS = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
HEADING_SPLIT_MM = 100.0
"""Between the agency's column (30–100 mm) and the nation's (100–195 mm)."""


@dataclass(frozen=True)
class Line:
    """One line of text, its box in mm from the page's top left, and its fonts."""

    text: str
    left: float
    right: float
    top: float
    bottom: float
    fonts: frozenset[str]
    sizes: frozenset[float]

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    @property
    def width(self) -> float:
        return self.right - self.left


@dataclass(frozen=True)
class Rule:
    left: float
    right: float
    y: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    @property
    def length(self) -> float:
        return self.right - self.left


@contextmanager
def opened(pdf: bytes) -> Iterator[list[Page]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        yield list(document.pages)


def save_pages(pdf: bytes, name: str) -> list[Path]:
    """Each page as ``.test-artifacts/screenshots/<name>-p<n>.png`` at 120 dpi, for a
    reviewer to look at the printed document."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    with opened(pdf) as pages:
        for page in pages:
            path = SCREENSHOTS / f"{name}-p{page.page_number}.png"
            page.to_image(resolution=120).save(path)
            paths.append(path)
    return paths


def lines(page: Page, left_mm: float = 0.0, right_mm: float = PAGE[0]) -> list[Line]:
    """The lines of text wholly between ``left_mm`` and ``right_mm``, top to bottom."""
    region = page.within_bbox((left_mm * MM, 0, right_mm * MM, page.height))
    found = []
    for line in region.extract_text_lines(return_chars=True):
        chars = line["chars"]
        found.append(
            Line(
                text=unicodedata.normalize("NFC", line["text"]),
                left=line["x0"] / MM,
                right=line["x1"] / MM,
                top=line["top"] / MM,
                bottom=line["bottom"] / MM,
                fonts=frozenset(char["fontname"].split("+")[-1] for char in chars),
                sizes=frozenset(round(char["size"], 1) for char in chars),
            )
        )
    return found


def line(found: list[Line], text: str) -> Line:
    """The line that reads exactly ``text``."""
    matches = [candidate for candidate in found if candidate.text == text]
    assert matches, f"no line reads {text!r}: {[candidate.text for candidate in found]}"
    return matches[0]


def rules(page: Page) -> list[Rule]:
    """The horizontal rules drawn on the page."""
    return [
        Rule(segment["x0"] / MM, segment["x1"] / MM, segment["top"] / MM)
        for segment in page.lines
        if abs(segment["top"] - segment["bottom"]) < 0.1
    ]


def rule_under(page: Page, above: Line) -> Rule:
    """The rule within 3 mm under ``above`` and across its middle."""
    found = [
        rule
        for rule in rules(page)
        if 0 < rule.y - above.bottom < 3 and rule.left < above.centre < rule.right
    ]
    assert found, f"no rule under {above.text!r}"
    return found[0]


def assert_a4_with_margins(page: Page) -> None:
    """A4 portrait, and every character inside the margins (text starts on the left one)
    but the page number, in the top margin from the second page on."""
    assert round(page.width / MM) == PAGE[0]
    assert round(page.height / MM) == PAGE[1]
    chars = page.chars
    assert min(char["x0"] for char in chars) / MM >= MARGINS["left"] - 0.2
    assert max(char["x1"] for char in chars) / MM <= PAGE[0] - MARGINS["right"]
    above = "".join(char["text"] for char in chars if char["top"] / MM < MARGINS["top"] - 0.2)
    assert above == ("" if page.page_number == 1 else str(page.page_number))
    assert max(char["bottom"] for char in chars) / MM <= PAGE[1] - MARGINS["bottom"]


def assert_serif(pages: list[Page]) -> None:
    """Every character in Liberation Serif, the Times New Roman metric twin."""
    fonts = {char["fontname"].split("+")[-1] for page in pages for char in page.chars}
    assert fonts, "no text"
    assert all(font.startswith("LiberationSerif") for font in fonts), fonts


def assert_official_heading(page: Page, parent: str | None, agency: str) -> None:
    """Parent in capitals over the agency in bold capitals with a short centred rule, on
    the left of the nation (bold, one line) and the motto (bold, a rule as long as it)."""
    left, right = lines(page, 0, HEADING_SPLIT_MM), lines(page, HEADING_SPLIT_MM)
    issuer = line(left, agency.upper())
    assert issuer.fonts == {"LiberationSerifBold"}
    assert issuer.sizes <= {12.0, 13.0}
    if parent:
        above = line(left, parent.upper())
        assert above.fonts == {"LiberationSerif"}
        assert above.bottom <= issuer.top + 0.5
    nation, motto = line(right, NATION), line(right, MOTTO)
    assert nation.fonts == motto.fonts == {"LiberationSerifBold"}
    assert nation.sizes <= {12.0, 13.0}
    assert motto.sizes <= {13.0, 14.0}
    assert abs(nation.top - issuer.top) < 6, "the nation is level with the agency"
    assert nation.bottom <= motto.top + 0.5
    assert issuer.right < motto.left, "the agency sits left of the motto"
    short = rule_under(page, issuer)
    assert issuer.width / 3 <= short.length <= issuer.width / 2
    assert abs(short.centre - issuer.centre) < 1
    long = rule_under(page, motto)
    assert abs(long.length - motto.width) < 1
    assert abs(long.centre - motto.centre) < 1


def assert_signature_block(page: Page, title: str, note: str) -> None:
    """The title in bold capitals, the note in italics under it, then at least 25 mm of
    nothing down to the bottom margin or the next text."""
    right = lines(page, HEADING_SPLIT_MM)
    signer, under = line(right, title), line(right, note)
    assert signer.fonts == {"LiberationSerifBold"}
    assert title == title.upper()
    assert under.fonts == {"LiberationSerifItalic"}
    assert 0 <= under.top - signer.bottom < 3
    assert abs(under.centre - signer.centre) < 1
    below = [other.top for other in right if other.top > under.bottom]
    free = min([*below, PAGE[1] - MARGINS["bottom"]]) - under.bottom
    assert free >= 25, f"only {free:.1f} mm to sign, seal and name"
