"""Management commands run as their service's own role: after ``. .stack/env`` (the
superuser in ``DATABASE_URL``, each service's URL beside it) they find their own, and with
no way to it they refuse, naming the variable — never migrating into ``public``."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from motcua.db import NotTheServiceRole, own_database_url
from tests.conftest import ROOT, Database


def _public_tables(admin_url: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def test_the_service_url_is_taken_as_it_is_or_found_beside_the_superusers(
    database: Database,
) -> None:
    own = database.service_urls["intake"]
    assert own_database_url("intake", own, {}) == own
    assert own_database_url("intake", database.admin_url, {"INTAKE_DATABASE_URL": own}) == own
    with pytest.raises(NotTheServiceRole, match="INTAKE_DATABASE_URL"):
        own_database_url("intake", database.admin_url, {})
    with pytest.raises(NotTheServiceRole, match="INTAKE_DATABASE_URL"):
        own_database_url("intake", database.service_urls["ratings"], {})


@pytest.mark.parametrize("service", ["intake", "deadlines", "reporting"])
def test_a_command_given_only_the_superuser_refuses_and_migrates_nothing(
    database: Database, service: str
) -> None:
    command = {
        "intake": ["register-system", "demo", "000.00.00.B01"],
        "deadlines": ["create-officer", "truc.thu", "000.00.00.B01"],
        "reporting": ["create-key", "demo", "000.00.00.B01"],
    }[service]
    before = _public_tables(database.admin_url)
    done = subprocess.run(
        [sys.executable, "-m", f"services.{service}.manage", *command],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": database.admin_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{service.upper()}_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert _public_tables(database.admin_url) == before


def test_after_sourcing_the_stack_env_the_readme_command_works(
    database: Database, intake_url: str
) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.intake.manage",
            "register-system",
            "demo-readme",
            "000.00.00.B01",
            "--scope",
            "dossiers:read",
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": database.admin_url,
            "INTAKE_DATABASE_URL": intake_url,  # seeded by the fixture
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "API key mck_" in done.stdout
