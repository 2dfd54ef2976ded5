"""Saying a ratings form's problems back (the body is read by ``motcua.web.forms``)."""

from __future__ import annotations

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


def field_names() -> dict[str, str]:
    """How the error summary names each field."""
    names = {c.value: f"{c.number}. {strings.RATING_CRITERIA[c.value]}" for c in Criterion}
    names.update(
        overall=TEXTS["rate_overall"],
        comment=TEXTS["rate_comment"],
        paper_serial=TEXTS["paper_serial"],
        invalid_reason=TEXTS["paper_validity"],
    )
    return names
