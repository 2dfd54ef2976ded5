"""Versioned SQL migrations with yoyo, run as the service's own role.

Each service keeps its migrations in ``services/<name>/migrations``; yoyo's bookkeeping
tables land in the role's own schema (its search_path), so services never share them.
yoyo takes a database lock, so several workers starting at once migrate once.

A table every service that wants it keeps alike (the outbox, the audit trail) is versioned
once, beside the package that uses it (``motcua/outbox/migrations``). A service says it has one by
depending on it: a migration of its own names one of the shared migrations
(``-- depends: outbox.0001.table``), and then every migration of that shared set is
applied to its schema too, recorded in its own yoyo tables like its own migrations.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg
from yoyo import read_migrations
from yoyo.backends import DatabaseBackend, get_backend_class
from yoyo.migrations import Migration, MigrationList, default_migration_table

from motcua.db._conninfo import yoyo_uri
from motcua.outage import Outage

_log = logging.getLogger("motcua.db")
_STARTING_UP = "57P03"
"""PostgreSQL's ``cannot_connect_now``: the server is starting, as after a crash."""

_ROOT = Path(__file__).resolve().parents[2]
_SERVICES_ROOT = _ROOT / "services"
SHARED_MIGRATIONS: tuple[Path, ...] = (
    _ROOT / "motcua" / "outbox" / "migrations",
    _ROOT / "motcua" / "audit" / "migrations",
)
"""The shared sets: each a directory whose migration ids are prefixed with its name."""


def migrations_dir(service: str) -> Path:
    return _SERVICES_ROOT / service / "migrations"


def migration_backend(database_url: str) -> DatabaseBackend:
    """yoyo's psycopg backend on ``database_url``, whatever servers it names."""
    uri = yoyo_uri(database_url)
    backend: DatabaseBackend = get_backend_class(uri.scheme)(uri, default_migration_table)
    backend.init_database()
    return backend


def _source(migration: Migration) -> Path:
    return Path(migration.source_dir).resolve()


def wanted_migrations(directory: Path, shared: Iterable[Path] = SHARED_MIGRATIONS) -> MigrationList:
    """``directory``'s migrations, and each shared set one of them depends on."""
    own = directory.resolve()
    every = read_migrations(str(own), *(str(path) for path in shared))
    wanted = {own} | {
        _source(needed)
        for migration in every
        if _source(migration) == own
        for needed in migration.depends
    }
    return MigrationList(
        [migration for migration in every if _source(migration) in wanted], every.post_apply
    )


def apply_migrations(database_url: str, directory: Path) -> list[str]:
    """Apply the pending migrations of ``directory`` (and of the shared sets it depends on);
    return the ids applied."""
    backend = migration_backend(database_url)
    migrations = wanted_migrations(directory)
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [migration.id for migration in pending]


def migrate_on_start(
    database_url: str,
    directory: Path,
    *,
    apply: Callable[[str, Path], list[str]] = apply_migrations,
    sleep: Callable[[float], None] = time.sleep,
    retry_every_s: float = 1.0,
) -> list[str]:
    """:func:`apply_migrations` once PostgreSQL answers: a process started while the
    database restarts waits for it, logging one outage line every ten seconds, instead of
    dying with a traceback (a chaos run's worker, restarted during a PostgreSQL crash, did).
    A refusal by a running server (a wrong password, a missing database) is not waited
    out: it is raised at once."""
    outage = Outage("PostgreSQL", _log)
    while True:
        try:
            applied = apply(database_url, directory)
        except psycopg.OperationalError as exc:
            if exc.sqlstate not in (None, _STARTING_UP):
                raise
            outage.failed(exc)
            sleep(retry_every_s)
            continue
        outage.recovered()
        return applied
