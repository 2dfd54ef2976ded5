"""How many copies of a record the cluster keeps, and how many must hold it before a write
counts: declared once, for a cluster of any size.

A province's Kafka is three brokers or more: every topic — the platform's, the dead
letters, Faust's changelogs and repartition topics, the brokers' own offsets and
transactions — keeps three copies, and a write needs two of them (``min.insync.replicas``),
so one broker may die without losing an acknowledged record or stopping writes. On fewer
brokers (one on a laptop) there is nothing to replicate to, and one copy is all there is.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL_REPLICATION = 3
"""The copies a cluster of three brokers or more keeps."""


@dataclass(frozen=True)
class Durability:
    replication_factor: int = 1

    def __post_init__(self) -> None:
        if self.replication_factor < 1:
            raise ValueError("a replication factor is at least 1")

    @classmethod
    def for_brokers(cls, brokers: int) -> Durability:
        """Three copies where there are three brokers or more, else one per broker."""
        if brokers < 1:
            raise ValueError("a cluster has at least one broker")
        return cls(min(FULL_REPLICATION, brokers))

    @property
    def min_insync_replicas(self) -> int:
        """All copies but one must hold a write (at least one): one broker may be lost."""
        return max(1, self.replication_factor - 1)

    def topic_config(self) -> dict[str, str]:
        """What every topic the platform creates carries beside its own settings."""
        return {"min.insync.replicas": str(self.min_insync_replicas)}

    def broker_properties(self) -> dict[str, str]:
        """The brokers' own topics and the defaults of the topics others create (Faust's
        changelogs and repartition topics on a cluster whose operator set nothing)."""
        copies, needed = str(self.replication_factor), str(self.min_insync_replicas)
        return {
            "default.replication.factor": copies,
            "min.insync.replicas": needed,
            "offsets.topic.replication.factor": copies,
            "transaction.state.log.replication.factor": copies,
            "transaction.state.log.min.isr": needed,
            "share.coordinator.state.topic.replication.factor": copies,
            "share.coordinator.state.topic.min.isr": needed,
        }
