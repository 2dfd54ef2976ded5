"""confluent-kafka and Faust-streaming against the real broker, including a SIGKILL.

The worker runs as a real process; its table is RocksDB-backed with a changelog topic.
After ``kill -9`` the test wipes the worker's local RocksDB files, so the only way back
to the right state is recovery from the changelog.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import ROOT, Database, Infra
from tests.integration.kafka_log import committed
from tests.live_server import free_port

KEYS = [f"dossier-{n}" for n in range(8)]


class Worker:
    def __init__(self, infra: Infra, database: Database, topic: str, tmp: Path) -> None:
        self.port = free_port()
        self.data_dir = tmp / "faust-data"
        self.log = tmp / "worker.log"
        self.env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "DATABASE_URL": database.service_urls["deadlines"],
            "MIGRATE_ON_START": "false",
            "HTTP_PORT": str(self.port),
            "DATA_DIR": str(self.data_dir),
            "TEST_APP_ID": f"motcua-test-{uuid.uuid4().hex[:8]}",
            "TEST_INPUT_TOPIC": topic,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.faust_worker"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def seen(self) -> dict[str, list[int]]:
        url = f"http://127.0.0.1:{self.port}/seen"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return dict(json.loads(response.read()))
        except OSError:
            return {}

    def wait_for(self, expected: dict[str, list[int]], timeout_s: float) -> dict[str, list[int]]:
        deadline = time.monotonic() + timeout_s
        seen: dict[str, list[int]] = {}
        while time.monotonic() < deadline:
            seen = self.seen()
            if seen == expected:
                return seen
            time.sleep(0.3)
        tail = self.log.read_text(errors="replace")[-3000:]
        pytest.fail(f"worker state never matched; last seen {seen}\nworker log tail:\n{tail}")

    def stop(self, sig: signal.Signals) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


@pytest.fixture
def topic(infra: Infra) -> Iterator[str]:
    name = f"motcua.test-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    admin.create_topics([NewTopic(name, num_partitions=6, replication_factor=1)])[name].result()
    yield name
    admin.delete_topics([name])


@pytest.fixture
def worker(infra: Infra, database: Database, topic: str, tmp_path: Path) -> Iterator[Worker]:
    worker = Worker(infra, database, topic, tmp_path)
    worker.start()
    yield worker
    if worker.process and worker.process.poll() is None:
        worker.process.kill()
        worker.process.wait()


def _produce(infra: Infra, topic: str, sequences: range, pause_s: float = 0.0) -> None:
    producer = Producer(
        {"bootstrap.servers": infra.bootstrap_servers, "enable.idempotence": True, "acks": "all"}
    )
    for seq in sequences:
        key = KEYS[seq % len(KEYS)]
        producer.produce(topic, key=key.encode(), value=json.dumps({"seq": seq}).encode())
        producer.poll(0)
        if pause_s:
            time.sleep(pause_s)
    assert producer.flush(30) == 0


def _committed(infra: Infra, group: str, topic: str) -> int:
    """How many messages of ``topic`` the group has committed: those will not be redelivered."""
    offsets = committed(infra.bootstrap_servers, group, topic)
    return sum(max(offset, 0) for offset in offsets.values())


def _expected(sequences: range) -> dict[str, list[int]]:
    expected: dict[str, list[int]] = {}
    for seq in sequences:
        expected.setdefault(KEYS[seq % len(KEYS)], []).append(seq)
    return {key: sorted(values) for key, values in expected.items()}


def test_confluent_producer_to_faust_agent(infra: Infra, topic: str, worker: Worker) -> None:
    _produce(infra, topic, range(50))
    worker.wait_for(_expected(range(50)), timeout_s=90)
    assert worker.stop(signal.SIGTERM) == 0


class ContinuousProducer(threading.Thread):
    """Produces numbered messages until stopped, so a kill always lands mid-stream."""

    def __init__(self, infra: Infra, topic: str) -> None:
        super().__init__(daemon=True)
        self.infra, self.topic = infra, topic
        self.stopping = threading.Event()
        self.produced = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            _produce(self.infra, self.topic, range(self.produced, self.produced + 20))
            self.produced += 20
            time.sleep(0.05)


def test_table_survives_sigkill_and_recovers_from_changelog(
    infra: Infra, topic: str, worker: Worker
) -> None:
    producer = ContinuousProducer(infra, topic)
    producer.start()
    try:
        group = worker.env["TEST_APP_ID"]
        deadline = time.monotonic() + 90
        # Kill only after offsets are committed: what they cover is never redelivered, so it
        # can come back after the kill through the changelog alone.
        while _committed(infra, group, topic) < 100:
            assert time.monotonic() < deadline, "worker committed nothing"
            time.sleep(0.2)
        assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
        shutil.rmtree(worker.data_dir)

        worker.start()
        time.sleep(2)
    finally:
        # Stopped whatever happened above: a producer left running keeps the whole pytest
        # process alive after the session (it hung a run here until killed).
        producer.stopping.set()
        producer.join()
    assert producer.produced > 100
    worker.wait_for(_expected(range(producer.produced)), timeout_s=120)
    assert worker.stop(signal.SIGTERM) == 0
