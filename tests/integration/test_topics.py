"""The declared topics on a real broker: created with their configuration, and an existing
topic brought to the declared retention without touching its partitions."""

from __future__ import annotations

import uuid

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from motcua.kafka import TOPICS, TopicSpec, ensure_internal_topics, ensure_topics
from motcua.streaming import table_changelogs
from services.reporting.projection import TOPICS as REBUILT_FROM
from tests.conftest import Infra
from tests.integration.conftest import wait_for

YEAR_MS = 365 * 24 * 60 * 60 * 1000


def _retention(admin: AdminClient, name: str) -> int:
    resource = ConfigResource(ResourceType.TOPIC, name)
    config = admin.describe_configs([resource])[resource].result(timeout=30)
    return int(config["retention.ms"].value)


def test_what_reporting_rebuilds_from_is_kept_more_than_a_year(infra: Infra) -> None:
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    specs = {spec.name: spec for spec in TOPICS}
    for topic in REBUILT_FROM:
        assert int(specs[topic].config()["retention.ms"]) > YEAR_MS
        assert _retention(admin, topic.value) > YEAR_MS, topic


def test_an_existing_topic_gets_the_declared_retention_and_keeps_its_partitions(
    infra: Infra,
) -> None:
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    name = f"test-{uuid.uuid4().hex[:8]}"
    admin.create_topics(
        [NewTopic(name, num_partitions=2, replication_factor=1, config={"retention.ms": "1000"})]
    )[name].result(timeout=30)
    spec = TopicSpec(name, "a test's", partitions=6, retention_days=400)
    assert ensure_topics(infra.bootstrap_servers, [spec]) == []
    # The broker applies an accepted config change through its metadata log: a describe
    # right after it may still answer the old value for a moment.
    declared = 400 * 24 * 60 * 60 * 1000
    wait_for(lambda: _retention(admin, name) == declared, timeout_s=30, what="the retention")
    assert len(admin.list_topics(timeout=10).topics[name].partitions) == 2


def test_a_workers_own_topics_are_created_whole_and_led_before_it_starts(infra: Infra) -> None:
    """Faust's own declaration raced its consumer's metadata: a changelog seen with no
    partitions failed every table write (chaos run 48). Declared first, each topic is
    whole, led, and a changelog compacted, by the time the call returns."""
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    checks, changelog = f"test-{uuid.uuid4().hex[:8]}-checks", f"test-{uuid.uuid4().hex[:8]}-cl"
    created = ensure_internal_topics(
        infra.bootstrap_servers, [checks], partitions=3, compacted=[changelog]
    )
    assert sorted(created) == sorted([checks, changelog])
    topics = admin.list_topics(timeout=10).topics
    for name in (checks, changelog):
        assert len(topics[name].partitions) == 3, name
        assert all(p.leader >= 0 for p in topics[name].partitions.values()), name
    resource = ConfigResource(ResourceType.TOPIC, changelog)
    config = admin.describe_configs([resource])[resource].result(timeout=30)
    assert config["cleanup.policy"].value == "compact"
    assert ensure_internal_topics(infra.bootstrap_servers, [checks], partitions=3) == []


def test_the_deadlines_worker_declares_both_its_tables_changelogs() -> None:
    from services.deadlines.app import app

    assert table_changelogs(app) == [
        "motcua-deadlines-clocks-changelog",
        "motcua-deadlines-positions-changelog",
    ]
