"""Reporting counts once because every write of a batch is guarded: a dossier's row only
moves forward in its sequence, a letter's notice only to a newer state and never out of a
final one, the other facts are inserted once by their key, a follow-up is never reopened,
an offset only grows (``services/reporting/store.py``). These tests go
through ``projection.apply_batch`` in one transaction each, as the consumer does, against
the real PostgreSQL, and compare a dump of every table of reporting's schema before and
after the batch that must change nothing."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from motcua.contracts import EventType, format_instant, new_event
from services.reporting.projection import apply_batch
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import CALENDAR, Log, Province, apply
from tests.services.reporting.events import Dossier, at

Dump = dict[str, list[str]]


def followup(
    dossier: Dossier, rating: dict[str, Any], *, closed_at: datetime | None = None
) -> dict[str, Any]:
    """The follow-up a dissatisfied answer opened (and, with ``closed_at``, its closing)."""
    opened_at, due_at = at(13, 10), at(20, 17)
    data: dict[str, Any] = {
        "followup_id": str(uuid.uuid5(uuid.NAMESPACE_URL, rating["data"]["rating_id"])),
        "rating_id": rating["data"]["rating_id"],
        "dossier_id": dossier.dossier_id,
        "dossier_code": dossier.code,
        "unit_code": dossier.unit_path[-1],
        "unit_path": list(dossier.unit_path),
        "reasons": ["processing_time"],
        "opened_at": format_instant(opened_at),
        "due_at": format_instant(due_at),
    }
    kind = EventType.RATING_FOLLOWUP_OPENED
    if closed_at is not None:
        kind = EventType.RATING_FOLLOWUP_CLOSED
        data |= {"closed_at": format_instant(closed_at), "on_time": True, "notify": "sms"}
    return new_event(
        kind,
        source="/motcua/ratings",
        subject=dossier.dossier_id,
        time=closed_at or opened_at,
        data=data,
    )


@dataclass(frozen=True)
class Story:
    log: Log
    dossiers: tuple[Dossier, ...]
    last_sequences: tuple[int, ...]


def story(province: Province) -> Story:
    """Three dossiers, each on its own partition, with a letter and its notices,
    invitations, answers and a follow-up. Offset 0 of every partition is a dossier's
    receipt or a first fact; offsets 1 and 2 are what a worker that lost its partitions was
    still applying (the second letter, the second invitation, a supplement asked and
    received, an answer, a follow-up opened but not yet closed, notices sent and failed
    for now); the rest is what the new owner applied after (the notices delivered)."""
    log = Log()
    d1, d2, d3 = (province.dossier(i % 2, due_at=at(11, 9)) for i in range(3))
    log.append(
        0,
        d1.received(),
        d1.supplement_requested(at(3, 9)),
        d1.supplement_received(at(4, 9), at(12, 9)),
        d1.completed(at(10, 9)),
        d1.returned(at(10, 15)),
    )
    log.append(
        1,
        d2.received(),
        d2.assigned(at(2, 10), "can-bo-b"),
        d2.supplement_requested(at(5, 9)),
        d2.supplement_received(at(9, 9), at(18, 9)),
    )
    log.append(
        2,
        d3.received(),
        d3.assigned(at(3, 10), "can-bo-c"),
        d3.completed(at(16, 9)),
        d3.returned(at(17, 9)),
    )
    log.append(2, d3.apology(at(10, 9), at(16, 9)), d3.apology(at(13, 9), at(18, 9), episode=2))
    sms, zalo = str(uuid.uuid4()), str(uuid.uuid4())
    log.append(
        2,
        d3.notice("failed_permanent", at(10, 9), message_id=sms, fallback_channel="zalo"),
        d3.notice("sent", at(10, 9, minute=5), message_id=zalo, channel="zalo", sent_at=at(10, 9)),
        d3.notice("failed_temporary", at(10, 9, minute=6), message_id=zalo, channel="zalo"),
        d3.notice("delivered", at(10, 9, minute=9), message_id=zalo, channel="zalo"),
    )
    log.append(0, d1.invited(at(10, 9)), d3.invited(at(16, 10)))
    d1_rating = d1.rated(at(11, 9), "dissatisfied")
    log.append(
        0,
        d1_rating,
        d3.rated(at(17, 10), "satisfied"),
        followup(d1, d1_rating),
        followup(d1, d1_rating, closed_at=at(16, 10)),
    )
    return Story(log, (d1, d2, d3), (d1.sequence, d2.sequence, d3.sequence))


def dump(url: str) -> Dump:
    """Every row of every table of reporting's schema, as a sorted multiset."""
    with psycopg.connect(url) as conn:
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ]
        every = {
            table: sorted(
                repr(row)
                for row in conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
            )
            for table in tables
        }
    assert {
        "dossiers",
        "dossier_steps",
        "apologies",
        "apology_notices",
        "invitations",
    } <= every.keys()
    assert "ratings" in every
    assert "followups" in every
    assert {"units", "consumed_offsets"} <= every.keys()
    return every


def changes(before: Dump, after: Dump) -> dict[str, tuple[list[str], list[str]]]:
    """Per table, the rows gone and the rows come (empty when nothing changed)."""
    out = {}
    for table in sorted(before.keys() | after.keys()):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            out[table] = (
                [r for r in old if r not in new],
                [r for r in new if r not in old] or ["(the same rows, a different multiset)"],
            )
    return out


def stored(url: str, log: Log) -> dict[tuple[str, int], int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT topic, partition, next_offset FROM consumed_offsets WHERE topic = ANY(%s)",
            (list(log.roles),),
        ).fetchall()
    return {(topic, partition): offset for topic, partition, offset in rows}


def sequences(url: str, dossiers: Sequence[Dossier]) -> tuple[int, ...]:
    with psycopg.connect(url) as conn:
        rows: dict[str, int] = dict(
            conn.execute(
                "SELECT dossier_id::text, last_sequence FROM dossiers WHERE dossier_id = ANY(%s)",
                ([uuid.UUID(d.dossier_id) for d in dossiers],),
            ).fetchall()
        )
    return tuple(rows.get(d.dossier_id, 0) for d in dossiers)


def followups_closed(url: str, dossier: Dossier) -> list[bool]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT closed_at IS NOT NULL FROM followups WHERE dossier_id = %s",
            (uuid.UUID(dossier.dossier_id),),
        ).fetchall()
    return [bool(row[0]) for row in rows]


def test_the_same_batch_applied_twice_changes_nothing(
    reporting_db: str, province: Province
) -> None:
    the = story(province)
    batch = the.log.records
    apply(reporting_db, the.log, batch)
    # The first application counted everything, so the second has something to double.
    assert stored(reporting_db, the.log) == the.log.ends
    assert sequences(reporting_db, the.dossiers) == the.last_sequences
    before = dump(reporting_db)

    again = apply(reporting_db, the.log, batch)

    assert changes(before, dump(reporting_db)) == {}
    assert again.offsets == the.log.ends  # the same batch, the same offsets


def test_an_older_batch_after_a_newer_one_changes_nothing(
    reporting_db: str, province: Province
) -> None:
    """A worker that lost its partitions finishing late: its batch (offsets 1 and 2 of
    every partition) commits after the new owner's (offsets 1 to the end)."""
    the = story(province)
    apply(reporting_db, the.log, the.log.offsets(0, 1))
    apply(reporting_db, the.log, the.log.offsets(1))
    assert stored(reporting_db, the.log) == the.log.ends
    assert sequences(reporting_db, the.dossiers) == the.last_sequences
    assert followups_closed(reporting_db, the.dossiers[0]) == [True]
    before = dump(reporting_db)

    late = apply(reporting_db, the.log, the.log.offsets(1, 3))

    assert changes(before, dump(reporting_db)) == {}
    assert all(late.offsets[key] < end for key, end in the.log.ends.items() if end > 3)


def test_a_late_worker_that_read_before_the_newer_commit_changes_nothing(
    reporting_db: str, province: Province
) -> None:
    """The race the stale-write guard exists for: the late worker loaded the dossiers as
    they were before the new owner committed, and writes after it did. It must not put
    a dossier back to an older sequence, reopen a follow-up or move an offset back."""
    the = story(province)
    apply(reporting_db, the.log, the.log.offsets(0, 1))
    late = psycopg.connect(reporting_db, autocommit=True)
    late_pid = late.info.backend_pid
    may_commit = threading.Event()
    failures: list[BaseException] = []

    def late_worker() -> None:
        try:
            with late.transaction():
                apply_batch(the.log.offsets(1, 3), CALENDAR, roles=the.log.roles, db_session=late)
                assert may_commit.wait(60), "never told to commit"
        except BaseException as exc:  # re-raised in the test's thread
            failures.append(exc)

    worker = threading.Thread(target=late_worker, name="late-worker")
    with (
        psycopg.connect(reporting_db, autocommit=True) as owner,
        psycopg.connect(reporting_db, autocommit=True) as watcher,
    ):

        def late_waits_on_our_rows() -> bool:
            row = watcher.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (late_pid,)
            ).fetchone()
            return row is not None and row[0] == "Lock"

        try:
            with owner.transaction():
                apply_batch(the.log.offsets(1), CALENDAR, roles=the.log.roles, db_session=owner)
                worker.start()
                # It has loaded the dossiers (before writing anything) and waits for our rows.
                wait_for(late_waits_on_our_rows, timeout_s=30, what="the late worker blocked")
            assert sequences(reporting_db, the.dossiers) == the.last_sequences
            before = dump(reporting_db)
        finally:
            may_commit.set()
            if worker.is_alive():
                worker.join(timeout=60)
            late.close()
    assert not worker.is_alive()
    if failures:
        raise failures[0]

    assert changes(before, dump(reporting_db)) == {}
    assert stored(reporting_db, the.log) == the.log.ends
