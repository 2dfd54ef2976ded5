"""Every figure counts each event once — across redelivery, a poison message and a restart
— with the consumed offsets stored beside the facts, read back through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from motcua.identity import Role, TokenIssuer
from services.reporting.projection import Applied
from tests.conftest import Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    sign_in,
    stored_offsets,
)
from tests.services.reporting.events import Dossier, at


def november_story(province: Province) -> tuple[list[dict[str, Any]], dict[str, Dossier]]:
    """Seven dossiers of November 2026 in the province, with a known outcome each."""
    early = province.dossier(due_at=at(11, 9))
    late_letter = province.dossier(due_at=at(11, 9))
    late_silent = province.dossier(commune=1, due_at=at(11, 9))
    overdue = province.dossier(commune=1, due_at=at(20, 9), channel="online")
    rejected = province.dossier(channel="postal")
    withdrawn = province.dossier()
    twice = province.dossier(due_at=at(11, 9))
    events = [
        early.received(),
        early.completed(at(10, 15)),
        early.returned(at(11, 8), "postal"),
        early.invited(at(11, 8)),
        early.rated(at(11, 9), "very_satisfied", scores={"processing_time": 2, "visits": 2}),
        late_letter.received(),
        late_letter.apology(at(10, 8), at(13, 9)),  # by Tue 09:00: in time
        late_letter.rescheduled(at(10, 8), at(13, 9)),
        late_letter.completed(at(16, 9)),  # after even the new date: late
        late_letter.invited(at(16, 10)),
        late_letter.rated(at(16, 11), "dissatisfied", scores={"processing_time": 0}),
        late_silent.received(),
        late_silent.completed(at(12, 9)),
        late_silent.invited(at(12, 10)),
        late_silent.rated(at(12, 11), valid=False, channel="paper"),
        overdue.received(),
        rejected.received(),
        rejected.rejected(at(3, 9)),
        withdrawn.received(),
        withdrawn.withdrawn(at(4, 9)),
        twice.received(),
        twice.supplement_requested(at(3, 9)),
        twice.supplement_received(at(3, 10), new_due=at(12, 10)),
        twice.supplement_requested(at(4, 9)),
        twice.supplement_received(at(4, 10), new_due=at(13, 10)),
        twice.completed(at(5, 9)),
    ]
    return events, {"early": early, "late_letter": late_letter, "late_silent": late_silent}


EXPECTED = {
    "received": 7,
    "received_in_person": 5,
    "received_online": 1,
    "received_postal": 1,
    "finished": 4,
    "finished_early": 2,
    "finished_late": 2,
    "portal_late": 3,  # the dossier asked twice for a supplement is late for the portal
    "late_letter_in_time": 1,
    "late_without_letter": 1,
    "in_progress": 1,
    "in_progress_on_time": 0,  # at the end of November its appointment (the 20th) had passed
    "in_progress_overdue": 1,
    "rejected": 1,
    "withdrawn": 1,
    "returned_postal": 1,
    "apology_letters": 1,
    "invited": 3,
    "invited_answered": 2,
    "ratings_valid": 2,
    "ratings_invalid": 1,
    "ratings_satisfied": 1,
    "ratings_dissatisfied": 1,
    "supplement_requests": 2,
    "criterion_1_points": 2,
    "criterion_1_rated": 2,
}


def test_every_figure_counts_each_event_once_across_redelivery_and_poison(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
) -> None:
    events, _ = november_story(province)
    topics.publish(events)
    topics.publish(events)  # every event delivered twice
    topics.publish([], raw=[b"not json", b'{"specversion": "1.0"}'])
    sent = 2 * len(events) + 2
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == sent, what="all offsets stored")

    sign_in(client, signer, province.code, Role.LEADER)
    summary = client.get("/v1/reports/summary", params={"period": "2026-11"})
    assert summary.status_code == 200, summary.text
    counts = summary.json()["counts"]
    assert {name: counts[name] for name in EXPECTED} == EXPECTED
    figures = summary.json()["figures"]
    assert figures["apology_compliance"] == 0.5
    assert figures["satisfaction_rate"] == 0.5  # the invalid paper form is not in it
    assert figures["response_rate"] == 0.6667
    assert figures["criterion_scores"]["1"] == 1.0
    assert figures["criterion_scores"]["3"] == 2.0


def test_a_restart_resumes_from_the_offsets_stored_with_the_figures(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
) -> None:
    """A second worker of another consumer group — to which Kafka's committed offsets say
    nothing — applies only what the first had not stored."""
    first = [province.dossier() for _ in range(20)]
    topics.publish([d.received() for d in first])
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 20, what="first batch stored")
    second = [province.dossier() for _ in range(5)]
    topics.publish([d.received() for d in second] + [first[0].completed(at(5, 9))])
    applied: list[Applied] = []
    resumed = consumer_for(infra, reporting_db, topics)
    resumed.on_batch = applied.append
    with consuming(resumed):
        wait_for(lambda: stored_offsets(reporting_db, topics) == 26, what="the rest stored")
    assert sum(sum(batch.events.values()) for batch in applied) == 6
    with psycopg.connect(reporting_db) as conn:
        row = conn.execute(
            "SELECT count(*), count(finished_at) FROM dossiers WHERE unit_path @> ARRAY[%s]",
            (province.code,),
        ).fetchone()
    assert row == (25, 1)
