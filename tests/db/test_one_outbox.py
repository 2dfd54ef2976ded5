"""One copy of the outbox's DDL: ``motcua/outbox/migrations`` creates and changes the
table, no service migration does, and every service that publishes through the outbox
(its settings are :class:`motcua.outbox.OutboxSettings`) gets those migrations, the others
none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from motcua.db import migrations_dir
from motcua.db._migrations import SHARED_MIGRATIONS, wanted_migrations
from motcua.outbox import OutboxSettings
from services.deadlines.settings import DeadlinesSettings
from services.intake.settings import IntakeSettings
from services.ratings.settings import RatingsSettings
from services.reporting.settings import ReportingSettings
from tests.conftest import ROOT

OUTBOX_MIGRATIONS = ROOT / "motcua" / "outbox" / "migrations"
AUDIT_MIGRATIONS = ROOT / "motcua" / "audit" / "migrations"
"""The other shared set: a service that keeps an audit trail has it too, whatever it
publishes."""
# A statement that creates, changes, drops or indexes the outbox table (not one that
# writes rows into it).
OUTBOX_DDL = re.compile(
    r"\b(?:(?:CREATE|ALTER|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?"
    r"(?:\w+\.)?outbox\b|ON\s+(?:ONLY\s+)?(?:\w+\.)?outbox\s*(?:USING\s+\w+\s*)?\()",
    re.IGNORECASE,
)
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "deadlines": DeadlinesSettings,
    "ratings": RatingsSettings,
    "reporting": ReportingSettings,
}
NOT_SOURCES = {".venv", ".stack", ".test-stack", ".git", "tests", "node_modules", ".cache"}


def _sources() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*")
        if path.suffix in {".sql", ".py"}
        and not NOT_SOURCES & set(path.relative_to(ROOT).parts)
        and path.is_file()
    ]


def test_the_pattern_finds_what_it_must_and_nothing_else() -> None:
    for ddl in (
        "CREATE TABLE outbox (",
        "create table if not exists intake.outbox (",
        "ALTER TABLE outbox ADD COLUMN created_xid xid8",
        "DROP TABLE IF EXISTS outbox",
        "CREATE INDEX outbox_unpublished ON outbox (id)",
        "CREATE INDEX x ON ONLY outbox USING btree (id)",
    ):
        assert OUTBOX_DDL.search(ddl), ddl
    for other in ("INSERT INTO outbox (event_id)", "SELECT id FROM outbox", "outbox_lag"):
        assert not OUTBOX_DDL.search(other), other


def test_only_the_outbox_package_holds_the_outbox_ddl() -> None:
    holders = {
        path.relative_to(ROOT).as_posix()
        for path in _sources()
        if OUTBOX_DDL.search(path.read_text(encoding="utf-8"))
    }
    assert holders == {"motcua/outbox/migrations/outbox.0001.table.sql"}


def test_no_service_migration_creates_or_alters_the_outbox() -> None:
    migrations = [
        path
        for path in (ROOT / "services").glob("*/migrations/*")
        if path.suffix in {".sql", ".py"}  # not the __pycache__ a .py migration leaves
    ]
    assert len(migrations) > 30
    for path in migrations:
        assert not OUTBOX_DDL.search(path.read_text(encoding="utf-8")), path


def test_the_shared_set_is_the_outbox_package_and_its_ids_are_prefixed() -> None:
    assert OUTBOX_MIGRATIONS in SHARED_MIGRATIONS
    ids = [path.stem for path in OUTBOX_MIGRATIONS.glob("*.sql")]
    assert ids
    assert all(migration_id.startswith("outbox.") for migration_id in ids)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_a_service_has_the_outbox_migrations_if_and_only_if_it_publishes_through_it(
    service: str,
) -> None:
    outbox = {path.stem for path in OUTBOX_MIGRATIONS.glob("*.sql")}
    own = {
        path.stem for path in migrations_dir(service).iterdir() if path.suffix in {".sql", ".py"}
    }
    applied = {migration.id for migration in wanted_migrations(migrations_dir(service))}
    audit = {path.stem for path in AUDIT_MIGRATIONS.glob("*.sql")}
    publishes = issubclass(SETTINGS[service], OutboxSettings)
    assert applied - audit == (own | outbox if publishes else own)
