"""The repository documents itself: no Markdown file links out of it, every link inside it
resolves, the paths and modules the pages name exist, and nothing cites the notes the
project was specified from, which live outside the repository."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from motcua.kafka import TOPICS
from tests.conftest import ROOT
from tests.docs.markdown import (
    Link,
    anchors,
    code_spans,
    links,
    markdown_files,
    repository_files,
)

MARKDOWN = markdown_files()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
OUTSIDE_NOTES = ("DOMAIN" + ".md", "DESIGN" + ".md", "ANCHORS" + ".md", "../" + "shared")
REPO_PATH = re.compile(r"^(?:motcua|services|tests|deploy|schemas|bench|docs)/[\w./-]*$")
MODULE = re.compile(r"^(?:motcua|services)(?:\.[A-Za-z_]\w*)+$")
TOPIC_NAMES = {spec.name for spec in TOPICS}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _links(path: Path) -> list[Link]:
    return links(path.read_text(encoding="utf-8"))


def _where(path: Path, link: Link) -> str:
    return f"{_name(path)}:{link.line}: {link.target}"


def test_the_docs_are_found() -> None:
    names = {_name(path) for path in MARKDOWN}
    assert {"README.md", "docs/README.md", "docs/settings.md", "docs/domain.md"} <= names


def _leaves(path: Path, link: Link) -> bool:
    """Another site, an absolute path, or a relative path out of the repository."""
    target = unquote(link.target.split("#", 1)[0])
    if link.external or target.startswith("/"):
        return True
    return bool(target) and not (path.parent / target).resolve().is_relative_to(ROOT)


def _resolves(path: Path, link: Link) -> bool:
    """The file exists, and so does the heading an anchor names in a Markdown file."""
    target, _, anchor = link.target.partition("#")
    resolved = (path.parent / unquote(target)).resolve() if target else path
    if not resolved.exists():
        return False
    if not anchor or resolved.suffix != ".md":
        return True
    return unquote(anchor) in anchors(resolved.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", MARKDOWN, ids=_name)
def test_no_link_leaves_the_repository(path: Path) -> None:
    leaving = [_where(path, link) for link in _links(path) if _leaves(path, link)]
    assert leaving == [], "name the source in words instead of linking out"


@pytest.mark.parametrize("path", MARKDOWN, ids=_name)
def test_every_link_inside_the_repository_resolves(path: Path) -> None:
    broken = [
        _where(path, link)
        for link in _links(path)
        if not link.external and not _resolves(path, link)
    ]
    assert broken == []


def _module_exists(dotted: str) -> bool:
    """The longest prefix that is a module of the repository, and the next name (if any)
    written in that module."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        for source in (base / "__init__.py", base.with_suffix(".py")):
            if source.is_file():
                rest = parts[end:]
                return not rest or re.search(rf"\b{rest[0]}\b", source.read_text()) is not None
    return False


def _names_something_that_exists(span: str) -> bool:
    """A repository path or a dotted module (topic names aside) is there; anything else
    is not a name this test checks."""
    if REPO_PATH.match(span):
        return (ROOT / span).exists()
    if MODULE.match(span) and span not in TOPIC_NAMES and not span.startswith("motcua.dlq."):
        return _module_exists(span)
    return True


@pytest.mark.parametrize("path", PAGES, ids=_name)
def test_paths_and_modules_the_pages_name_exist(path: Path) -> None:
    missing = [
        f"{_name(path)}:{line}: {span}"
        for line, span in code_spans(path.read_text(encoding="utf-8"))
        if not _names_something_that_exists(span)
    ]
    assert missing == []


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""  # a binary file cites nothing


def test_nothing_cites_notes_outside_the_repository() -> None:
    citing = [
        f"{_name(path)}: {note}"
        for path in repository_files()
        for note in OUTSIDE_NOTES
        if note in _text(path)
    ]
    assert citing == [], "cite the page of docs/ that says it"
