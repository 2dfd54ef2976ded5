"""A process started while PostgreSQL restarts waits for it to migrate; a refusal by a
running server is raised at once."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import pytest

from motcua.db import migrate_on_start


class Refused(psycopg.OperationalError):
    """What psycopg raises when a running server refuses the login."""

    sqlstate = "28P01"


def test_a_database_coming_back_is_waited_for_with_one_outage_line_then_one_more(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[str] = []
    slept: list[float] = []

    def apply(url: str, directory: Path) -> list[str]:
        attempts.append(url)
        if len(attempts) < 4:
            raise psycopg.OperationalError("connection refused")
        return ["0001.schema"]

    with caplog.at_level(logging.WARNING, logger="motcua.db"):
        applied = migrate_on_start("postgresql://db", Path("m"), apply=apply, sleep=slept.append)
    assert applied == ["0001.schema"]
    assert len(attempts) == 4
    assert slept == [1.0, 1.0, 1.0]
    assert [r.getMessage() for r in caplog.records] == [
        "PostgreSQL unreachable; retrying",
        "PostgreSQL reachable again after 0 s, 3 retries",
    ]


def test_a_login_the_running_server_refuses_is_raised_at_once() -> None:
    attempts: list[str] = []

    def apply(url: str, directory: Path) -> list[str]:
        attempts.append(url)
        raise Refused("password authentication failed")

    with pytest.raises(Refused):
        migrate_on_start("postgresql://db", Path("m"), apply=apply, sleep=lambda _: None)
    assert len(attempts) == 1
