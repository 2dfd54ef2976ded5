"""How many copies a cluster keeps, declared once: three (two in sync) from three brokers,
one on one; the brokers' own topics and the platform's topics alike."""

from __future__ import annotations

import pytest

from motcua.kafka import Durability


@pytest.mark.parametrize(
    ("brokers", "copies", "in_sync"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)]
)
def test_a_cluster_keeps_three_copies_from_three_brokers_and_loses_one_without_stopping(
    brokers: int, copies: int, in_sync: int
) -> None:
    durability = Durability.for_brokers(brokers)
    assert (durability.replication_factor, durability.min_insync_replicas) == (copies, in_sync)
    assert durability.topic_config() == {"min.insync.replicas": str(in_sync)}


def test_the_brokers_own_topics_and_their_defaults_keep_as_many_copies() -> None:
    properties = Durability.for_brokers(3).broker_properties()
    copies = {k: v for k, v in properties.items() if k.endswith("replication.factor")}
    in_sync = {k: v for k, v in properties.items() if "insync" in k or k.endswith("min.isr")}
    assert set(copies.values()) == {"3"}
    assert set(in_sync.values()) == {"2"}
    assert {"default.replication.factor", "offsets.topic.replication.factor"} <= set(copies)
    assert {"min.insync.replicas", "transaction.state.log.min.isr"} <= set(in_sync)


@pytest.mark.parametrize("bad", [0, -1])
def test_no_cluster_has_fewer_than_one_broker_or_copy(bad: int) -> None:
    with pytest.raises(ValueError, match="at least"):
        Durability.for_brokers(bad)
    with pytest.raises(ValueError, match="at least 1"):
        Durability(bad)
