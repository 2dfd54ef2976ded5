"""The form's content and the rules of an answer, without any I/O."""

from __future__ import annotations

import pytest

from motcua.contracts import Criterion
from motcua.web import strings
from services.ratings.answers.rules import (
    AnswerRefused,
    FieldProblem,
    followup_reasons,
    parse_answer,
    parse_serial,
)
from services.ratings.criteria import OPTIONAL, Level, criteria_for
from services.ratings.models import Answer


def all_levels(online: bool, level: str = "2") -> dict[str, object]:
    return {c.value: level for c in criteria_for(online)}


def test_the_nine_criteria_of_article_31_in_order_with_their_official_texts() -> None:
    assert [c.number for c in Criterion] == list(range(1, 10))
    assert set(strings.RATING_CRITERIA) == {c.value for c in Criterion}
    assert strings.RATING_LEVELS == {2: "Rất hài lòng", 1: "Hài lòng", 0: "Không hài lòng"}
    assert [int(level) for level in Level] == [2, 1, 0]


def test_criterion_8_is_asked_only_of_an_online_dossier() -> None:
    assert Criterion.ONLINE_SERVICE in criteria_for(True)
    assert Criterion.ONLINE_SERVICE not in criteria_for(False)
    assert len(criteria_for(False)) == 8


def test_a_complete_answer_keeps_the_decree_order_and_scores() -> None:
    answer = parse_answer(all_levels(True, "1"), "2", "  Tốt  ", online=True)
    assert list(answer.scores) == [c.value for c in Criterion]
    assert set(answer.scores.values()) == {1}
    assert answer.overall is Level.VERY_SATISFIED
    assert answer.comment == "Tốt"


def test_every_missing_required_level_is_named_at_once() -> None:
    with pytest.raises(AnswerRefused) as refused:
        parse_answer({}, None, None, online=False)
    fields = {p.field for p in refused.value.problems}
    required = {c.value for c in criteria_for(False) if c not in OPTIONAL}
    assert fields == required | {"overall"}
    assert {p.code for p in refused.value.problems} == {"level_required"}


def test_optional_criteria_may_be_left_blank() -> None:
    levels = all_levels(False)
    for criterion in OPTIONAL:
        levels[criterion.value] = ""
    answer = parse_answer(levels, "1", None, online=False)
    assert not OPTIONAL & set(answer.levels)


@pytest.mark.parametrize("value", ["3", "-1", "x", True, 2.0, "\x00repeated"])
def test_a_tampered_level_is_refused(value: object) -> None:
    levels = all_levels(False)
    levels["visits"] = value
    with pytest.raises(AnswerRefused) as refused:
        parse_answer(levels, "2", None, online=False)
    assert refused.value.problems == [FieldProblem("visits", "level_invalid")]


def test_criterion_8_sent_for_a_paper_dossier_or_an_unknown_key_is_refused() -> None:
    levels = {**all_levels(False), "online_service": "2", "speed": "1"}
    with pytest.raises(AnswerRefused) as refused:
        parse_answer(levels, "2", None, online=False)
    assert {(p.field, p.code) for p in refused.value.problems} == {
        ("online_service", "not_asked"),
        ("speed", "not_asked"),
    }


def test_the_comment_is_at_most_2000_characters_counting_a_line_end_once() -> None:
    parse_answer(all_levels(False), "2", "a\r\n" * 1000, online=False)
    with pytest.raises(AnswerRefused) as refused:
        parse_answer(all_levels(False), "2", "a" * 2001, online=False)
    assert refused.value.problems == [FieldProblem("comment", "comment_too_long")]
    with pytest.raises(AnswerRefused):
        parse_answer(all_levels(False), "2", "nul\x00", online=False)


def test_a_script_in_the_comment_is_kept_as_text_for_escaping_at_display() -> None:
    answer = parse_answer(all_levels(False), "2", "<script>alert(1)</script>", online=False)
    assert answer.comment == "<script>alert(1)</script>"


def test_a_dissatisfied_level_anywhere_or_a_complaint_opens_a_follow_up() -> None:
    happy = parse_answer(all_levels(False), "2", None, online=False)
    assert followup_reasons(happy, complaint=False) == ()
    assert followup_reasons(happy, complaint=True) == ("complaint",)
    levels = all_levels(False)
    levels["staff_conduct"] = "0"
    unhappy = parse_answer(levels, "0", None, online=False)
    assert followup_reasons(unhappy, complaint=False) == ("staff_conduct", "overall")
    assert followup_reasons(None, complaint=False) == ()


def test_answer_dissatisfied_lists_criteria_then_overall() -> None:
    answer = Answer({Criterion.VISITS: Level.DISSATISFIED}, Level.SATISFIED)
    assert answer.dissatisfied == ("visits",)


@pytest.mark.parametrize(("text", "expected"), [(" ab-12/3 ", "AB-12/3"), ("0001234", "0001234")])
def test_a_paper_serial_is_normalised(text: str, expected: str) -> None:
    assert parse_serial(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "serial_required"), ("số 1", "serial_invalid"), ("1" * 41, "serial_invalid")],
)
def test_a_bad_paper_serial_is_named(text: str, code: str) -> None:
    with pytest.raises(AnswerRefused) as refused:
        parse_serial(text)
    assert refused.value.problems == [FieldProblem("paper_serial", code)]
