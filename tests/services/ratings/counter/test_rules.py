"""The counter's pure rules: the masked number, the rating's reference, the criteria
numbered as the form asks them, and the summary a used serial gets."""

from __future__ import annotations

import uuid

import pytest

from motcua.contracts import Criterion
from services.ratings.answers.forms import field_names
from services.ratings.counter.intake import IntakeDossier
from services.ratings.counter.rules import NOT_RATED, CallOutcome, mask_phone, rating_reference
from services.ratings.criteria import criteria_for
from services.ratings.staff.entry import summary_texts


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("0912345678", "09••••••78"),
        ("091 234 5678", "09••••••78"),
        ("+84912345678", "+8••••••••78"),
        ("1234", "••••"),
        ("", ""),
    ],
)
def test_a_number_shows_its_first_and_last_two_digits_only(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


def test_a_ratings_reference_is_short_and_its_own() -> None:
    rating = uuid.UUID("62a72bc0-1234-4cde-8f00-0123456789ab")
    assert rating_reference(rating) == "ĐG-62A72BC0"
    assert rating_reference(uuid.uuid4()) != rating_reference(uuid.uuid4())


def test_only_the_calls_without_an_answer_are_recorded_without_a_form() -> None:
    assert CallOutcome.ANSWERED not in NOT_RATED
    assert {o.value for o in NOT_RATED} == {"unreachable", "declined"}


def test_the_criteria_are_numbered_one_after_the_other_as_asked() -> None:
    counter = field_names(criteria_for(False))
    assert counter[Criterion.OTHER.value].startswith("8. Các nội dung khác")
    assert Criterion.ONLINE_SERVICE.value not in counter
    online = field_names(criteria_for(True))
    assert online[Criterion.ONLINE_SERVICE.value].startswith("8. ")
    assert online[Criterion.OTHER.value].startswith("9. ")
    assert "nếu có" not in " ".join(online.values())


def test_a_used_serial_is_not_called_an_incomplete_form() -> None:
    title, intro = summary_texts({"paper_serial": "serial_used"})
    assert title == "Số sê-ri đã được dùng"
    assert "chưa đầy đủ" not in intro
    assert summary_texts({"overall": "level_required"})[1].startswith("Phiếu chưa đầy đủ")


@pytest.mark.parametrize(
    ("state", "finished"),
    [("received", False), ("completed", False), ("returned", True), ("rejected", True)],
)
def test_a_dossier_is_finished_once_returned_or_rejected(state: str, finished: bool) -> None:
    assert IntakeDossier(("000.00.00.H01",), state).finished is finished
