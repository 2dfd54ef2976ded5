"""Run Motcua on this machine as plain processes: Kafka (KRaft), PostgreSQL, the services.

No Docker: the broker is the real Apache Kafka resolved from Maven Central by
``deploy/kafka/pom.xml`` and started with ``java kafka.Kafka``; PostgreSQL is Debian's
(installed with apt-get when missing), run as a private cluster on loopback. Everything
it creates lives under one state folder (``.stack/`` by default, git-ignored), and
``.stack/env`` is a shell-sourceable list of every endpoint.

    python deploy/local/stack.py up             # the whole platform
    python deploy/local/stack.py up --with-prometheus   # … and a Prometheus scraping it
    python deploy/local/stack.py up --brokers 3 --replicas 2   # a cluster, two of each process
    python deploy/local/stack.py up --infra-only --state-dir .test-stack --any-port
    python deploy/local/stack.py status
    python deploy/local/stack.py down
    python deploy/local/stack.py browser        # Debian's chromium, for the browser tests
    python deploy/local/stack.py prometheus     # Debian's prometheus (and promtool), for the tests

When ``KAFKA_BOOTSTRAP_SERVERS`` or ``DATABASE_URL`` is set, that Kafka or PostgreSQL is
used as it is and not started here (``DATABASE_URL`` must be allowed to create roles).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from motcua.db import SERVICES, apply_migrations, bootstrap_database, migrations_dir  # noqa: E402
from motcua.documents import DEFAULT_FONT_DIR  # noqa: E402
from motcua.identity import write_keypair  # noqa: E402
from motcua.kafka import (  # noqa: E402
    TOPICS,
    Durability,
    KafkaUnavailable,
    check_kafka,
    ensure_topics,
)

POM = ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LOG4J = ROOT / "deploy" / "kafka" / "log4j2.properties"
JARS_CACHE = ROOT / ".cache"
PROMETHEUS_RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
DATABASE_NAME = "motcua"
# Each component's log rotates at this size, keeping this many older files.
LOG_MAX_BYTES = int(os.environ.get("MOTCUA_LOG_MAX_MB", "20")) * 1024 * 1024
LOG_BACKUPS = 3


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    port_key: str
    url_variable: str
    uses_data_dir: bool
    module: str = ""
    """``python -m`` this; default ``services.<name>``."""
    service: str = ""
    """The service it is part of (its database, its secrets); default ``name``."""
    replica: int = 1
    """Which of the process's copies (``--replicas``): the first keeps the plain names."""

    @property
    def marker(self) -> str:
        return self.module or f"services.{self.name}"

    @property
    def of(self) -> str:
        return self.service or self.name

    @property
    def job(self) -> str:
        """The name its copies share (Prometheus' ``job``)."""
        return self.name.removesuffix(f"-{self.replica}") if self.replica > 1 else self.name

    def copy(self, replica: int) -> ServiceProcess:
        """Its ``replica``-th copy: own pid file, log, port and data dir (``intake-2``)."""
        if replica == 1:
            return self
        return replace(
            self,
            name=f"{self.name}-{replica}",
            port_key=f"{self.port_key}_{replica}",
            url_variable=f"{self.url_variable}_{replica}",
            module=self.marker,
            service=self.of,
            replica=replica,
        )

    def data_dir(self, state: State) -> Path:
        suffix = "" if self.replica == 1 else f"-{self.replica}"
        return state.dir / "data" / f"{self.of}{suffix}"


SERVICE_PROCESSES: tuple[ServiceProcess, ...] = (
    ServiceProcess("intake", "intake", "INTAKE_URL", uses_data_dir=False),
    # Deadlines is two processes: the Faust worker, and the officers' web at the address
    # officers use (DEADLINES_URL), which scales apart from the partitions.
    ServiceProcess("deadlines", "deadlines_worker", "DEADLINES_WORKER_URL", uses_data_dir=True),
    ServiceProcess(
        "deadlines-web",
        "deadlines",
        "DEADLINES_URL",
        uses_data_dir=False,
        module="services.deadlines.officers_web",
        service="deadlines",
    ),
    ServiceProcess("ratings", "ratings", "RATINGS_URL", uses_data_dir=False),
    ServiceProcess("reporting", "reporting", "REPORTING_URL", uses_data_dir=False),
)
PREFERRED_PORTS = {
    "kafka": 9092,
    "kafka_controller": 9093,
    "kafka_2": 9094,
    "kafka_controller_2": 9095,
    "kafka_3": 9096,
    "kafka_controller_3": 9097,
    "postgres": 55432,
    "intake": 8001,
    "deadlines": 8002,
    "deadlines_worker": 8012,
    "ratings": 8003,
    "reporting": 8004,
    "prometheus": 9090,
}


def stack_replicas(state: State, asked: int | None = None) -> int:
    """How many copies of each service process the stack runs: as asked, else as before."""
    if asked is not None and asked < 1:
        raise StackError("--replicas takes a number from 1 up")
    replicas = asked or state.section("services").get("replicas") or 1
    assert isinstance(replicas, int)
    if asked:
        state.section("services")["replicas"] = asked
        state.save()
    return replicas


def stack_processes(state: State) -> list[ServiceProcess]:
    """Every service process of the stack, each copy of each."""
    replicas = stack_replicas(state)
    return [s.copy(n) for n in range(1, replicas + 1) for s in SERVICE_PROCESSES]


class StackError(RuntimeError):
    """Something the user must act on; printed without a traceback."""


def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


# --- small process helpers -------------------------------------------------------------


def log_tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return f"(no log at {path})"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in text)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int, marker: str) -> bool:
    """True when ``pid`` runs and its command line contains ``marker`` (guards pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def wait_for(check: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval_s)
    return check()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def terminate(pid: int, marker: str, *, name: str = "process", grace_s: float = 20.0) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``: services commit what they finished on SIGTERM."""
    terminate_together([(name, pid, marker)], grace_s=grace_s)


def terminate_together(components: list[tuple[str, int, str]], *, grace_s: float = 20.0) -> None:
    """SIGTERM every one at once and give them one grace period between them, then SIGKILL
    what is left: stopped one by one, ten processes could take ten grace periods."""
    running = [(name, pid, marker) for name, pid, marker in components if pid_alive(pid, marker)]
    for name, pid, _ in running:
        say(f"stopping {name} (pid {pid})")
        os.kill(pid, signal.SIGTERM)

    def all_gone() -> bool:
        return not any(pid_alive(pid, marker) for _, pid, marker in running)

    if wait_for(all_gone, timeout_s=grace_s):
        return
    for name, pid, marker in running:
        if pid_alive(pid, marker):
            say(f"{name} (pid {pid}) ignored SIGTERM for {grace_s:.0f}s; killing it")
            os.kill(pid, signal.SIGKILL)
    wait_for(all_gone, timeout_s=5)


@contextmanager
def rotating_log(path: Path) -> Iterator[IO[bytes]]:
    """Where a component's output goes: a pipe to ``rotate_log.py``, which keeps ``path``
    under ``LOG_MAX_BYTES`` (and ``LOG_BACKUPS`` older files), so a log storm cannot fill
    the disk. The writer outlives this call and ends with the component."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "deploy" / "local" / "rotate_log.py"),
            str(path),
            f"--max-bytes={LOG_MAX_BYTES}",
            f"--backups={LOG_BACKUPS}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert writer.stdin is not None
    try:
        yield writer.stdin
    finally:
        writer.stdin.close()  # the component holds the pipe's only write end now


def run(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), check=True, text=True, **kwargs)  # type: ignore[call-overload]


# --- the state folder ------------------------------------------------------------------


class State:
    """Ports, passwords and pids of one stack, kept in ``<dir>/state.json``."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.logs = directory / "logs"
        self.file = directory / "state.json"
        self.data: dict[str, object] = (
            json.loads(self.file.read_text()) if self.file.exists() else {}
        )

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps(self.data, indent=2, sort_keys=True))
        self.file.chmod(0o600)

    def section(self, name: str) -> dict[str, object]:
        value = self.data.setdefault(name, {})
        assert isinstance(value, dict)
        return value

    def port(self, key: str, *, any_port: bool) -> int:
        ports = self.section("ports")
        if key in ports:
            return int(str(ports[key]))
        preferred = PREFERRED_PORTS.get(key)
        usable = preferred is not None and not any_port and port_is_free(preferred)
        chosen = preferred if preferred is not None and usable else free_port()
        taken = {int(str(port)) for port in ports.values()}
        while chosen in taken:
            # The kernel may hand out a port again once its probe socket closed: a broker
            # given one port for two listeners refuses to start.
            chosen = free_port()
        ports[key] = chosen
        self.save()
        return chosen

    def secret(self, key: str) -> str:
        secrets_ = self.section("secrets")
        if key not in secrets_:
            secrets_[key] = secrets.token_urlsafe(24)
            self.save()
        return str(secrets_[key])

    def pid_file(self, name: str) -> Path:
        return self.dir / f"{name}.pid"


# --- Kafka -----------------------------------------------------------------------------


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    if not match:
        raise StackError(f"{POM} names no kafka.version")
    return match.group(1)


def kafka_jars() -> Path:
    """Resolve the broker's jars (and Kafka's own tools, for the benchmarks' ceiling) with
    Maven once; later runs reuse the copy, until the pom changes."""
    pom_digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:8]
    target = JARS_CACHE / f"kafka-{kafka_version()}-{pom_digest}"
    marker = target / ".complete"
    if marker.exists():
        return target
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise StackError("Kafka needs Java 17 and Maven on the PATH (apt-get install maven)")
    say(f"resolving Apache Kafka {kafka_version()} from Maven Central into {target}")
    shutil.rmtree(target, ignore_errors=True)
    run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={target}",
        ]
    )
    marker.write_text(kafka_version())
    return target


@dataclass(frozen=True)
class KafkaNode:
    """One KRaft node (broker and controller both) of the local cluster. The first keeps the
    names a one-broker stack always had, so an existing stack's state still fits."""

    node_id: int

    def _suffix(self, separator: str) -> str:
        return "" if self.node_id == 1 else f"{separator}{self.node_id}"

    @property
    def name(self) -> str:
        """Its pid file and log: ``kafka``, ``kafka-2``, ``kafka-3``."""
        return f"kafka{self._suffix('-')}"

    @property
    def port_key(self) -> str:
        return f"kafka{self._suffix('_')}"

    @property
    def controller_port_key(self) -> str:
        return f"kafka_controller{self._suffix('_')}"

    def data_dir(self, state: State) -> Path:
        return state.dir / "kafka" / f"data{self._suffix('-')}"

    def config_path(self, state: State) -> Path:
        return state.dir / "kafka" / f"server{self._suffix('-')}.properties"


def kafka_nodes(brokers: int) -> list[KafkaNode]:
    return [KafkaNode(node_id) for node_id in range(1, brokers + 1)]


def kafka_properties(
    state: State, node: KafkaNode, ports: dict[int, tuple[int, int]], durability: Durability
) -> Path:
    """The node's ``server.properties``: ``ports`` maps every node's id to its (client,
    controller) ports, all of them voters of the controller quorum."""
    port, controller_port = ports[node.node_id]
    voters = ",".join(f"{n}@127.0.0.1:{c}" for n, (_, c) in sorted(ports.items()))
    path = node.config_path(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node.node_id),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(node.data_dir(state)),
        "auto.create.topics.enable": "false",
        "num.partitions": "6",
        "offsets.topic.num.partitions": "6",
        "group.initial.rebalance.delay.ms": "0",
        **durability.broker_properties(),
    }
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path


def stack_brokers(state: State) -> int:
    """The brokers the stack last ran (0 before its first start)."""
    value = state.section("kafka").get("brokers")
    return value if isinstance(value, int) else 0


def kafka_brokers(state: State, asked: int | None) -> int:
    """How many brokers the stack runs: as asked, else as it ran before (one by default). A
    running stack of another size is refused: its data dirs hold another cluster."""
    before = stack_brokers(state)
    brokers = asked or before or 1
    if brokers < 1:
        raise StackError("--brokers takes a number from 1 up")
    if (
        before
        and brokers != before
        and any(
            pid_alive(pid, marker)
            for name, pid, marker in component_pids(state)
            if name.startswith("kafka")
        )
    ):
        raise StackError(
            f"this stack runs {before} Kafka broker(s); stop it (`make down`) before asking "
            f"for {brokers}"
        )
    if before and brokers != before and (state.dir / "kafka").exists():
        say(f"the stack had {before} broker(s); its Kafka data is cleared for {brokers}")
        shutil.rmtree(state.dir / "kafka")
    state.section("kafka")["brokers"] = brokers
    state.save()
    return brokers


def start_kafka(state: State, *, any_port: bool, brokers: int = 1) -> str:
    nodes = kafka_nodes(brokers)
    ports = {
        node.node_id: (
            state.port(node.port_key, any_port=any_port),
            state.port(node.controller_port_key, any_port=any_port),
        )
        for node in nodes
    }
    bootstrap = ",".join(f"127.0.0.1:{ports[node.node_id][0]}" for node in nodes)
    durability = Durability.for_brokers(brokers)
    jars: Path | None = None
    for node in nodes:
        pid_file = state.pid_file(node.name)
        if pid_file.exists() and pid_alive(int(pid_file.read_text()), "kafka.Kafka"):
            say(f"{node.name} already runs (pid {pid_file.read_text().strip()})")
            continue
        jars = jars or kafka_jars()
        java = ["java", f"-Dlog4j2.configurationFile={KAFKA_LOG4J}", "-cp", f"{jars}/*"]
        config = kafka_properties(state, node, ports, durability)
        if not (node.data_dir(state) / "meta.properties").exists():
            cluster_id = _cluster_id(state, java)
            run(
                [*java, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
                stdout=subprocess.DEVNULL,
            )
        state.logs.mkdir(parents=True, exist_ok=True)
        # Three brokers share the machine with everything else: smaller heaps each.
        default_heap = "-Xms256m -Xmx1g" if brokers == 1 else "-Xms128m -Xmx512m"
        heap = os.environ.get("KAFKA_HEAP_OPTS", default_heap)
        with rotating_log(state.logs / f"{node.name}.log") as out:
            process = subprocess.Popen(
                [*java[:1], *shlex.split(heap), *java[1:], "kafka.Kafka", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pid_file.write_text(str(process.pid))
        where = f"127.0.0.1:{ports[node.node_id][0]}"
        say(f"Kafka {kafka_version()} (KRaft) node {node.node_id} on {where}, pid {process.pid}")
    wait_for_kafka(bootstrap, state.logs / "kafka.log", brokers=brokers)
    return bootstrap


def _cluster_id(state: State, java: list[str]) -> str:
    """The cluster's id, made once and kept in the state: every node formats with it."""
    cluster_id = str(state.section("kafka").get("cluster_id") or "")
    if not cluster_id:
        cluster_id = (
            run([*java, "kafka.tools.StorageTool", "random-uuid"], capture_output=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        state.section("kafka")["cluster_id"] = cluster_id
        state.save()
    return cluster_id


def wait_for_kafka(
    bootstrap: str, log: Path | None, timeout_s: float = 90.0, *, brokers: int = 1
) -> int:
    """Wait until the cluster answers with at least ``brokers`` live brokers; how many."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            live = check_kafka(bootstrap, timeout_s=3)
            if live >= brokers:
                return live
            last_error = KafkaUnavailable(f"{live} of {brokers} brokers live")
        except KafkaUnavailable as exc:
            last_error = exc
        time.sleep(0.5)
    where = f"\n  broker log {log}, last lines:\n{log_tail(log)}" if log else ""
    raise StackError(
        f"Kafka at {bootstrap} is not ready after {timeout_s:.0f}s: {last_error}{where}"
    )


# --- PostgreSQL ------------------------------------------------------------------------


def apt_install(*packages: str, recommends: bool = True) -> None:
    """Install Debian packages the platform needs (as root; otherwise say what to run)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"missing Debian packages: run `apt-get install {' '.join(packages)}`")
    say(f"installing {', '.join(packages)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    options = [] if recommends else ["--no-install-recommends"]
    run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", "-q", *options, *packages], env=env, stdout=subprocess.DEVNULL)


def ensure_fonts() -> None:
    """Receipts and apology letters are PDFs in Liberation Serif 2 (Times New Roman's
    metrics, every Vietnamese letter); the pages ask for DejaVu Sans, which the browser
    tests' Chromium draws them with."""
    wanted = {
        "fonts-liberation2": DEFAULT_FONT_DIR / "LiberationSerif-Regular.ttf",
        "fonts-dejavu-core": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    }
    missing = [package for package, font in wanted.items() if not font.exists()]
    if missing:
        apt_install(*missing)


def ensure_chromium() -> str:
    """The duty-officer board's tests drive Debian's Chromium headless (``tests/browser.py``)."""
    found = shutil.which("chromium")
    if found is None:
        apt_install("chromium")
        found = shutil.which("chromium")
    if found is None:
        raise StackError("apt-get installed chromium but there is no `chromium` on the PATH")
    return found


def ensure_prometheus() -> str:
    """Debian's Prometheus server and its ``promtool``: `up --with-prometheus` runs the one,
    the alert rules' tests run the other. Recommends are left out: they would bring (and
    might start) a node exporter nobody asked for."""
    found = shutil.which("prometheus")
    if found is None or shutil.which("promtool") is None:
        apt_install("prometheus", recommends=False)
        found = shutil.which("prometheus")
    if found is None or shutil.which("promtool") is None:
        raise StackError("apt-get installed prometheus but there is no `prometheus`/`promtool`")
    return found


def postgres_bindir() -> Path:
    """Debian's newest installed PostgreSQL; installs the ``postgresql`` package if none."""

    def find() -> Path | None:
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"),
            key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        )
        if candidates:
            return candidates[-1].parent
        initdb = shutil.which("initdb")
        return Path(initdb).resolve().parent if initdb else None

    found = find()
    if found:
        return found
    apt_install("postgresql")
    found = find()
    if not found:
        raise StackError("apt-get installed postgresql but no initdb was found")
    return found


def as_postgres_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root we run it as the package's postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


SHARED_PG_ROOT = Path("/var/lib/motcua-stack")


def _postgres_can_reach(directory: Path) -> bool:
    """Whether the postgres user may enter ``directory`` (a clone under a mode-700 home
    cannot be, when we are root)."""
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(directory)],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def postgres_dir(state: State) -> Path:
    """Where this stack's PostgreSQL keeps its data and log: beside the rest of the state,
    unless we are root and the postgres user cannot reach it — then under
    ``/var/lib/motcua-stack/<the state directory's hash>``, which it can."""
    local = state.dir / "pg"
    if os.geteuid() != 0 or (local / "data" / "PG_VERSION").exists():
        return local
    state.dir.mkdir(parents=True, exist_ok=True)
    if _postgres_can_reach(state.dir):
        return local
    digest = hashlib.sha256(str(state.dir.resolve()).encode()).hexdigest()[:16]
    shared = SHARED_PG_ROOT / digest
    marker = state.dir / "pg-elsewhere"
    if shared.exists() and not marker.exists():
        # Left by a state directory removed since (`make clean`): its password is gone too.
        shutil.rmtree(shared)
    SHARED_PG_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
    shared.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(shared, "postgres", "postgres")
    marker.write_text(f"{shared}\n")
    return shared


def start_postgres(state: State, *, any_port: bool) -> str:
    bindir = postgres_bindir()
    port = state.port("postgres", any_port=any_port)
    pg_dir = postgres_dir(state)
    data = pg_dir / "data"
    password = state.secret("postgres_password")
    if not (data / "PG_VERSION").exists():
        pg_dir.mkdir(parents=True, exist_ok=True)
        pwfile = pg_dir / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pg_dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        run(
            as_postgres_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            stdout=subprocess.DEVNULL,
        )
        pwfile.unlink()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# motcua local stack\nlisten_addresses = '127.0.0.1'\n"
                f"port = {port}\nunix_socket_directories = ''\nmax_connections = 200\n"
                "fsync = on\nsynchronous_commit = on\n"
                "# commit times let ops (and the benchmark) measure outbox lag from the commit\n"
                "track_commit_timestamp = on\n"
            )
    log = pg_dir / "postgres.log"
    status = subprocess.run(
        as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "status"]),
        capture_output=True,
        check=False,
    )
    if status.returncode == 0:
        say(f"PostgreSQL already runs on 127.0.0.1:{port}")
    else:
        try:
            run(
                as_postgres_user(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                ),
                stdout=subprocess.DEVNULL,
            )
        except subprocess.CalledProcessError as exc:
            raise StackError(f"PostgreSQL did not start; log {log}:\n{log_tail(log)}") from exc
        say(f"PostgreSQL {bindir.parent.name} started on 127.0.0.1:{port}")
    admin_base = f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{port}"
    import psycopg

    with psycopg.connect(f"{admin_base}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return f"{admin_base}/{DATABASE_NAME}"


def stop_postgres(state: State) -> None:
    data = postgres_dir(state) / "data"
    if not (data / "PG_VERSION").exists():
        return
    bindir = postgres_bindir()
    subprocess.run(
        as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
        capture_output=True,
        check=False,
    )
    say("PostgreSQL stopped")


# --- the services ----------------------------------------------------------------------


def service_env(
    state: State, service: ServiceProcess, *, bootstrap: str, database_url: str, port: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        # The copies of the topics a service creates itself (Faust's changelogs), as many as
        # the platform's own topics have.
        "KAFKA_REPLICATION_FACTOR": str(state.section("kafka").get("replication_factor", 1)),
        "DATABASE_URL": database_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "PYTHONUNBUFFERED": "1",
    }
    if service.uses_data_dir:
        env["DATA_DIR"] = str(service.data_dir(state))
    return env


def officer_token_keys(state: State) -> tuple[Path, Path]:
    """The Ed25519 pair of officers' sign-in tokens, made once (private: owner-only)."""
    private, public = (
        state.dir / "keys" / "officer-token.pem",
        state.dir / "keys" / "officer-token.pub.pem",
    )
    write_keypair(private, public)
    return private, public


@dataclass(frozen=True)
class IntakeKeys:
    """The intake API keys the seed registered for the services that read intake."""

    deadlines: str
    ratings: str
    reporting: str


def receipts_env(state: State, service: ServiceProcess, urls: dict[str, str]) -> dict[str, str]:
    """The recording channels answer like providers, the demo's way (most delivered, a
    few failed), on the webhook of the service's web: ratings' own, deadlines' on the
    officers' web (its sender runs in the worker, so both processes get the same)."""
    base = urls["DEADLINES_URL"] if service.of == "deadlines" else urls["RATINGS_URL"]
    return {
        "RECORDING_RECEIPTS": os.environ.get("RECORDING_RECEIPTS", "demo"),
        "DELIVERY_CALLBACK_BASE_URL": base,
        **{
            f"DELIVERY_RECEIPT_SECRET_{channel.upper()}": state.secret(
                f"{service.of}_receipt_secret_{channel}"
            )
            for channel in ("sms", "zalo", "email")
        },
    }


def process_env(
    state: State, service: ServiceProcess, urls: dict[str, str], keys: IntakeKeys
) -> dict[str, str]:
    """What a process needs beyond the common settings: one sign-in (deadlines' officers'
    web signs officers' tokens, every service checks them with the public key; all listen
    on 127.0.0.1, so they share the token's cookie), and its own intake key."""
    private_key, public_key = officer_token_keys(state)
    env = {
        "OFFICER_TOKEN_PUBLIC_KEY_FILE": str(public_key),
        "SIGNIN_URL": urls["DEADLINES_URL"],
        "PAGES_BOARD_URL": f"{urls['DEADLINES_URL']}/board",
        "PAGES_RATINGS_URL": f"{urls['RATINGS_URL']}/staff",
        "PAGES_REPORTING_URL": f"{urls['REPORTING_URL']}/reports",
        "PAGES_INTAKE_URL": urls["INTAKE_URL"],
    }
    if service.of in ("deadlines", "ratings"):
        env |= receipts_env(state, service, urls)
    if service.job == "deadlines-web":
        # Intake starts first, so it answers; the key was registered by the seed.
        env |= {
            "INTAKE_URL": urls["INTAKE_URL"],
            "INTAKE_API_KEY": keys.deadlines,
            "OFFICER_TOKEN_PRIVATE_KEY_FILE": str(private_key),
            "SIGNIN_RETURN_ORIGINS": ",".join(
                urls[name] for name in ("RATINGS_URL", "REPORTING_URL", "INTAKE_URL")
            ),
        }
    if service.job == "deadlines":
        # The worker sends the letters' notices: the citizen's contact from intake, the
        # link to the officers' web; every channel records (no gateway is configured).
        env |= {
            "INTAKE_URL": urls["INTAKE_URL"],
            "INTAKE_API_KEY": keys.deadlines,
            "LETTER_PUBLIC_URL": urls["DEADLINES_URL"],
            "QUIET_HOURS": os.environ.get("QUIET_HOURS", ""),
        }
    if service.job == "ratings":
        # Asks intake for the citizen's contact when an invitation is sent, with a key of
        # its own; every channel records what it would send (no gateway is configured).
        env |= {
            "INTAKE_URL": urls["INTAKE_URL"],
            "INTAKE_API_KEY": keys.ratings,
            "RATINGS_PUBLIC_URL": urls["RATINGS_URL"],
            "RATINGS_TOKEN_KEY": state.secret("ratings_token_key"),
            # A demo is tried at any hour: the messages it records are not sent anyway.
            "QUIET_HOURS": os.environ.get("QUIET_HOURS", ""),
        }
    if service.job == "intake":
        # Legal holds and the data-subject request log name a person by this key's hash.
        env |= {"SUBJECT_HASH_KEY": state.secret("intake_subject_hash_key")}
    if service.job == "reporting":
        # Unit and procedure names, and the tally it reconciles its figures with.
        env |= {"INTAKE_URL": urls["INTAKE_URL"], "INTAKE_API_KEY": keys.reporting}
    return env


def start_process(service: ServiceProcess, state: State, env: dict[str, str]) -> bool:
    """Start the process unless it already runs; True when it was started."""
    pid_file = state.pid_file(service.name)
    if pid_file.exists() and pid_alive(int(pid_file.read_text()), service.marker):
        say(f"{service.name} already runs (pid {pid_file.read_text().strip()})")
        return False
    with rotating_log(state.logs / f"{service.name}.log") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", service.marker],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    return True


def start_services(
    state: State,
    *,
    bootstrap: str,
    service_urls: dict[str, str],
    any_port: bool,
    keys: IntakeKeys,
) -> dict[str, str]:
    processes = stack_processes(state)
    ports = {s.name: state.port(s.port_key, any_port=any_port) for s in processes}
    urls = {s.url_variable: f"http://127.0.0.1:{ports[s.name]}" for s in processes}
    started: list[tuple[ServiceProcess, int]] = []
    for service in processes:
        port = ports[service.name]
        env = service_env(
            state, service, bootstrap=bootstrap, database_url=service_urls[service.of], port=port
        )
        if start_process(service, state, env | process_env(state, service, urls, keys)):
            started.append((service, port))
    for service, port in started:
        log = state.logs / f"{service.name}.log"
        health = f"http://127.0.0.1:{port}/healthz"
        if not wait_for(lambda url=health: http_ok(url), timeout_s=90):  # type: ignore[misc]
            raise StackError(
                f"{service.name} did not answer /healthz on port {port}; log {log}:\n"
                f"{log_tail(log)}"
            )
        say(f"{service.name} is up on http://127.0.0.1:{port}")
    return urls


# --- Prometheus ------------------------------------------------------------------------


def prometheus_config(
    targets: dict[str, list[str]], *, interval_s: float, rule_files: Sequence[Path]
) -> str:
    """A scrape config with one job per service process, named after it as in
    docker-compose (the alerts and dashboards select on ``job``), its copies the job's
    targets. JSON is YAML, so no YAML writer is needed."""
    config = {
        "global": {
            "scrape_interval": f"{interval_s:g}s",
            "evaluation_interval": f"{interval_s:g}s",
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": name, "static_configs": [{"targets": addresses}]}
            for name, addresses in targets.items()
        ],
    }
    return json.dumps(config, indent=2) + "\n"


def prometheus_marker(state: State) -> str:
    """What only this stack's Prometheus has on its command line (guards pid reuse)."""
    return f"--storage.tsdb.path={state.dir / 'prometheus' / 'data'}"


def start_prometheus(state: State, *, any_port: bool) -> str:
    """Prometheus as a plain process, scraping the ports the state gave the services every
    5 s, with the alert rules of docker-compose; a running one rereads its config (SIGHUP)."""
    ports = state.section("ports")
    targets: dict[str, list[str]] = {}
    for s in stack_processes(state):
        if s.port_key in ports:
            targets.setdefault(s.job, []).append(f"127.0.0.1:{ports[s.port_key]}")
    if not targets:
        raise StackError("no service has a port yet: Prometheus has nothing to scrape")
    port = state.port("prometheus", any_port=any_port)
    config = state.dir / "prometheus" / "prometheus.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(prometheus_config(targets, interval_s=5, rule_files=[PROMETHEUS_RULES]))
    url = f"http://127.0.0.1:{port}"
    pid_file, marker = state.pid_file("prometheus"), prometheus_marker(state)
    log = state.logs / "prometheus.log"
    if pid_file.exists() and pid_alive(int(pid_file.read_text()), marker):
        os.kill(int(pid_file.read_text()), signal.SIGHUP)
        say(f"Prometheus already runs (pid {pid_file.read_text().strip()}); config reloaded")
        return url
    binary = ensure_prometheus()
    with rotating_log(log) as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                marker,
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=7d",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    if not wait_for(lambda: http_ok(f"{url}/-/ready"), timeout_s=60):
        raise StackError(
            f"Prometheus did not become ready on port {port}; log {log}:\n{log_tail(log)}"
        )
    say(f"Prometheus is up on {url} (pid {process.pid}), scraping {', '.join(targets)}")
    return url


# --- intake's reference data, demo credentials and traffic ----------------------------


def demo_key(state: State, name: str) -> str:
    """Stable across `make up` runs, so a newcomer's copied key keeps working."""
    return "mck_" + state.secret(f"demo_key_{name}")


DEMO_PROVINCES = {
    "hanoi": "000.00.00.H01",
    "haiphong": "000.00.00.H31",
    "danang": "000.00.00.H48",
}
"""The demo's one-stop systems, one per province's police (docs/units.md's codes): Hà Nội,
where the demo officer and inspector work, and two cities the 2025 reform merged with a
neighbour (Hải Dương into Hải Phòng, Quảng Nam into Đà Nẵng)."""


def manage_env(database_url: str) -> dict[str, str]:
    """A management command's environment: its database. The receipts mode the stack hands
    each service (``RECORDING_RECEIPTS``, with the callback and secrets it needs) stays out:
    alone it fails the settings of a command that sends nothing."""
    env = {key: value for key, value in os.environ.items() if key != "RECORDING_RECEIPTS"}
    return env | {"DATABASE_URL": database_url}


def seed_intake(state: State, intake_url: str) -> dict[str, str]:
    """Load units and procedures; register the demo upstream systems and the admin."""
    env = manage_env(intake_url)
    manage = [sys.executable, "-m", "services.intake.manage"]
    run([*manage, "seed"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    import psycopg

    with psycopg.connect(intake_url) as conn:
        found = conn.execute(
            "SELECT code FROM units WHERE code = ANY(%s)", (list(DEMO_PROVINCES.values()),)
        ).fetchall()
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
    missing = set(DEMO_PROVINCES.values()) - {row[0] for row in found}
    if missing or not root:
        raise StackError(f"intake's seed lacks the demo provinces {sorted(missing)} or a root")

    def register(name: str, unit: str, scopes: list[str]) -> str:
        key = demo_key(state, name)
        scope_args = [arg for scope in scopes for arg in ("--scope", scope)]
        run(
            [*manage, "register-system", name, unit, *scope_args],
            cwd=ROOT,
            env={**env, "API_KEY": key},
            stdout=subprocess.DEVNULL,
        )
        return key

    upstream = [
        register(f"demo-{name}-one-stop", unit, ["dossiers:write", "dossiers:read"])
        for name, unit in DEMO_PROVINCES.items()
    ]
    keys = {
        "MOTCUA_DEMO_UPSTREAM_KEY": upstream[0],
        "MOTCUA_DEMO_UPSTREAM_KEYS": ",".join(upstream),
        "MOTCUA_DEMO_ADMIN_KEY": register("demo-admin", root[0], ["admin"]),
        "DEADLINES_INTAKE_API_KEY": register(
            "deadlines", root[0], ["dossiers:read", "dossiers:reschedule"]
        ),
        "RATINGS_INTAKE_API_KEY": register("ratings", root[0], ["dossiers:read"]),
        "REPORTING_INTAKE_API_KEY": register("reporting", root[0], ["dossiers:read"]),
        "MOTCUA_DEMO_UPSTREAM_UNIT": DEMO_PROVINCES["hanoi"],
    }
    say(
        f"intake: reference data seeded; demo systems bound to {', '.join(DEMO_PROVINCES.values())}"
    )
    return keys


def seed_portal(ratings_url: str) -> dict[str, str]:
    """The demo's portal system, answering for the citizens with its own ratings key (a new
    key each `make up`: the demo reads it when it starts)."""
    made = run(
        [sys.executable, "-m", "services.ratings.manage", "create-key", "demo-portal"],
        cwd=ROOT,
        env=manage_env(ratings_url),
        capture_output=True,
    )
    return {"MOTCUA_DEMO_PORTAL_KEY": made.stdout.split()[-1]}


def _create_officer(
    deadlines_url: str, username: str, unit_code: str, name: str, roles: list[str], password: str
) -> None:
    run(
        [
            sys.executable,
            "-m",
            "services.deadlines.manage",
            "create-officer",
            username,
            unit_code,
            "--name",
            name,
            *(arg for role in roles for arg in ("--role", role)),
        ],
        cwd=ROOT,
        env=manage_env(deadlines_url) | {"OFFICER_PASSWORD": password},
        stdout=subprocess.DEVNULL,
    )


def seed_officer(state: State, deadlines_url: str, unit_code: str) -> dict[str, str]:
    """A demo duty officer watching the same subtree as the demo upstream system, and an
    inspector of that subtree who reads the audit trails."""
    username, password = "truc.hanoi", state.secret("demo_officer_password")
    # Every working role, so one demo account opens every service's pages.
    roles = ["duty_officer", "unit_head", "leader", "staff_entry"]
    _create_officer(
        deadlines_url, username, unit_code, "Cán bộ trực Công an thành phố Hà Nội", roles, password
    )
    inspector, inspector_password = "thanhtra.hanoi", state.secret("demo_inspector_password")
    _create_officer(
        deadlines_url,
        inspector,
        unit_code,
        "Cán bộ thanh tra Công an thành phố Hà Nội",
        ["inspector"],
        inspector_password,
    )
    return {
        "MOTCUA_DEMO_OFFICER": username,
        "MOTCUA_DEMO_OFFICER_PASSWORD": password,
        "MOTCUA_DEMO_INSPECTOR": inspector,
        "MOTCUA_DEMO_INSPECTOR_PASSWORD": inspector_password,
    }


def start_demo_traffic(state: State, variables: dict[str, str]) -> None:
    pid_file = state.pid_file("demo")
    if pid_file.exists() and pid_alive(int(pid_file.read_text()), "demo_traffic.py"):
        return
    log = state.logs / "demo.log"
    with rotating_log(log) as out:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "deploy" / "local" / "demo_traffic.py")],
            cwd=ROOT,
            env={**os.environ, **variables, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    say(f"demo traffic started (pid {process.pid}, log {log}); stop it with `make down`")


# --- commands --------------------------------------------------------------------------


def write_env(state: State, variables: dict[str, str]) -> Path:
    path = state.dir / "env"
    lines = ["# Written by deploy/local/stack.py; source it: . .stack/env"]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in variables.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    machine_readable = state.dir / "endpoints.json"
    machine_readable.write_text(json.dumps(variables, indent=2))
    machine_readable.chmod(0o600)
    return path


def up(
    state: State,
    *,
    infra_only: bool,
    any_port: bool,
    no_demo: bool,
    with_prometheus: bool = False,
    brokers: int | None = None,
    replicas: int | None = None,
) -> None:
    if infra_only and with_prometheus:
        raise StackError("--with-prometheus scrapes the services: it cannot go with --infra-only")
    state.dir.mkdir(parents=True, exist_ok=True)
    state.logs.mkdir(parents=True, exist_ok=True)
    stack_replicas(state, replicas)
    ensure_fonts()
    external_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    external_db = os.environ.get("DATABASE_URL")
    if external_kafka:
        say(f"using the Kafka at {external_kafka} (KAFKA_BOOTSTRAP_SERVERS)")
        live = wait_for_kafka(external_kafka, None, timeout_s=30, brokers=brokers or 1)
        bootstrap = external_kafka
    else:
        live = kafka_brokers(state, brokers)
        bootstrap = start_kafka(state, any_port=any_port, brokers=live)
    durability = Durability.for_brokers(live)
    state.section("kafka")["external"] = bool(external_kafka)
    state.section("kafka")["replication_factor"] = durability.replication_factor
    created = ensure_topics(bootstrap, TOPICS, durability=durability)
    say(
        f"topics: {len(TOPICS)} declared, {len(created)} created; {live} broker(s), "
        f"{durability.replication_factor} copies, {durability.min_insync_replicas} in sync"
    )

    if external_db:
        say("using the PostgreSQL named by DATABASE_URL")
        admin_url = external_db
    else:
        admin_url = start_postgres(state, any_port=any_port)
    state.section("postgres")["external"] = bool(external_db)
    state.save()
    passwords = {service: state.secret(f"db_{service}") for service in SERVICES}
    service_urls = bootstrap_database(admin_url, passwords)
    for service in SERVICES:
        applied = apply_migrations(service_urls[service], migrations_dir(service))
        if applied:
            say(f"{service}: applied migrations {', '.join(applied)}")

    variables = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": admin_url}
    variables |= {f"{s.upper()}_DATABASE_URL": url for s, url in service_urls.items()}
    if not infra_only:
        variables |= seed_intake(state, service_urls["intake"])
        variables |= seed_portal(service_urls["ratings"])
        variables |= seed_officer(
            state, service_urls["deadlines"], variables["MOTCUA_DEMO_UPSTREAM_UNIT"]
        )
        variables |= start_services(
            state,
            bootstrap=bootstrap,
            service_urls=service_urls,
            any_port=any_port,
            keys=IntakeKeys(
                variables["DEADLINES_INTAKE_API_KEY"],
                variables["RATINGS_INTAKE_API_KEY"],
                variables["REPORTING_INTAKE_API_KEY"],
            ),
        )
        if with_prometheus:
            variables["PROMETHEUS_URL"] = start_prometheus(state, any_port=any_port)
        if not no_demo:
            start_demo_traffic(state, variables)
    env_file = write_env(state, variables)
    say(f"ready; endpoints in {env_file} (source it):")
    for key, value in variables.items():
        print(f"  {key}={value}")


def component_pids(state: State) -> list[tuple[str, int, str]]:
    found = [("demo", state.pid_file("demo"), "demo_traffic.py")]
    found.append(("prometheus", state.pid_file("prometheus"), prometheus_marker(state)))
    for service in stack_processes(state):
        found.append((service.name, state.pid_file(service.name), service.marker))
    brokers = stack_brokers(state) or 1
    found += [(n.name, state.pid_file(n.name), "kafka.Kafka") for n in kafka_nodes(brokers)]
    return [(name, int(f.read_text()), marker) for name, f, marker in found if f.exists()]


def _stop(state: State, components: list[tuple[str, int, str]]) -> None:
    """The services first, together, while Kafka is still there to take their last commits
    (a worker stopping after the brokers waits its whole grace period on them); then the
    brokers together (the last of a cluster stopped alone waits for a controller quorum
    that is already gone)."""
    brokers = [c for c in components if c[0].startswith("kafka")]
    terminate_together([c for c in components if c not in brokers])
    terminate_together(brokers)
    for name, _, _ in components:
        state.pid_file(name).unlink(missing_ok=True)


def down(state: State) -> None:
    _stop(state, component_pids(state))
    stop_postgres(state)


@contextmanager
def stopped_on_failure(state: State) -> Iterator[None]:
    """A start that fails stops what it started (a Kafka left running would hold its port
    and its log for the next try), and leaves alone what already ran before it."""
    before = {(name, pid) for name, pid, marker in component_pids(state) if pid_alive(pid, marker)}
    postgres_ran = postgres_pid_file(state).exists()
    try:
        yield
    except BaseException:
        started = [
            (name, pid, marker)
            for name, pid, marker in component_pids(state)
            if (name, pid) not in before and pid_alive(pid, marker)
        ]
        if started:
            say(f"start failed: stopping {', '.join(name for name, _, _ in started)} again")
            _stop(state, started)
        if not postgres_ran:
            stop_postgres(state)
        raise


def _pid_in(path: Path, *, first_line: bool = False) -> int:
    if not path.exists():
        return 0
    text = path.read_text()
    return int(text.splitlines()[0] if first_line else text)


def postgres_pid_file(state: State) -> Path:
    """PostgreSQL's own: the postmaster's pid on its first line, while it runs."""
    return postgres_dir(state) / "data" / "postmaster.pid"


def postgres_running(state: State) -> bool:
    pid = _pid_in(postgres_pid_file(state), first_line=True)
    return bool(pid) and pid_alive(pid, "postgres")


def status(state: State) -> int:
    """Print one row per component; exit 1 unless everything is up."""
    if not state.file.exists():
        say(f"no stack in {state.dir}; start one with `make up`")
        return 1
    ports = state.section("ports")
    rows: list[tuple[str, str, int, object, object]] = []
    for service in stack_processes(state):
        pid = _pid_in(state.pid_file(service.name))
        port = ports.get(service.port_key, "-")
        alive = bool(pid) and pid_alive(pid, service.marker)
        healthy = alive and http_ok(f"http://127.0.0.1:{port}/healthz")
        word = "up" if healthy else ("unhealthy" if alive else "down")
        rows.append((service.name, word, pid, port, state.logs / f"{service.name}.log"))
    prometheus_pid = _pid_in(state.pid_file("prometheus"))
    if prometheus_pid:
        port = ports.get("prometheus", "-")
        alive = pid_alive(prometheus_pid, prometheus_marker(state))
        healthy = alive and http_ok(f"http://127.0.0.1:{port}/-/ready")
        word = "up" if healthy else ("unhealthy" if alive else "down")
        rows.append(("prometheus", word, prometheus_pid, port, state.logs / "prometheus.log"))
    demo_pid = _pid_in(state.pid_file("demo"))
    if demo_pid:
        word = "up" if pid_alive(demo_pid, "demo_traffic.py") else "down"
        rows.append(("demo", word, demo_pid, "-", state.logs / "demo.log"))
    brokers = stack_brokers(state) or 1
    infra = [
        (n.name, state.pid_file(n.name), "kafka.Kafka", state.logs / f"{n.name}.log", False)
        for n in kafka_nodes(brokers)
    ]
    infra += [
        (
            "postgres",
            postgres_pid_file(state),
            "postgres",
            postgres_dir(state) / "postgres.log",
            True,
        ),
    ]
    for name, pid_path, marker, log, first_line in infra:
        section = "kafka" if name.startswith("kafka") else name
        if state.section(section).get("external"):
            rows.append((name, "external", 0, "-", "-"))
            continue
        pid = _pid_in(pid_path, first_line=first_line)
        alive = bool(pid) and pid_alive(pid, marker)
        port_key = name.replace("-", "_")
        rows.append((name, "up" if alive else "down", pid, ports.get(port_key, "-"), log))
    print(f"{'component':<14} {'state':<10} {'pid':>8} {'port':>6}  log")
    for name, word, pid, port, where in rows:
        print(f"{name:<14} {word:<10} {pid or '-'!s:>8} {port!s:>6}  {where}")
    return 0 if all(row[1] in ("up", "external") for row in rows) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "command", choices=["up", "down", "status", "browser", "prometheus", "kafka-jars"]
    )
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".stack")
    parser.add_argument("--infra-only", action="store_true", help="Kafka and PostgreSQL only")
    parser.add_argument(
        "--any-port", action="store_true", help="free ports instead of the usual ones"
    )
    parser.add_argument("--no-demo", action="store_true", help="no demo traffic")
    parser.add_argument(
        "--brokers",
        type=int,
        default=int(os.environ["MOTCUA_KAFKA_BROKERS"])
        if "MOTCUA_KAFKA_BROKERS" in os.environ
        else None,
        help="Kafka brokers (KRaft nodes) to run: 3 makes a cluster whose topics keep three "
        "copies, two in sync (default: as the stack ran before, else 1; MOTCUA_KAFKA_BROKERS)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=int(os.environ["MOTCUA_REPLICAS"]) if "MOTCUA_REPLICAS" in os.environ else None,
        help="copies of every service process (2: two intakes, two deadlines workers and "
        "officers' webs, two ratings, two reportings; each copy's URL is the variable with "
        "_2 …; default: as the stack ran before, else 1; MOTCUA_REPLICAS)",
    )
    parser.add_argument(
        "--with-prometheus",
        action="store_true",
        help="also run Prometheus (Debian's, installed if missing) scraping the services",
    )
    args = parser.parse_args(argv)
    state = State(args.state_dir.resolve())
    try:
        if args.command == "up":
            with stopped_on_failure(state):
                up(
                    state,
                    infra_only=args.infra_only,
                    any_port=args.any_port,
                    no_demo=args.no_demo,
                    with_prometheus=args.with_prometheus,
                    brokers=args.brokers,
                    replicas=args.replicas,
                )
        elif args.command == "down":
            down(state)
        elif args.command == "browser":
            print(ensure_chromium())
        elif args.command == "prometheus":
            print(ensure_prometheus())
        elif args.command == "kafka-jars":
            print(kafka_jars())
        else:
            return status(state)
    except StackError as exc:
        print(f"[stack] error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"[stack] error: {shlex.join(exc.cmd)} exited with {exc.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
