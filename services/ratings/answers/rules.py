"""The rules an answer must meet, whichever channel it came by (pure: no I/O).

Each broken rule is named by the field it is about and a code (``FieldProblem``), so the web
form says it in Vietnamese beside the field and the API lists it in its 422.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from motcua.contracts import Criterion
from services.ratings.criteria import OPTIONAL, Level, criteria_for
from services.ratings.models import COMMENT_MAX, SERIAL_MAX, Answer

_KEYS = frozenset(c.value for c in Criterion)
COMPLAINT = "complaint"
"""The follow-up reason of a comment staff marked as a complaint."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    """``level_required``, ``level_invalid``, ``not_asked``, ``comment_too_long``,
    ``text_invalid``, ``serial_required``, ``serial_invalid``."""


class AnswerRefused(Exception):
    """The answer breaks at least one rule; nothing is stored."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(", ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = problems


def _level(value: object) -> Level | None:
    """A level from the form's text ``"2"`` or the API's integer 2; None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip() in ("0", "1", "2"):
        return Level(int(value.strip()))
    if isinstance(value, int) and value in (0, 1, 2):
        return Level(value)
    return None


def clean_text(text: str | None, field: str, most: int) -> tuple[str | None, FieldProblem | None]:
    """Free text as stored: line ends as ``\\n``, trimmed, empty as None; too long or
    carrying a NUL (which PostgreSQL's text refuses) is a problem, never a 500."""
    if text is None:
        return None, None
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in cleaned:
        return None, FieldProblem(field, "text_invalid")
    if len(cleaned) > most:
        return None, FieldProblem(field, "comment_too_long")
    return cleaned or None, None


def _chosen_levels(
    levels: Mapping[str, object], asked: tuple[Criterion, ...], problems: list[FieldProblem]
) -> dict[Criterion, Level]:
    """The levels sent for asked criteria; a level for anything else, or no level, is a
    problem (appended to ``problems``)."""
    chosen: dict[Criterion, Level] = {}
    for key, value in levels.items():
        if key not in _KEYS or Criterion(key) not in asked:
            if value not in (None, ""):
                problems.append(FieldProblem(key, "not_asked"))
            continue
        if value in (None, ""):
            continue
        level = _level(value)
        if level is None:
            problems.append(FieldProblem(key, "level_invalid"))
        else:
            chosen[Criterion(key)] = level
    return chosen


def _overall_level(overall: object, problems: list[FieldProblem]) -> Level | None:
    """The overall level, which every answer needs; else a problem in ``problems``."""
    level = _level(overall) if overall not in (None, "") else None
    if level is None:
        code = "level_required" if overall in (None, "") else "level_invalid"
        problems.append(FieldProblem("overall", code))
    return level


def parse_answer(
    levels: Mapping[str, object], overall: object, comment: str | None, *, online: bool
) -> Answer:
    """The answer from what was sent, criterion key → level (text or integer).

    Every asked criterion but the optional ones needs a level; criterion 8 is asked only of
    an online dossier, so sending it for another is refused (``not_asked``), as is a key
    that is no criterion. Raises :class:`AnswerRefused` listing every problem at once.
    """
    asked = criteria_for(online)
    problems: list[FieldProblem] = []
    chosen = _chosen_levels(levels, asked, problems)
    for criterion in asked:
        named = any(p.field == criterion.value for p in problems)
        if criterion not in chosen and criterion not in OPTIONAL and not named:
            problems.append(FieldProblem(criterion.value, "level_required"))
    overall_level = _overall_level(overall, problems)
    text, problem = clean_text(comment, "comment", COMMENT_MAX)
    if problem:
        problems.append(problem)
    if problems:
        raise AnswerRefused(problems)
    assert overall_level is not None
    ordered = {c: chosen[c] for c in asked if c in chosen}
    return Answer(ordered, overall_level, text)


def parse_serial(text: str | None) -> str:
    """A paper form's serial: printed digits and letters, ``-`` and ``/``; required."""
    serial = (text or "").strip().upper()
    if not serial:
        raise AnswerRefused([FieldProblem("paper_serial", "serial_required")])
    allowed = all(ch.isascii() and (ch.isalnum() or ch in "-/.") for ch in serial)
    if not allowed or len(serial) > SERIAL_MAX:
        raise AnswerRefused([FieldProblem("paper_serial", "serial_invalid")])
    return serial


def followup_reasons(answer: Answer | None, *, complaint: bool) -> tuple[str, ...]:
    """Why a follow-up opens: each "Không hài lòng" (criterion keys, ``overall``) and a
    comment marked as a complaint; empty when none does."""
    found = answer.dissatisfied if answer is not None else ()
    return (*found, COMPLAINT) if complaint else found
