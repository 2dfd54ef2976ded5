"""Retention per record class: which dossiers count, from when, and until when."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.intake.dossier.state import DossierState
from services.intake.personal.retention import RetentionPolicy, subject_hash, years_before

POLICY = RetentionPolicy(result_years=10, refused_years=5)
CLOSED = datetime(2016, 2, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "ends"),
    [
        (DossierState.COMPLETED, datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
        (DossierState.RETURNED, datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
        (DossierState.REJECTED, datetime(2021, 2, 28, 9, 0, tzinfo=UTC)),
        (DossierState.WITHDRAWN, datetime(2021, 2, 28, 9, 0, tzinfo=UTC)),
        (DossierState.RECEIVED, None),
        (DossierState.PAUSED, None),
    ],
)
def test_retention_ends_by_class_and_an_open_dossier_never_ends(
    state: DossierState, ends: datetime | None
) -> None:
    assert POLICY.ends(state, CLOSED) == ends


def test_cutoffs_are_the_years_of_each_class_back_from_now() -> None:
    now = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert POLICY.closed_before(now) == (
        datetime(2018, 2, 28, 12, 0, tzinfo=UTC),
        datetime(2023, 2, 28, 12, 0, tzinfo=UTC),
    )
    assert years_before(now, 4) == datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


def test_the_subject_hash_depends_on_the_key_and_hides_the_number() -> None:
    assert subject_hash(b"k", "001190012345") == subject_hash(b"k", "001190012345")
    assert subject_hash(b"k", "001190012345") != subject_hash(b"other", "001190012345")
    assert b"001190012345" not in subject_hash(b"k", "001190012345")
