"""Saying a ratings form's problems back (the body is read by ``motcua.web.forms``)."""

from __future__ import annotations

from collections.abc import Sequence

from motcua.contracts import Criterion
from motcua.web import TEXTS, strings
from services.ratings.answers.rules import FieldProblem


def problems_by_field(problems: list[FieldProblem]) -> dict[str, str]:
    """Field → rule code, the first problem of each field, in the form's order."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(problem.field, problem.code)
    order = [c.value for c in Criterion] + ["overall", "comment"]
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99))


def field_names(asked: Sequence[Criterion]) -> dict[str, str]:
    """How the error summary names each field: the criteria numbered as the form shows
    them, one after the other (criterion 8 is not asked of a dossier filed at the counter,
    so the form's 8 is then the Decree's 9)."""
    names = {c.value: f"{n}. {strings.RATING_CRITERIA[c.value]}" for n, c in enumerate(asked, 1)}
    names.update(
        overall=TEXTS["rate_overall"],
        comment=TEXTS["rate_comment"],
        paper_serial=TEXTS["paper_serial"],
        invalid_reason=TEXTS["paper_validity"],
    )
    return names
