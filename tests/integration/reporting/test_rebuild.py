"""``manage rebuild`` replays the topics into a fresh schema, and the figures it gives are
the live ones, number for number."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from services.reporting.figures import GroupBy, Scope, count
from services.reporting.manage import rebuild, with_search_path
from services.reporting.periods import Period
from tests.conftest import ROOT, Database, Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Province,
    Topics,
    consumer_for,
    consuming,
    reporting_settings,
    stored_offsets,
)
from tests.integration.reporting.test_counting import november_story
from tests.integration.reporting.test_delivery import november as november_notices

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _figures(url: str, province: Province) -> dict[str, dict[str, dict[str, int]]]:
    scope = Scope(province.code, 2)
    with psycopg.connect(url) as conn:
        return {
            f"{period}/{group}": count(
                scope, Period.parse(period), now=NOW, group_by=group, db_session=conn
            )
            for period in ("2026-11", "2026-Q4", "2026", "2026-11-12")
            for group in (GroupBy.NONE, GroupBy.UNIT, GroupBy.PROCEDURE)
        }


def test_a_rebuild_from_the_topics_gives_the_live_figures(
    infra: Infra,
    reporting_db: str,
    database: Database,
    topics: Topics,
    province: Province,
) -> None:
    events, _ = november_story(province)
    events += november_notices(province)[0]  # five late dossiers, their letters' notices
    extra = [province.dossier(i % 2) for i in range(40)]
    events += [d.received() for d in extra] + [
        d.completed(datetime(2026, 11, 20, 3, tzinfo=UTC)) for d in extra[::3]
    ]
    topics.publish(events)
    topics.publish(events[:10])  # redelivered
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == len(events) + 10, what="live")
    live = _figures(reporting_db, province)
    assert live["2026-11/none"][""]["received"] == 52
    assert live["2026-11/none"][""]["late_letter_reached_in_time"] == 2

    schema = f"rebuild_{uuid.uuid4().hex[:8]}"
    settings = reporting_settings(infra, reporting_db, ROOT / "nothing.pem")
    assert rebuild(settings, schema, swap=False, topics=topics.roles) == 0
    rebuilt_url = with_search_path(reporting_db, schema)
    assert _figures(rebuilt_url, province) == live
    with psycopg.connect(rebuilt_url) as conn:
        offsets = conn.execute(
            "SELECT coalesce(sum(next_offset), 0) FROM consumed_offsets"
        ).fetchone()
    assert offsets == (len(events) + 10,)
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def test_the_rebuild_command_replays_reporting_s_own_topics(
    infra: Infra, reporting_db: str
) -> None:
    schema = f"rebuild_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "services.reporting.manage", "rebuild", "--schema", schema],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers,
            "DATABASE_URL": reporting_db,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"rebuilt {schema}:" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "services.reporting.manage", "rebuild", "--schema", "reporting"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": reporting_db},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "live schema" in refused.stderr
