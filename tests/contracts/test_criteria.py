"""The rating criteria are defined once: the contract's ``scores`` keys, in the law's order,
and every reader (the page texts, the follow-up reasons) follows that one list."""

from __future__ import annotations

import json
from typing import Any

from motcua.contracts import Criterion, schemas_dir
from motcua.web import strings

KEYS = [criterion.value for criterion in Criterion]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((schemas_dir() / "events" / name).read_text("utf-8"))
    return schema


def test_the_criteria_are_the_scores_of_rating_submitted_in_order() -> None:
    scores = _schema("rating.submitted.v1.json")["properties"]["scores"]
    assert list(scores["properties"]) == KEYS
    assert scores["additionalProperties"] is False


def test_a_followups_reasons_are_the_criteria_then_overall_and_complaint() -> None:
    for name in ("rating.followup_opened.v1.json", "rating.followup_closed.v1.json"):
        reasons = _schema(name)["properties"]["reasons"]["items"]["enum"]
        assert reasons == [*KEYS, "overall", "complaint"]


def test_numbered_as_the_paper_form_prints_them() -> None:
    assert [criterion.number for criterion in Criterion] == list(range(1, 10))
    assert Criterion.ONLINE_SERVICE.number == 8


def test_every_criterion_has_its_one_label_in_the_law_order() -> None:
    assert list(strings.RATING_CRITERIA) == list(Criterion)
    assert all(strings.RATING_CRITERIA[key] for key in KEYS)
