"""A PostgreSQL primary and its synchronous streaming standby of a test's own, on loopback.

Made with the binaries the test stack runs (Debian's, found by ``deploy/local/stack.py``)
in a folder and on ports of their own, so the session's shared cluster is never touched.
The primary waits for the standby to have flushed each commit before it answers
(``synchronous_standby_names``, ``synchronous_commit = on``): what a client was told is
committed is on both. :meth:`Pair.kill_primary` is a crash (SIGKILL to every process of
the cluster), :meth:`Pair.promote` the switch a failover manager makes.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import psycopg

from tests.live_server import free_port
from tests.scripts import load_script

STANDBY_NAME = "standby"
REPLICATOR = "replicator"


def _stack() -> ModuleType:
    """deploy/local/stack.py, for where Debian's PostgreSQL is and how to run it as root."""
    return load_script("deploy/local/stack.py")


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    data: Path
    log: Path

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])


@dataclass
class Pair:
    bindir: Path
    root: Path
    password: str
    primary: Node
    standby: Node

    def run(self, *cmd: str | Path) -> None:
        """Run a PostgreSQL program (as the postgres user when we are root). Its output goes
        to a file, not a pipe: the server ``pg_ctl start`` leaves running would hold a pipe
        open, and reading it would never end."""
        as_user = _stack().as_postgres_user([str(part) for part in cmd])
        with tempfile.TemporaryFile() as out:
            code = subprocess.run(
                as_user, stdout=out, stderr=subprocess.STDOUT, check=False, timeout=120
            ).returncode
            out.seek(0)
            assert code == 0, f"{cmd[0]} failed:\n{out.read().decode(errors='replace')}"

    def admin_url(self, node: Node, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{node.port}/{database}"

    def multi_host_url(self, database: str) -> str:
        """Both nodes, the primary first; libpq keeps the one that accepts writes."""
        return (
            f"postgresql://postgres:{self.password}@127.0.0.1:{self.primary.port},"
            f"127.0.0.1:{self.standby.port}/{database}?target_session_attrs=read-write"
            "&connect_timeout=3"
        )

    def start(self, node: Node) -> None:
        self.run(self.bindir / "pg_ctl", "-D", node.data, "-l", node.log, "-w", "-t", "60", "start")

    def replication(self) -> list[tuple[str, str, str]]:
        """(application_name, state, sync_state) of each standby the primary streams to."""
        with psycopg.connect(self.admin_url(self.primary), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT application_name, state, sync_state FROM pg_stat_replication"
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def wait_streaming_synchronously(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while self.replication() != [(STANDBY_NAME, "streaming", "sync")]:
            assert time.monotonic() < deadline, f"standby not in sync: {self.replication()}"
            time.sleep(0.1)

    def kill_primary(self) -> None:
        """A crash: SIGKILL to the postmaster and every process it started, at once."""
        postmaster = self.primary.postmaster_pid()
        children = [pid for pid in _pids() if _parent(pid) == postmaster]
        for pid in (postmaster, *children):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in (postmaster, *children)):
            assert time.monotonic() < deadline, "the primary's processes outlived SIGKILL"
            time.sleep(0.02)

    def promote(self) -> None:
        """The standby becomes the primary (``pg_ctl promote`` waits until it takes writes)."""
        self.run(self.bindir / "pg_ctl", "-D", self.standby.data, "-w", "-t", "60", "promote")

    def in_recovery(self, node: Node) -> bool:
        with psycopg.connect(self.admin_url(node), autocommit=True) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        return bool(row and row[0])

    def stop(self) -> None:
        for node in (self.standby, self.primary):
            if (node.data / "postmaster.pid").exists():
                subprocess.run(
                    _stack().as_postgres_user(
                        [
                            str(self.bindir / "pg_ctl"),
                            "-D",
                            str(node.data),
                            "-m",
                            "immediate",
                            "stop",
                        ]
                    ),
                    capture_output=True,
                    check=False,
                    timeout=60,
                )


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _stat(pid: int) -> list[str] | None:
    try:
        text = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # after the command, which may hold spaces


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _writable_by_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _init_primary(pair: Pair) -> None:
    primary = pair.primary
    pwfile = pair.root / "pwfile"
    pwfile.write_text(pair.password + "\n")
    _writable_by_postgres(pwfile)
    pair.run(
        pair.bindir / "initdb",
        "-D",
        primary.data,
        "-U",
        "postgres",
        "--auth=scram-sha-256",
        f"--pwfile={pwfile}",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
    )
    pwfile.unlink()
    with (primary.data / "postgresql.conf").open("a") as conf:
        conf.write(
            "\nlisten_addresses = '127.0.0.1'\n"
            f"port = {primary.port}\n"
            "unix_socket_directories = ''\n"
            "max_connections = 60\n"
            "fsync = on\n"
            "wal_level = replica\n"
            "max_wal_senders = 4\n"
            "wal_keep_size = '256MB'\n"
            "synchronous_commit = on\n"
        )
    with (primary.data / "pg_hba.conf").open("a") as hba:
        hba.write(f"host replication {REPLICATOR} 127.0.0.1/32 scram-sha-256\n")


def _base_backup(pair: Pair) -> None:
    standby = pair.standby
    source = (
        f"host=127.0.0.1 port={pair.primary.port} user={REPLICATOR} "
        f"password={pair.password} application_name={STANDBY_NAME}"
    )
    pair.run(
        pair.bindir / "pg_basebackup",
        "-d",
        source,
        "-D",
        standby.data,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    )
    with (standby.data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {standby.port}\n"
            f"primary_conninfo = '{source}'\n"
            # Once promoted it has no standby of its own: waiting for one would stop every
            # write (a failover manager attaches a new standby, then makes it synchronous).
            "synchronous_standby_names = ''\n"
        )


@contextmanager
def primary_and_standby(database: str) -> Iterator[Pair]:
    """A primary with ``database`` and a standby streaming it synchronously; both stopped
    and removed at the end."""
    bindir = _stack().postgres_bindir()
    root = Path(tempfile.mkdtemp(prefix="motcua-failover-"))
    _writable_by_postgres(root)
    pair = Pair(
        bindir=bindir,
        root=root,
        password=secrets.token_urlsafe(16),
        primary=Node("primary", free_port(), root / "primary", root / "primary.log"),
        standby=Node("standby", free_port(), root / "standby", root / "standby.log"),
    )
    try:
        _init_primary(pair)
        pair.start(pair.primary)
        with psycopg.connect(pair.admin_url(pair.primary), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {REPLICATOR} REPLICATION LOGIN PASSWORD '{pair.password}'")
            conn.execute(f'CREATE DATABASE "{database}"')
        _base_backup(pair)
        pair.start(pair.standby)
        # From now on a commit is acknowledged once the standby has flushed it: no
        # acknowledged write can be lost when the standby takes over. (Set before the
        # standby streamed, it would have held the setup's own commits forever.)
        with psycopg.connect(pair.admin_url(pair.primary), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
            conn.execute("SELECT pg_reload_conf()")
        pair.wait_streaming_synchronously()
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(root, ignore_errors=True)
