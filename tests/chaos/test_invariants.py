"""Each invariant fails on the harm it is there to catch, and passes on a healthy run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.chaos.invariants import (
    Alert,
    Check,
    Evidence,
    IntakeDossier,
    Letter,
    ReportingDossier,
    check_all,
    deadlines_saw_every_event,
    every_process_still_running,
    groups_caught_up,
    nothing_accepted_missing,
    one_alert_id_per_episode,
    one_invitation_per_finished_dossier,
    one_letter_per_late_episode,
    one_resolved_late_alert_per_late_finish,
    poison_dead_lettered,
    reporting_matches_intake,
    table,
)


def healthy() -> Evidence:
    """Three dossiers: d1 returned late (overdue, letter, resolved late), d2 rejected, d3
    still being worked on."""
    return Evidence(
        intake={
            "d1": IntakeDossier("returned", "U1", 5, finished_late=True),
            "d2": IntakeDossier("rejected", "U2", 2, finished_late=False),
            "d3": IntakeDossier("in_progress", "U1", 2, finished_late=False),
        },
        reporting={
            "d1": ReportingDossier("finished", "U1", 5, "late"),
            "d2": ReportingDossier("rejected", "U2", 2, None),
            "d3": ReportingDossier("in_progress", "U1", 2, None),
        },
        received_events={"d1": ["e1"], "d2": ["e2"], "d3": ["e3"]},
        alerts=[
            Alert("a1", "d1", "overdue", 1),
            Alert("a1", "d1", "overdue", 1),  # re-sent after a crash: the same id
            Alert("a2", "d1", "resolved_late", 1),
        ],
        drafted_letters={("d1", 1)},
        issued_letters=[Letter("d1", 1, "1/PXL"), Letter("d1", 1, "1/PXL")],
        invitations=[("i1", "d1"), ("i2", "d2"), ("i2", "d2")],
        invite_messages={"i1": 1},
        invitations_with_channel={"i1"},
        dead_letters={"p1": "malformed_json"},
        group_lag={"motcua-reporting": 0},
        accepted={"up-1": "C1", "up-2": "C2"},
        recorded_events={"up-1", "up-2", "up-3"},
        poison={"p1": "malformed_json"},
        produced={"up-3": "C1", "up-4": "C1"},
        dead_lettered={"up-4": "out_of_order"},
        clocks={"d1": 5, "d2": 2, "d3": 2},
    )


def test_a_healthy_run_passes_every_check_and_prints_a_table() -> None:
    checks = check_all(healthy())
    assert [c.passed for c in checks] == [True] * len(checks), checks
    printed = table(checks)
    assert printed.count("| pass |") == len(checks)
    assert "FAIL" not in printed


@pytest.mark.parametrize(
    ("check", "harm"),
    [
        (
            reporting_matches_intake,
            {
                "reporting": {
                    **healthy().reporting,
                    "d3": ReportingDossier("in_progress", "U1", 1, None),
                }
            },
        ),
        (
            reporting_matches_intake,
            {"reporting": {k: v for k, v in healthy().reporting.items() if k != "d2"}},
        ),
        (
            one_invitation_per_finished_dossier,
            {"invitations": [("i1", "d1"), ("i2", "d2"), ("i3", "d2")]},
        ),
        (one_invitation_per_finished_dossier, {"invitations": [("i1", "d1")]}),
        (one_invitation_per_finished_dossier, {"invite_messages": {"i1": 2}}),
        (one_resolved_late_alert_per_late_finish, {"alerts": [Alert("a1", "d1", "overdue", 1)]}),
        (
            one_resolved_late_alert_per_late_finish,
            {"alerts": [*healthy().alerts, Alert("a9", "d1", "resolved_late", 1)]},
        ),
        (
            one_alert_id_per_episode,
            {"alerts": [*healthy().alerts, Alert("a8", "d1", "overdue", 1)]},
        ),
        (one_letter_per_late_episode, {"drafted_letters": set()}),
        (
            one_letter_per_late_episode,
            {"issued_letters": [Letter("d1", 1, "1/PXL"), Letter("d1", 1, "2/PXL")]},
        ),
        (poison_dead_lettered, {"dead_letters": {}}),
        (poison_dead_lettered, {"dead_letters": {"p1": "internal_error"}}),
        (groups_caught_up, {"group_lag": {"motcua-reporting": 3}}),
        (nothing_accepted_missing, {"recorded_events": {"up-1", "up-3"}}),
        (
            nothing_accepted_missing,
            {"received_events": {"d1": ["e1", "e9"], "d2": ["e2"], "d3": ["e3"]}},
        ),
        (nothing_accepted_missing, {"refused": ["up-3: 409"]}),
        (nothing_accepted_missing, {"dead_lettered": {}}),
        (nothing_accepted_missing, {"dead_lettered": {"up-4": "internal_error"}}),
        (one_letter_per_late_episode, {"letters_refused": ["out_of_order"]}),
        (deadlines_saw_every_event, {"events_missed": ["d1"]}),
        (deadlines_saw_every_event, {"clocks": {"d1": 4, "d2": 2, "d3": 2}}),
        (deadlines_saw_every_event, {"clocks": {"d1": 5, "d2": 2}}),
        (deadlines_saw_every_event, {"clocks": None}),
        (every_process_still_running, {"stopped": ["deadlines"]}),
    ],
)
def test_each_check_fails_on_the_harm_it_watches_for(
    check: Callable[[Evidence], Check], harm: dict[str, Any]
) -> None:
    assert check(healthy()).passed
    failed = check(replace(healthy(), **harm))
    assert not failed.passed, failed


def test_a_run_that_saw_nothing_does_not_pass() -> None:
    empty = Evidence({}, {}, {}, [], set(), [], [], {}, set(), {}, {}, {}, set())
    checks = {c.name: c.passed for c in check_all(empty)}
    # Nothing missed is no proof of anything; every check that counts something fails.
    assert [name for name, passed in checks.items() if passed] == ["every process still running"]
