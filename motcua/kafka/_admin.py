"""Topic creation and the broker readiness check, on confluent-kafka's AdminClient."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from motcua.kafka._durability import Durability
from motcua.kafka._topics import TopicSpec


class KafkaUnavailable(RuntimeError):
    """The broker did not answer a metadata request in time."""


def _admin(bootstrap_servers: str) -> AdminClient:
    # Connection errors while a broker boots are expected; they surface as exceptions instead.
    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})


@functools.cache
def _health_admin(bootstrap_servers: str) -> AdminClient:
    return _admin(bootstrap_servers)


def check_kafka(bootstrap_servers: str, *, timeout_s: float = 3.0) -> int:
    """Ask the cluster for its metadata for real; return the number of live brokers.

    One client per process serves every check: a client per call is freed by whichever
    thread's garbage collection reaches it, and freed from one of librdkafka's own threads
    it takes the process down.
    """
    try:
        metadata = _health_admin(bootstrap_servers).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"no metadata from {bootstrap_servers}: {exc}") from exc
    if not metadata.brokers:
        raise KafkaUnavailable(f"{bootstrap_servers} answered with no live brokers")
    return len(metadata.brokers)


def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    *,
    durability: Durability | None = None,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    ``durability`` defaults to the cluster's own (three copies, two in sync, on three live
    brokers or more: :class:`Durability`). An existing topic gets the declared
    configuration (a longer retention reaches the topics already there, and so does
    ``min.insync.replicas``), but never more partitions or copies: those only ever grow by
    hand, since growing partitions silently would move dossiers between partitions and
    break their order.
    """
    admin = _admin(bootstrap_servers)
    metadata = admin.list_topics(timeout=timeout_s)
    existing = set(metadata.topics)
    durability = durability or Durability.for_brokers(len(metadata.brokers))
    specs = list(specs)
    missing = [spec for spec in specs if spec.name not in existing]
    present = [spec for spec in specs if spec.name in existing]
    _configure(admin, {str(s.name): _config(s, durability) for s in present}, timeout_s)
    return _create(
        admin,
        [
            NewTopic(
                str(spec.name),
                num_partitions=spec.partitions,
                replication_factor=durability.replication_factor,
                config=_config(spec, durability),
            )
            for spec in missing
        ],
        timeout_s,
    )


def ensure_internal_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    *,
    partitions: int,
    compacted: Iterable[str] = (),
    durability: Durability | None = None,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create a stream processor's own topics before it joins its group, and wait until the
    cluster's metadata shows every partition of each with a leader.

    Faust declares its topics as it starts (an agent's internal topic, a table's
    changelog), racing its own consumer's metadata: a first assignment made before the
    declaration leaves an agent without partitions until the next metadata refresh,
    minutes later, and a changelog seen before its partitions were led fails every table
    write with ``PartitionsMismatch`` ("has 0 partitions"), which crashed the deadlines
    worker's ``track`` agent over and over (chaos run 48). ``compacted`` are the tables'
    changelogs: a key's last record is all a restore needs.
    """
    admin = _admin(bootstrap_servers)
    metadata = admin.list_topics(timeout=timeout_s)
    existing = set(metadata.topics)
    durability = durability or Durability.for_brokers(len(metadata.brokers))
    compacted = set(compacted)
    wanted = [*names, *sorted(compacted)]
    created = _create(
        admin,
        [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=durability.replication_factor,
                config=durability.topic_config()
                | ({"cleanup.policy": "compact"} if name in compacted else {}),
            )
            for name in wanted
            if name not in existing
        ],
        timeout_s,
    )
    _await_led(admin, wanted, timeout_s)
    return created


def _await_led(admin: AdminClient, names: Iterable[str], timeout_s: float) -> None:
    """Until the metadata shows each topic with partitions, every one led."""
    deadline = time.monotonic() + timeout_s
    waiting = set(names)
    while waiting:
        topics = admin.list_topics(timeout=timeout_s).topics
        waiting = {
            name
            for name in waiting
            if name not in topics
            or topics[name].error is not None
            or not topics[name].partitions
            or any(p.leader < 0 for p in topics[name].partitions.values())
        }
        if waiting and time.monotonic() > deadline:
            raise KafkaUnavailable(
                f"topics without a leader after {timeout_s:.0f} s: {sorted(waiting)}"
            )
        if waiting:
            time.sleep(0.2)


def _config(spec: TopicSpec, durability: Durability) -> dict[str, str]:
    return {**spec.config(), **durability.topic_config()}


def _configure(admin: AdminClient, configs: dict[str, dict[str, str]], timeout_s: float) -> None:
    if not configs:
        return
    resources = [
        ConfigResource(
            ResourceType.TOPIC,
            topic,
            incremental_configs=[
                ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)
                for name, value in config.items()
            ],
        )
        for topic, config in configs.items()
    ]
    for future in admin.incremental_alter_configs(resources, request_timeout=timeout_s).values():
        future.result()


def _create(admin: AdminClient, topics: list[NewTopic], timeout_s: float) -> list[str]:
    if not topics:
        return []
    futures = admin.create_topics(topics, operation_timeout=timeout_s)
    created = []
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
        else:
            created.append(name)
    return created
