"""The README is the front door: short, the two commands, and a link to every page of
``docs/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docs.markdown import links

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 150


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "make up" in readme
    assert "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_the_readme_stays_a_front_door() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


@pytest.mark.parametrize(
    "index", [README, DOCS / "README.md"], ids=lambda path: str(path.relative_to(ROOT))
)
def test_every_docs_page_is_linked_from_the_indexes(index: Path) -> None:
    linked = {
        (index.parent / link.target.split("#", 1)[0]).resolve()
        for link in links(index.read_text(encoding="utf-8"))
        if not link.external and link.target.split("#", 1)[0]
    }
    pages = {page.resolve() for page in DOCS.glob("*.md") if page.resolve() != index.resolve()}
    missing = sorted(str(page.relative_to(ROOT)) for page in pages - linked)
    assert missing == []
