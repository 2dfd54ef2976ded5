"""The shared relay as the services run it: ratings' lifespan publishes what ratings
enqueued in its own schema, and intake's and ratings' relays work side by side in one
database (a lock per schema) while a second relay of one service stands by."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from confluent_kafka.admin import AdminClient, NewTopic
from fastapi.testclient import TestClient
from psycopg.conninfo import conninfo_to_dict

from motcua.contracts import EventType, new_event
from motcua.kafka import Topic
from motcua.outbox import (
    OutboxSettings,
    advisory_lock_id,
    enqueue,
    relay_from,
    supervise_relay,
)
from motcua.supervision import Supervisor
from services.intake.settings import IntakeSettings
from services.ratings.app import create_app
from services.ratings.settings import RatingsSettings
from tests.conftest import Database, Infra
from tests.integration.kafka_log import read_to_end


@contextmanager
def _relay_running(settings: OutboxSettings, *, service: str) -> Iterator[None]:
    """The relay as the service's API process runs it: a supervised loop."""
    loops = Supervisor(service)
    supervise_relay(loops, settings, service=service)
    with loops.running():
        yield


def _invitation() -> dict[str, Any]:
    dossier_id = str(uuid.uuid4())
    return new_event(
        EventType.RATING_INVITED,
        source="/motcua/ratings",
        subject=dossier_id,
        data={
            "invitation_id": str(uuid.uuid4()),
            "dossier_id": dossier_id,
            "dossier_code": "000.00.12.H26-250610-0007",
            "unit_code": "000.00.12.H26",
            "unit_path": ["000.00.00.H26", "000.00.12.H26"],
            "procedure_code": "1.001612",
            "channels": ["sms"],
            "expires_at": "2025-07-27T08:16:00+07:00",
        },
        time=datetime.now(UTC),
    )


def _published_ids(infra: Infra, topic: str, ids: set[str]) -> list[tuple[str, str]]:
    """(event id, message key) of every message of ``ids`` on ``topic``, read to its end,
    duplicates included."""
    found = []
    for message in read_to_end(infra.bootstrap_servers, topic):
        event_id = json.loads(message.value() or b"{}").get("id")
        if event_id in ids:
            found.append((event_id, (message.key() or b"").decode()))
    return found


def _wait_published(url: str, event_id: str, *, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT published_at IS NOT NULL FROM outbox WHERE event_id = %s", (event_id,)
            ).fetchone()
            if row and row[0]:
                return
            assert time.monotonic() < deadline, f"{event_id} not published in {timeout_s}s"
            time.sleep(0.05)


def _lock_holders(admin_url: str, schema: str) -> list[int]:
    """Backends holding ``schema``'s relay lock in this database (a bigint key is split
    into classid, the high half, and objid, the low half)."""
    key = advisory_lock_id(schema) & 0xFFFF_FFFF_FFFF_FFFF
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (key >> 32, key & 0xFFFF_FFFF),
        ).fetchall()
    return [row[0] for row in rows]


def _wait_holders(admin_url: str, schema: str, *, timeout_s: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while not (holders := _lock_holders(admin_url, schema)):
        assert time.monotonic() < deadline, f"no relay took {schema}'s lock"
        time.sleep(0.05)
    return holders


def _wait_standing_by(admin_url: str, url: str, *, timeout_s: float = 30) -> None:
    """Until a session of ``url``'s role last asked for the relay lock (and was refused)."""
    role = conninfo_to_dict(url)["user"]
    deadline = time.monotonic() + timeout_s
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND usename = %s AND query LIKE 'SELECT pg_try_advisory_lock%%' AND state = 'idle'"
    )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while conn.execute(query, (role,)).fetchone() != (1,):
            assert time.monotonic() < deadline, "the second relay never asked for the lock"
            time.sleep(0.05)


def test_ratings_lifespan_relay_publishes_what_ratings_enqueued(
    infra: Infra, database: Database
) -> None:
    ratings_url = database.service_urls["ratings"]
    event = _invitation()
    with psycopg.connect(ratings_url) as conn:
        event_id = enqueue(
            event, topic=Topic.RATING_INVITATIONS.value, key=event["subject"], db_session=conn
        )
    settings = RatingsSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers,
        database_url=ratings_url,
        invitations_enabled=False,  # no consumer group: only the relay is under test
    )
    with TestClient(create_app(settings)) as client:
        _wait_published(ratings_url, event_id)
        assert client.get("/readyz").status_code == 200
        metrics = client.get("/metrics").text
    assert 'motcua_outbox_lag_seconds{service="ratings"}' in metrics
    assert 'motcua_outbox_published_total{service="ratings"}' in metrics

    # Published once: the relay stopped with the app, so the topic's end is final for it.
    found = _published_ids(infra, Topic.RATING_INVITATIONS.value, {event_id})
    assert found == [(event_id, event["subject"])]


def test_intake_and_ratings_relays_run_side_by_side_in_one_database(
    infra: Infra, database: Database
) -> None:
    topic = f"test-outbox-services-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": infra.bootstrap_servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    urls = {service: database.service_urls[service] for service in ("intake", "ratings")}
    intake = IntakeSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers, database_url=urls["intake"]
    )
    ratings = RatingsSettings(
        kafka_bootstrap_servers=infra.bootstrap_servers, database_url=urls["ratings"]
    )
    standby_stop = threading.Event()
    standby = threading.Thread(
        target=relay_from(ratings, service="ratings").run, args=(standby_stop,)
    )
    events = {service: {"id": f"ev-{uuid.uuid4()}"} for service in urls}
    try:
        with (
            _relay_running(intake, service="intake"),
            _relay_running(ratings, service="ratings"),
        ):
            intake_holders = _wait_holders(database.admin_url, "intake")
            ratings_holders = _wait_holders(database.admin_url, "ratings")
            standby.start()
            for service, url in urls.items():
                with psycopg.connect(url) as conn:
                    enqueue(events[service], topic=topic, key=service, db_session=conn)
            for service, url in urls.items():
                _wait_published(url, events[service]["id"])
            # Each service's lock held once, by different sessions; the second ratings
            # relay waits for its lock instead of publishing too.
            assert len(intake_holders) == len(ratings_holders) == 1
            assert intake_holders != ratings_holders
            _wait_standing_by(database.admin_url, urls["ratings"])
            assert _lock_holders(database.admin_url, "ratings") == ratings_holders
        # The standby takes the lock once the active relay stops; stopped too, everything
        # any relay published is on the topic, which is the test's own.
        standby_stop.set()
        standby.join(timeout=30)
        assert not standby.is_alive()
        found = _published_ids(infra, topic, {e["id"] for e in events.values()})
        # Exactly once each (a relay standing by must not publish as well), in any order:
        # the two services' relays run independently.
        assert sorted(found) == sorted(
            [(events["intake"]["id"], "intake"), (events["ratings"]["id"], "ratings")]
        )
        everything = read_to_end(infra.bootstrap_servers, topic)
        assert len(everything) == 2, "nothing else on the test's own topic"
    finally:
        standby_stop.set()
        if standby.is_alive():
            standby.join(timeout=30)
        admin.delete_topics([topic])
