"""Shared fixtures: a real Kafka and PostgreSQL for the integration tests.

When ``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` are set those are used; otherwise a
throwaway pair is started with the same script as ``make up`` (``--infra-only``, free
ports, state in ``.test-stack<worker>/``) on first use and torn down at the end of the session.
Each session gets its own database and roles, so tests never disturb a running stack.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from motcua.db import (
    SERVICES,
    apply_migrations,
    bootstrap_database,
    migrations_dir,
    with_database,
)
from motcua.kafka import TOPICS, ensure_topics

ROOT = Path(__file__).resolve().parents[1]
TEST_STACK = ROOT / f".test-stack{os.environ.get('PYTEST_XDIST_WORKER', '')}"
"""Each of ``make test``'s parallel pytest workers (pytest-xdist's ``gw0``, ``gw1``) starts
its own pair in a directory of its own: no test sees another worker's topics or tables."""


@dataclass(frozen=True)
class Infra:
    bootstrap_servers: str
    admin_url: str


@dataclass(frozen=True)
class Database:
    admin_url: str
    service_urls: dict[str, str]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path) or "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    admin_url = os.environ.get("DATABASE_URL")
    started = not (bootstrap and admin_url)
    if started:
        stack = [sys.executable, str(ROOT / "deploy/local/stack.py")]
        state = ["--state-dir", str(TEST_STACK)]
        up = subprocess.run(
            [*stack, "up", "--infra-only", "--any-port", *state],
            capture_output=True,
            text=True,
            check=False,
        )
        if up.returncode != 0:
            pytest.fail(f"test stack did not start:\n{up.stdout}\n{up.stderr}")
        env = json.loads((TEST_STACK / "endpoints.json").read_text())
        bootstrap, admin_url = env["KAFKA_BOOTSTRAP_SERVERS"], env["DATABASE_URL"]
    assert bootstrap
    assert admin_url
    ensure_topics(bootstrap, TOPICS)
    try:
        yield Infra(bootstrap, admin_url)
    finally:
        if started:
            subprocess.run([*stack, "down", *state], capture_output=True, check=False)
            shutil.rmtree(TEST_STACK, ignore_errors=True)


@pytest.fixture(scope="session")
def database(infra: Infra) -> Iterator[Database]:
    """A fresh database with every service's role, schema and migrations."""
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_test_{suffix}", f"mt{suffix}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin_url = with_database(infra.admin_url, name)
    passwords = {service: secrets.token_urlsafe(16) for service in SERVICES}
    urls = bootstrap_database(admin_url, passwords, role_prefix=prefix)
    for service in SERVICES:
        apply_migrations(urls[service], migrations_dir(service))
    try:
        yield Database(admin_url, urls)
    finally:
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for service in SERVICES:
                conn.execute(f'DROP ROLE IF EXISTS "{prefix}_{service}"')
