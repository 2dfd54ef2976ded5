"""History (the history importer's events) invites nobody, and says so in a metric; the
same consumer still invites for today's returned dossiers."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from motcua.contracts import EventType, History
from motcua.kafka import Topic
from services.ratings.app import create_app
from tests.conftest import Infra
from tests.integration import kafka_log
from tests.integration.conftest import wait_for
from tests.integration.ratings.conftest import (
    INVITATIONS,
    closed_event,
    count,
    produce,
    ratings_settings,
)


def _not_invited(history: History, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "motcua_ratings_history_not_invited_total",
        {"history": history.value, "outcome": outcome},
    )
    return value or 0.0


def _consumed(infra: Infra, group: str, ends: dict[int, int]) -> bool:
    committed = kafka_log.committed(infra.bootstrap_servers, group, Topic.DOSSIER_EVENTS.value)
    return all(committed.get(p, -1) >= end for p, end in ends.items() if end > 0)


def test_history_invites_nobody_and_today_still_invites(infra: Infra, ratings_url: str) -> None:
    closed, still_open, today = (str(uuid.uuid4()) for _ in range(3))
    events = [
        closed_event(closed) | {"history": History.CLOSED.value},
        closed_event(closed, kind=EventType.DOSSIER_REJECTED) | {"history": "closed"},
        closed_event(still_open) | {"history": History.OPEN.value},
        closed_event(today),
    ]
    before = {
        (mark, outcome): _not_invited(mark, outcome)
        for mark in History
        for outcome in ("returned", "rejected")
    }
    settings = ratings_settings(infra, ratings_url, invitations_enabled=True)
    topic = Topic.DOSSIER_EVENTS.value
    kafka_log.start_group_at_end(infra.bootstrap_servers, settings.ratings_group_id, [topic])
    produce(infra, events)
    ends = kafka_log.ends(infra.bootstrap_servers, topic)
    with TestClient(create_app(settings)):
        wait_for(lambda: count(ratings_url, INVITATIONS, [today]) == 1, what="today's invitation")
        wait_for(lambda: _consumed(infra, settings.ratings_group_id, ends), what="the batch")
    assert count(ratings_url, INVITATIONS, [closed, still_open]) == 0
    counted = {key: _not_invited(*key) - value for key, value in before.items()}
    # At least ours: other sessions may import history on the shared topic meanwhile.
    assert counted[(History.CLOSED, "returned")] >= 1
    assert counted[(History.CLOSED, "rejected")] >= 1
    assert counted[(History.OPEN, "returned")] >= 1
