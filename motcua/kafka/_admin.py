"""Topic creation and the broker readiness check, on confluent-kafka's AdminClient."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from motcua.kafka._topics import TopicSpec


class KafkaUnavailable(RuntimeError):
    """The broker did not answer a metadata request in time."""


def _admin(bootstrap_servers: str) -> AdminClient:
    # Connection errors while a broker boots are expected; they surface as exceptions instead.
    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})


def check_kafka(bootstrap_servers: str, *, timeout_s: float = 3.0) -> int:
    """Ask the cluster for its metadata for real; return the number of live brokers."""
    try:
        metadata = _admin(bootstrap_servers).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(f"no metadata from {bootstrap_servers}: {exc}") from exc
    if not metadata.brokers:
        raise KafkaUnavailable(f"{bootstrap_servers} answered with no live brokers")
    return len(metadata.brokers)


def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    *,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Existing topics are left alone (partition counts only ever grow by hand: growing them
    silently would move dossiers between partitions and break per-dossier order).
    """
    admin = _admin(bootstrap_servers)
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    missing = [spec for spec in specs if spec.name not in existing]
    return _create(
        admin,
        [
            NewTopic(
                spec.name.value,
                num_partitions=spec.partitions,
                replication_factor=replication_factor,
                config=spec.config(),
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
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create a stream processor's own topics before it joins its group.

    Faust declares an agent's internal topic only as the agent starts; a first assignment
    made before that leaves the agent without partitions until the next metadata refresh,
    minutes later. Declared up front, the first assignment already includes them.
    """
    admin = _admin(bootstrap_servers)
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    return _create(
        admin,
        [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name in names
            if name not in existing
        ],
        timeout_s,
    )


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
