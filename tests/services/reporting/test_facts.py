"""A dossier's fact follows its events once each, in the legal and the portal's view."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from motcua.calendar import default_calendar
from motcua.contracts import EventType
from motcua.delivery import DeliveryState
from motcua.web import TEXTS
from services.reporting.facts import (
    DossierFact,
    DossierState,
    NoticeFact,
    apology_fact,
    apply_dossier_event,
    apply_notice_event,
    dossier_step,
    notice_key,
    rating_fact,
)
from services.reporting.formulas.timeliness import Finish
from tests.services.reporting.events import Dossier, at

CALENDAR = default_calendar()


def story(dossier: Dossier, *events: dict[str, Any]) -> DossierFact:
    fact = None
    for event in events:
        fact = apply_dossier_event(fact, event, CALENDAR)
    assert fact is not None
    return fact


def test_a_dossier_finished_before_its_day_is_early_in_both_views() -> None:
    d = Dossier(due_at=at(11, 9))
    fact = story(d, d.received(), d.completed(at(10, 15)), d.returned(at(11, 8), "postal"))
    assert fact.state == DossierState.FINISHED
    assert (fact.legal_finish, fact.portal_finish) == (Finish.EARLY, Finish.EARLY)
    assert fact.finished_at == at(10, 15)
    assert (fact.returned_at, fact.returned_channel) == (at(11, 8), "postal")


def test_a_supplement_restarts_the_legal_clock_but_the_portal_subtracts_the_wait() -> None:
    # Due Wed 11th 09:00; asked for a supplement Tue 3rd 09:00, back Tue 10th 09:00: the
    # legal clock restarts (due the 19th), the portal adds 5 working days (due the 18th).
    d = Dossier(due_at=at(11, 9))
    fact = story(
        d,
        d.received(),
        d.supplement_requested(at(3, 9)),
        d.supplement_received(at(10, 9), new_due=at(19, 9)),
        d.completed(at(18, 16)),
    )
    assert fact.supplement_requests == 1
    assert fact.supplement_waiting == timedelta(hours=40)
    assert fact.legal_finish is Finish.EARLY
    assert fact.portal_finish is Finish.LATE  # 18th 16:00 is after the portal's 18th 09:00


def test_a_second_supplement_request_is_late_for_the_portal_whatever_the_dates() -> None:
    d = Dossier(due_at=at(11, 9))
    fact = story(
        d,
        d.received(),
        d.supplement_requested(at(3, 9)),
        d.supplement_received(at(3, 10), new_due=at(12, 10)),
        d.supplement_requested(at(4, 9)),
        d.supplement_received(at(4, 10), new_due=at(13, 10)),
        d.completed(at(5, 9)),
    )
    assert (fact.legal_finish, fact.portal_finish) == (Finish.EARLY, Finish.LATE)


def test_redelivered_and_stale_events_change_nothing() -> None:
    d = Dossier()
    received, completed = d.received(), d.completed(at(12, 9))
    once = story(d, received, completed)
    assert apply_dossier_event(once, completed, CALENDAR) is once
    assert apply_dossier_event(once, received, CALENDAR) is once


def test_an_event_without_its_receipt_leaves_nothing_to_count() -> None:
    d = Dossier()
    d.received()
    assert apply_dossier_event(None, d.completed(at(5, 9)), CALENDAR) is None


def test_rejection_withdrawal_and_the_last_handler_are_kept() -> None:
    d = Dossier()
    fact = story(d, d.received(), d.assigned(at(3, 9), "can-bo-7"), d.rejected(at(4, 9)))
    assert (fact.state, fact.ended_at, fact.handler_ref) == (
        DossierState.REJECTED,
        at(4, 9),
        "can-bo-7",
    )
    w = Dossier()
    assert story(w, w.received(), w.withdrawn(at(5, 9))).state == DossierState.WITHDRAWN


def test_a_letter_is_in_time_up_to_one_working_day_before_the_appointment() -> None:
    d = Dossier(due_at=at(11, 9))  # Wednesday 09:00: the letter is due Tuesday 09:00
    assert apology_fact(d.apology(at(10, 9), at(13, 9)), CALENDAR).in_time
    late = apology_fact(d.apology(at(10, 9, minute=1), at(13, 9)), CALENDAR)
    assert late.apology_deadline == at(10, 9)
    assert not late.in_time


def test_a_ratings_scores_are_kept_by_criterion_number() -> None:
    d = Dossier()
    fact = rating_fact(
        d.rated(at(12, 9), "satisfied", scores={"processing_time": 1, "feedback_handling": 0})
    )
    assert (fact.scores[0], fact.scores[6]) == (1, 0)
    assert fact.scores.count(None) == 7
    invalid = rating_fact(d.rated(at(12, 9), valid=False, channel="paper"))
    assert (invalid.valid, invalid.overall, invalid.invalid_reason) == (False, None, "unreadable")


def notices(*events: dict[str, Any]) -> NoticeFact:
    fact = None
    for event in events:
        fact = apply_notice_event(fact, event)
    assert fact is not None
    return fact


def test_a_notice_keeps_its_latest_state_and_when_it_was_sent() -> None:
    d = Dossier(due_at=at(11, 9))  # the letter is due to reach the citizen by Tue 10th 09:00
    sms = str(uuid.uuid4())
    sent = d.notice("sent", at(9, 15), message_id=sms, sent_at=at(9, 15))
    delivered = d.notice("delivered", at(9, 16), message_id=sms)  # the receipt names no time
    fact = notices(sent, delivered)
    assert fact.key == notice_key(delivered) == (d.dossier_id, 1, 1, sms)
    assert (fact.state, fact.sent_at, fact.apology_deadline) == (
        DeliveryState.DELIVERED,
        at(9, 15),
        at(10, 9),
    )
    assert fact.reached_in_time


def test_a_final_state_is_never_overwritten_nor_a_newer_one_by_an_older_event() -> None:
    d = Dossier(due_at=at(11, 9))
    sms = str(uuid.uuid4())
    sent = d.notice("sent", at(9, 15), message_id=sms, sent_at=at(9, 15))
    bounced = d.notice("failed_temporary", at(9, 15, minute=20), message_id=sms, sent_at=at(9, 15))
    failed = d.notice("failed_permanent", at(9, 15, minute=30), message_id=sms, sent_at=at(9, 15))
    final = notices(sent, failed)
    assert apply_notice_event(final, failed) is final  # redelivered
    assert apply_notice_event(final, sent) is final  # an older state after a final one
    contradicting = d.notice("delivered", at(9, 15, minute=40), message_id=sms)
    assert apply_notice_event(final, contradicting) is final  # a final state stays
    later = notices(sent, bounced)
    assert apply_notice_event(later, sent) is later  # older than the state kept
    assert not final.reached_in_time
    assert not later.reached_in_time  # failed for now: not there


def test_a_notice_sent_after_the_deadline_does_not_reach_in_time() -> None:
    d = Dossier(due_at=at(11, 9))
    sms = str(uuid.uuid4())
    late = notices(
        d.notice("sent", at(10, 9, minute=1), message_id=sms, sent_at=at(10, 9, minute=1)),
        d.notice("delivered", at(10, 9, minute=2), message_id=sms, sent_at=at(10, 9, minute=1)),
    )
    assert not late.reached_in_time


def test_a_notice_delivered_or_posted_without_a_sent_time_was_sent_by_then() -> None:
    d = Dossier(due_at=at(11, 9))
    delivered = notices(d.notice("delivered", at(9, 16), message_id=str(uuid.uuid4())))
    assert (delivered.sent_at, delivered.reached_in_time) == (at(9, 16), True)
    posted = notices(d.notice("posted", at(10, 10), message_id=str(uuid.uuid4()), channel="post"))
    assert (posted.sent_at, posted.reached_in_time) == (at(10, 10), False)


def test_each_lifecycle_event_is_a_step_of_the_timeline_with_what_a_leader_reads() -> None:
    d = Dossier(received_at=at(2, 9), due_at=at(11, 9))
    events = [
        d.received(),
        d.assigned(at(2, 10), "can-bo-a"),
        d.completed(at(12, 9)),
        d.returned(at(13, 8), "postal"),
    ]
    steps = [dossier_step(e) for e in events]
    assert [(s.sequence, s.step, s.at, s.detail) for s in steps] == [
        (1, "received", at(2, 9), "in_person"),
        (2, "assigned", at(2, 10), "can-bo-a"),
        (3, "completed", at(12, 9), "granted"),
        (4, "returned", at(13, 8), "postal"),
    ]
    assert {s.dossier_id for s in steps} == {d.dossier_id}


def test_every_step_of_a_timeline_has_its_vietnamese_words() -> None:
    d = Dossier()
    received = dossier_step(d.received())
    names = {kind.name.removeprefix("DOSSIER_").lower() for kind in EventType}
    assert received.step in names
    for kind in EventType:
        if kind.name.startswith("DOSSIER_"):
            assert TEXTS[f"reporting_step_{kind.name.removeprefix('DOSSIER_').lower()}"]
