"""The 766 groups Motcua computes, and the ones it names instead of guessing."""

from __future__ import annotations

from decimal import Decimal

from services.reporting.formulas import portal766


def test_a_part_below_its_threshold_scores_in_proportion_and_full_above_it() -> None:
    group = portal766.online_service(
        procedures_online=4, procedures=10, online_dossiers=30, dossiers=50
    )
    # 40% of procedures online against 80%: half of 6; 60% of dossiers online ≥ 50%: 6.
    assert [p.points for p in group.parts] == [Decimal("3.00"), Decimal("6.00")]
    assert group.points == Decimal("9.00")


def test_silence_counts_as_satisfaction_in_the_766_ratio() -> None:
    # 100 finished, 5 late, 3 dissatisfied answers, 90 citizens silent: 92%.
    assert portal766.handling_satisfaction(late=5, dissatisfied=3, finished=100) == Decimal(
        "0.9200"
    )
    assert portal766.handling_satisfaction(late=80, dissatisfied=40, finished=100) == 0
    assert portal766.handling_satisfaction(late=0, dissatisfied=0, finished=0) is None


def test_a_group_with_a_part_motcua_cannot_compute_has_no_total() -> None:
    group = portal766.satisfaction(
        followups_on_time=9, followups=10, late=0, dissatisfied=0, finished=10
    )
    assert group.not_computed == ("feedback_satisfaction",)
    assert group.points is None
    assert [p.points for p in group.parts] == [Decimal("6.00"), Decimal("6.00")]
    assert set(portal766.NOT_COMPUTED_GROUPS) == {"transparency", "online_payment", "digitisation"}


def test_timeliness_has_no_number_without_dossiers() -> None:
    assert portal766.timeliness(on_time=0, handled=0).points is None
    assert portal766.timeliness(on_time=19, handled=20).points == Decimal("19.00")
