"""The dossier state machine, transition by transition."""

from __future__ import annotations

import pytest

from services.intake.dossier.state import DossierState, IllegalTransition, Transition
from services.intake.dossier.transitions import SPECS, allowed_transitions, next_state

S, T = DossierState, Transition

LEGAL = [
    (S.RECEIVED, T.ASSIGN, S.IN_PROGRESS),
    (S.IN_PROGRESS, T.TRANSFER, S.IN_PROGRESS),
    (S.IN_PROGRESS, T.REQUEST_SUPPLEMENT, S.AWAITING_SUPPLEMENT),
    (S.AWAITING_SUPPLEMENT, T.RECEIVE_SUPPLEMENT, S.IN_PROGRESS),
    (S.IN_PROGRESS, T.PAUSE, S.PAUSED),
    (S.PAUSED, T.RESUME, S.IN_PROGRESS),
    (S.IN_PROGRESS, T.COMPLETE, S.COMPLETED),
    (S.RECEIVED, T.COMPLETE, S.COMPLETED),
    (S.COMPLETED, T.RETURN_RESULT, S.RETURNED),
    (S.PAUSED, T.REJECT, S.REJECTED),
    (S.AWAITING_SUPPLEMENT, T.WITHDRAW, S.WITHDRAWN),
]


@pytest.mark.parametrize(("current", "transition", "target"), LEGAL)
def test_legal_transitions(
    current: DossierState, transition: Transition, target: DossierState
) -> None:
    assert next_state(current, transition) is target


@pytest.mark.parametrize(
    ("current", "transition"),
    [
        (S.RECEIVED, T.RESUME),
        (S.PAUSED, T.COMPLETE),
        (S.AWAITING_SUPPLEMENT, T.ASSIGN),
        (S.COMPLETED, T.REJECT),
        (S.RETURNED, T.RETURN_RESULT),
        (S.WITHDRAWN, T.ASSIGN),
    ],
)
def test_illegal_transition_names_the_state_and_what_is_allowed(
    current: DossierState, transition: Transition
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        next_state(current, transition)
    assert caught.value.current is current
    assert current.value in str(caught.value)
    for allowed in allowed_transitions(current):
        assert allowed.value in str(caught.value)


@pytest.mark.parametrize("closed", [S.RETURNED, S.REJECTED, S.WITHDRAWN])
def test_closed_dossiers_allow_nothing(closed: DossierState) -> None:
    assert allowed_transitions(closed) == []
    assert not closed.is_open


def test_completed_dossier_can_only_return_its_result() -> None:
    assert allowed_transitions(S.COMPLETED) == [T.RETURN_RESULT]


def test_a_reschedule_keeps_the_state_and_is_not_offered_to_upstream_systems() -> None:
    for state in (S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.PAUSED):
        assert next_state(state, T.RESCHEDULE) is state
        assert T.RESCHEDULE not in allowed_transitions(state)
        assert allowed_transitions(state, "apology_letters") == [T.RESCHEDULE]
    with pytest.raises(IllegalTransition):
        next_state(S.COMPLETED, T.RESCHEDULE)


def test_every_transition_has_a_rule_and_an_event_type() -> None:
    assert set(SPECS) == set(Transition)
    assert all(spec.event_type.value.startswith("vn.motcua.dossier.") for spec in SPECS.values())
