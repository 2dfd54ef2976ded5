"""`make up ARGS=--brokers 3`'s cluster as configured: three KRaft nodes voting in one
quorum, each on ports of its own with a data dir of its own, every topic of the brokers'
own with three copies and two in sync; the first node keeps a one-broker stack's names."""

from __future__ import annotations

from pathlib import Path

from motcua.kafka import Durability
from tests.deploy.test_stack_receipts import _stack


def _properties(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_three_nodes_form_one_quorum_on_ports_and_data_of_their_own(tmp_path: Path) -> None:
    stack = _stack()
    state = stack.State(tmp_path)
    nodes = stack.kafka_nodes(3)
    ports = {1: (19092, 19093), 2: (19094, 19095), 3: (19096, 19097)}
    written = [
        _properties(stack.kafka_properties(state, n, ports, Durability.for_brokers(3)))
        for n in nodes
    ]
    voters = "1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"
    assert [p["node.id"] for p in written] == ["1", "2", "3"]
    assert {p["controller.quorum.voters"] for p in written} == {voters}
    assert [p["advertised.listeners"] for p in written] == [
        "PLAINTEXT://127.0.0.1:19092",
        "PLAINTEXT://127.0.0.1:19094",
        "PLAINTEXT://127.0.0.1:19096",
    ]
    assert len({p["log.dirs"] for p in written}) == 3
    for properties in written:
        assert properties["offsets.topic.replication.factor"] == "3"
        assert properties["min.insync.replicas"] == "2"
        assert properties["auto.create.topics.enable"] == "false"
    # A one-broker stack's names are the first node's: an existing stack still fits.
    first = nodes[0]
    assert (first.name, first.port_key, first.controller_port_key) == (
        "kafka",
        "kafka",
        "kafka_controller",
    )
    assert first.data_dir(state) == tmp_path / "kafka" / "data"
    assert [n.name for n in nodes[1:]] == ["kafka-2", "kafka-3"]
