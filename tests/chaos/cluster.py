"""The chaos run's platform and the harm done to it.

The platform is ``deploy/local/stack.py up --brokers 3 --replicas 2 --no-demo`` in a state
folder of the run's own: three KRaft brokers whose topics keep three copies (two in sync),
one PostgreSQL, and two processes of every service. The harm is what operations meet: a
broker, a service process or the database killed without warning, then started again as
a supervisor (systemd, Kubernetes) would; a consumer joining and leaving a group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from confluent_kafka.admin import AdminClient

from motcua.kafka import Topic, client_config
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.py"
BROKERS = 3
REPLICAS = 2


RUN_SETTINGS = {
    # Every channel's provider answers "delivered": a message sent twice is then a double
    # send, not a retry after a failure the demo mode makes up.
    "RECORDING_RECEIPTS": "delivered",
    "QUIET_HOURS": "",
    # A sender killed holding messages hands them over after 30 s, not 10 minutes.
    "DELIVERY_LEASE_S": "30",
}
"""What the run's services are started with beyond the stack's own settings; never put in
this process's environment, which the tests after it share."""


class Cluster:
    """A running stack of the run's own, and the levers to harm it."""

    def __init__(self, state_dir: Path) -> None:
        self.stack = load_script("deploy/local/stack.py")
        self.state_dir = state_dir

    def up(self) -> dict[str, str]:
        command = [sys.executable, str(STACK), "up", "--brokers", str(BROKERS)]
        command += ["--replicas", str(REPLICAS), "--no-demo", "--any-port"]
        command += ["--state-dir", str(self.state_dir)]
        log = self.state_dir.parent / f"{self.state_dir.name}-up.log"
        log.parent.mkdir(parents=True, exist_ok=True)  # `--state-dir` may name a new folder
        with log.open("wb") as out:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env={**os.environ, **RUN_SETTINGS},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if done.returncode != 0:
            raise RuntimeError(f"the stack did not start; {log}:\n{log.read_text()[-3000:]}")
        self.state = self.stack.State(self.state_dir)
        endpoints: dict[str, str] = json.loads((self.state_dir / "endpoints.json").read_text())
        self.endpoints = endpoints
        return endpoints

    def down(self) -> None:
        self.stack.down(self.stack.State(self.state_dir))

    @property
    def bootstrap(self) -> str:
        return self.endpoints["KAFKA_BOOTSTRAP_SERVERS"]

    def urls(self, variable: str) -> list[str]:
        """Every copy's address: ``INTAKE_URL``, ``INTAKE_URL_2`` …"""
        return [self.endpoints[variable]] + [
            self.endpoints[f"{variable}_{n}"]
            for n in range(2, REPLICAS + 1)
            if f"{variable}_{n}" in self.endpoints
        ]

    # --- service processes -----------------------------------------------------------

    def process(self, job: str, replica: int) -> Any:
        base = next(s for s in self.stack.SERVICE_PROCESSES if s.name == job)
        return base.copy(replica)

    def _pid(self, name: str) -> int:
        return int(self.state.pid_file(name).read_text())

    def _env(self, service: Any) -> dict[str, str]:
        with mock.patch.dict(os.environ, RUN_SETTINGS):  # the stack reads them from there
            return self._stack_env(service)

    def _stack_env(self, service: Any) -> dict[str, str]:
        port = self.state.port(service.port_key, any_port=True)
        urls = {key: value for key, value in self.endpoints.items() if key.endswith("URL")}
        keys = self.stack.IntakeKeys(
            self.endpoints["DEADLINES_INTAKE_API_KEY"],
            self.endpoints["RATINGS_INTAKE_API_KEY"],
            self.endpoints["REPORTING_INTAKE_API_KEY"],
        )
        env: dict[str, str] = self.stack.service_env(
            self.state,
            service,
            bootstrap=self.bootstrap,
            database_url=self.endpoints[f"{service.of.upper()}_DATABASE_URL"],
            port=port,
        )
        return env | self.stack.process_env(self.state, service, urls, keys)

    def start(self, service: Any, *, timeout_s: float = 120, tries: int = 5) -> float:
        """Start a process and wait until it answers ``/healthz``, starting it again if it
        exits first (started while PostgreSQL restarts, it stops at its migrations), as a
        supervisor's restart policy does; seconds it took."""
        began = time.monotonic()
        port = self.state.port(service.port_key, any_port=True)
        for _ in range(tries):
            self.stack.start_process(service, self.state, self._env(service))
            pid = self._pid(service.name)

            def settled(pid: int = pid) -> bool:
                """Healthy, or gone."""
                healthy = self.stack.http_ok(f"http://127.0.0.1:{port}/healthz")
                return bool(healthy or not self.stack.pid_alive(pid, service.marker))

            self.stack.wait_for(settled, timeout_s=timeout_s)
            if self.stack.http_ok(f"http://127.0.0.1:{port}/healthz"):
                return time.monotonic() - began
            time.sleep(2)
        raise RuntimeError(f"{service.name} did not come back after {tries} starts; see its log")

    def kill_process(self, job: str, replica: int, *, down_s: float) -> str:
        """SIGKILL one copy of a service process; start it again after ``down_s``."""
        service = self.process(job, replica)
        pid = self._pid(service.name)
        assert self.stack.pid_alive(pid, service.marker), f"{service.name} was not running"
        os.kill(pid, signal.SIGKILL)
        self.stack.wait_for(lambda: not self.stack.pid_alive(pid, service.marker), timeout_s=10)
        time.sleep(down_s)
        took = self.start(service)
        return f"SIGKILL {service.name} (pid {pid}); healthy again {down_s + took:.1f} s later"

    def join_and_leave(self, job: str, *, stay_s: float) -> str:
        """A third copy joins the process's consumer group, works a while and leaves
        (SIGTERM): two rebalances of every partition it took."""
        service = self.process(job, REPLICAS + 1)
        took = self.start(service)
        time.sleep(stay_s)
        pid = self._pid(service.name)
        self.stack.terminate(pid, service.marker, name=service.name)
        self.state.pid_file(service.name).unlink(missing_ok=True)
        return f"{service.name} joined ({took:.1f} s to start), left after {stay_s:.0f} s"

    # --- Kafka and PostgreSQL --------------------------------------------------------

    def leader_of(self, topic: str) -> int:
        """The broker leading most of ``topic``'s partitions."""
        admin = AdminClient(client_config(self.bootstrap))
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions
        leaders = Counter(p.leader for p in partitions.values())
        return leaders.most_common(1)[0][0]

    def kill_broker_leading(self, topic: str = Topic.DOSSIER_EVENTS.value, *, down_s: float) -> str:
        node_id = self.leader_of(topic)
        node = self.stack.KafkaNode(node_id)
        pid = self._pid(node.name)
        os.kill(pid, signal.SIGKILL)
        self.stack.wait_for(lambda: not self.stack.pid_alive(pid, "kafka.Kafka"), timeout_s=10)
        time.sleep(down_s)
        began = time.monotonic()
        try:
            self.stack.start_kafka(self.state, any_port=True, brokers=BROKERS)
        except self.stack.StackError:
            # A loaded machine: the broker reloads its logs slowly; the platform goes on.
            self.stack.wait_for_kafka(self.bootstrap, None, timeout_s=600, brokers=BROKERS)
        after = self.leader_of(topic)
        return (
            f"SIGKILL broker {node_id} (pid {pid}), leader of most of {topic}; "
            f"restarted after {down_s:.0f} s, back in {time.monotonic() - began:.1f} s "
            f"(leader now {after})"
        )

    def restart_postgres(self) -> str:
        """Stopped in immediate mode (a crash: no checkpoint, recovery from the WAL at the
        next start) and started again."""
        data = self.stack.postgres_dir(self.state) / "data"
        pg_ctl = str(self.stack.postgres_bindir() / "pg_ctl")
        began = time.monotonic()
        subprocess.run(
            self.stack.as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            check=True,
            capture_output=True,
        )
        self.stack.start_postgres(self.state, any_port=True)
        return f"PostgreSQL crashed (immediate stop) and back in {time.monotonic() - began:.1f} s"

    def stopped(self) -> list[str]:
        """The platform's processes not running now: every service copy, broker and the
        database (a copy that joined and left is no longer the platform's)."""
        gone = [
            name
            for name, pid, marker in self.stack.component_pids(self.state)
            if not self.stack.pid_alive(pid, marker)
        ]
        if not self.stack.postgres_running(self.state):
            gone.append("postgres")
        return gone

    def all_ready(self) -> bool:
        urls = [u for v in ("INTAKE_URL", "RATINGS_URL", "REPORTING_URL") for u in self.urls(v)]
        urls += self.urls("DEADLINES_URL") + self.urls("DEADLINES_WORKER_URL")
        try:
            return all(httpx.get(f"{u}/readyz", timeout=5).status_code == 200 for u in urls)
        except httpx.HTTPError:
            return False
