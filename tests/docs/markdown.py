"""Just enough Markdown for the documentation tests: the repository's Markdown files, their
links, their headings' anchors and their code spans, code blocks left out.

Links are what a renderer would make one of: inline links and images, reference
definitions, autolinks, bare web addresses in the text, and ``href``/``src`` of inline HTML.
Anything inside a fenced code block or a code span is text, not a link.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

_SKIPPED_DIRS = {".git", ".venv", "node_modules"}
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*(<[^>]*>|\S+)", re.MULTILINE)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_BARE = re.compile(r"(?<![\w/])(?:https?://|ftp://|www\.)[^\s)<>\]]+", re.IGNORECASE)
_HTML = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")


@dataclass(frozen=True)
class Link:
    target: str
    line: int

    @property
    def external(self) -> bool:
        """A link with a scheme (``https:``, ``mailto:`` …) or to another host (``//``)."""
        return bool(_SCHEME.match(self.target)) or self.target.startswith(("//", "www."))


def repository_files(pattern: str = "*") -> list[Path]:
    """The repository's files matching ``pattern``: tracked, or new and not ignored (what a
    clone would hold once they are committed). Without git: the tree, less dependencies,
    caches and local state (directories whose name starts with a dot)."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", pattern],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        files = {ROOT / name for name in listed.split("\0") if name}
    else:
        files = {
            path
            for path in ROOT.rglob(pattern)
            if not any(part.startswith(".") for part in path.relative_to(ROOT).parts[:-1])
        }
    return sorted(
        path
        for path in files
        if path.is_file() and not _SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
    )


def markdown_files() -> list[Path]:
    """Every Markdown file of the repository."""
    return repository_files("*.md")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """Each line outside fenced code blocks, numbered from 1."""
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        yield number, line


def _without_code_spans(line: str) -> str:
    return _CODE_SPAN.sub(" ", line)


def links(text: str) -> list[Link]:
    """Every link of a Markdown text, in order."""
    found: list[Link] = []
    for number, line in prose_lines(text):
        prose = _without_code_spans(line)
        targets = [m.group(1) for m in _INLINE.finditer(prose)]
        targets += [m.group(1) for m in _REFERENCE.finditer(prose)]
        targets += [m.group(1) for m in _AUTOLINK.finditer(prose)]
        targets += [m.group(1) for m in _HTML.finditer(prose)]
        rest = _HTML.sub(" ", _AUTOLINK.sub(" ", _INLINE.sub(" ", prose)))
        targets += [m.group(0).rstrip(".,;:!?'\"") for m in _BARE.finditer(rest)]
        found += [Link(target.strip("<>"), number) for target in targets]
    return found


def code_spans(text: str) -> list[tuple[int, str]]:
    """The content of every inline code span outside code blocks."""
    return [
        (number, match.group(2).strip())
        for number, line in prose_lines(text)
        for match in _CODE_SPAN.finditer(line)
    ]


def slug(heading: str) -> str:
    """The anchor a heading gets, as GitHub makes it: lower case, punctuation dropped
    (letters of any script, digits, ``_`` and ``-`` kept), spaces turned into ``-``."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of every heading of a Markdown text (repeats get ``-1``, ``-2`` …)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in prose_lines(text):
        heading = _HEADING.match(line)
        if not heading:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found
