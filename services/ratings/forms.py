"""Reading an HTML form's body and saying its problems back, for every ratings form.

Forms are ``application/x-www-form-urlencoded`` (no uploads), parsed here with the
standard library rather than a multipart parser the pages would never use.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from motcua.web import TEXTS, strings
from services.ratings.answers.criteria import Criterion
from services.ratings.answers.rules import FieldProblem

MAX_FORM_BYTES = 32_768
"""Ten times what a full form with a 2,000-character comment takes."""
REPEATED = "\x00repeated"
"""The value of a field sent more than once (a tampered form): every rule refuses it."""


async def read_form(request: Request) -> dict[str, str] | None:
    """The fields, one value each; None when the body is too big, not UTF-8 or too many
    fields."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields[key] = REPEATED if key in fields else value
    return fields


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
