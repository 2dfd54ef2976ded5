"""A dossier's skipped events are read back from the real partition: only that dossier's,
only the sequences asked for, only before the event that showed the gap, even when they lie
further back than the first look."""

from __future__ import annotations

import json
import uuid

import pytest

from motcua.kafka import TopicSpec, ensure_topics
from services.deadlines import missed
from services.deadlines.missed import read_missed
from tests.conftest import Infra
from tests.integration.kafka_log import produce_where


def _event(
    dossier: str, sequence: int
) -> tuple[bytes, bytes, list[tuple[str, str | bytes | None]]]:
    body = {"subject": dossier, "data": {"sequence": sequence}}
    return dossier.encode(), json.dumps(body).encode(), []


def test_the_skipped_events_are_found_before_the_gap(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = f"test-missed-{uuid.uuid4().hex[:8]}"
    ensure_topics(infra.bootstrap_servers, [TopicSpec(topic, "a test's", partitions=1)])
    ours, other = str(uuid.uuid4()), str(uuid.uuid4())
    messages = [_event(ours, 1), _event(ours, 2)]
    messages += [_event(other, n) for n in range(1, 40)]  # more than the first look below
    messages += [_event(ours, 3), _event(other, 40), _event(ours, 4), _event(ours, 5)]
    landed = produce_where(infra.bootstrap_servers, topic, messages)
    gap_at = landed[-2][1]  # sequence 4 showed the gap after 1
    monkeypatch.setattr(missed, "FIRST_LOOK", 10)
    found = read_missed(infra.bootstrap_servers, topic, 0, gap_at, ours, {2, 3})
    assert [(e["subject"], e["data"]["sequence"]) for e in found] == [(ours, 2), (ours, 3)]
    assert read_missed(infra.bootstrap_servers, topic, 0, gap_at, ours, {5}) == []
