"""``bench/RESULTS.md``: the intake bench rewrites the head; every other bench owns one
``## `` section after the notes marker, replaced on each run."""

from __future__ import annotations

from bench.intake import NOTES_MARKER, RESULTS


def write_section(heading: str, section: str) -> None:
    """Replace the section that starts with ``heading`` (or append it), keep the rest."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if heading in text:
        head, rest = text.split(heading, 1)
        following = rest.find("\n## ")
        tail = rest[following + 1 :] if following >= 0 else ""
        text = head + section + ("\n" + tail if tail else "")
    elif NOTES_MARKER in text:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        text = text.rstrip("\n") + "\n\n" + NOTES_MARKER + "\n\n" + section
    RESULTS.write_text(text)


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank), 0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0
