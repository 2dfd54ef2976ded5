"""Deadlines: follows every open dossier's clock and makes lateness impossible to ignore.

The parts, all in one Faust worker:

- ``track`` consumes dossier events into the ``clocks`` table (RocksDB + changelog),
  taking each dossier's clock as intake states it on the event (an issued apology letter
  moves the due date only once intake has applied it: ``dossier.rescheduled``), and emits
  what an event itself settles (resolved late);
- the timer pops the dossiers whose next check has come from a :class:`DueIndex` derived
  from the table, and sends each a *check* on an internal topic keyed by dossier id;
- ``check`` re-reads the clock, emits the alerts now due and marks them in the table;
- every alert first lands on the board (PostgreSQL, with a draft apology letter for a
  first lateness), then goes to Kafka, then is marked: a crash before the send repeats the
  idempotent board write; a crash after it leaves an alert the table does not know, which
  the next owner finds at the tail of the alerts topic (``delivered``) and does not repeat;
- the duty-officer board and letter confirmation are served by the worker's web server.

Table writes happen only while processing a stream event (Faust writes the changelog to
that event's partition). Dossier events and checks share the key and the murmur2
partitioner, so a dossier's clock, events and checks live on one partition and worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import faust

from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.contracts import ContractError, decode_event, encode_event, load_contracts
from motcua.kafka import Topic, dead_letter_topic
from motcua.metrics import CONSUMED, DEAD_LETTERS
from motcua.streaming import as_current_event, create_faust_app
from services.deadlines.board.live import BoardFeed
from services.deadlines.board.service import (
    AlertToRecord,
    compliance,
    compliance_by_unit,
    record_alerts,
    sync_board,
)
from services.deadlines.board.views import BoardConfig, install_board_views
from services.deadlines.calendar_watch import CalendarWatch, reschedule_all
from services.deadlines.database import Database
from services.deadlines.delivered import alerts_already_sent
from services.deadlines.due_index import REBUILD_SLICE, DueIndex, dispatch_due
from services.deadlines.letters.intake_client import IntakeDirectory
from services.deadlines.metrics import (
    ALERT_LAG,
    ALERTS,
    CALENDAR_OVERRIDES,
    CONSUMER_LAG,
    LATE_WITHOUT_LETTER,
    LETTERS,
    LETTERS_ISSUED_LATE,
    OPEN_DOSSIERS,
    OVERDUE_NOW,
)
from services.deadlines.records import alert_event, clock_from_record, clock_to_record
from services.deadlines.reference import IntakeReference
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.tracking import (
    Alert,
    AlertKind,
    DeadlinePolicy,
    DossierClock,
    UnknownEvent,
    apply_event,
)
from services.deadlines.web import SignIn, install_officer_views

_log = logging.getLogger("motcua.deadlines")

# How long a batch of checks waits to fill: a lone check waits at most this, a burst of
# thousands goes out in batches of ``check_batch_size``.
CHECK_WITHIN_S = 0.02


def checks_topic_name(settings: DeadlinesSettings) -> str:
    """One per app id, like its changelogs, so two apps on one broker never share checks."""
    return f"{settings.app_id}-checks"


def create_app(settings: DeadlinesSettings) -> faust.App:
    load_contracts()
    app = create_faust_app(settings.app_id, settings)
    db = Database(settings.database_url)
    feed = BoardFeed(settings.database_url)
    # The calendar as announced (motcua.calendar-overrides), followed live by a thread.
    calendar = LiveCalendar()
    calendar_feed = CalendarFeed(settings.kafka_bootstrap_servers, calendar)
    calendar_watch = CalendarWatch(calendar)
    policy = DeadlinePolicy(
        calendar,
        apology_working_days=settings.apology_working_days,
        due_soon_lead_working_days=settings.due_soon_lead_working_days,
    )
    checks_topic = checks_topic_name(settings)
    dossier_events = app.topic(
        Topic.DOSSIER_EVENTS.value, key_serializer="raw", value_serializer="raw"
    )
    checks = app.topic(
        checks_topic,
        partitions=settings.topic_partitions,
        internal=True,
        key_serializer="raw",
        value_serializer="raw",
    )
    alerts = app.topic(Topic.DEADLINE_ALERTS.value, key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(
        dead_letter_topic("deadlines").value, key_serializer="raw", value_serializer="raw"
    )
    clocks = app.Table("clocks", default=None, partitions=settings.topic_partitions)
    index = DueIndex()
    # Alerts found on the topic at the last recovery, per dossier, whose mark was lost.
    delivered: dict[str, set[str]] = {}

    def schedule(clock: DossierClock | None) -> None:
        if clock is None:
            return
        next_check = clock.next_check(policy)
        index.schedule(clock.dossier_id, next_check.timestamp() if next_check else None)
        OPEN_DOSSIERS.set(len(index))

    async def emit(
        due: Sequence[tuple[DossierClock, list[Alert]]], now: datetime
    ) -> list[DossierClock]:
        """Every dossier's due alerts: all on the board in one transaction, then to Kafka,
        then marked in the returned clocks (in ``due``'s order)."""
        to_send: list[tuple[DossierClock, list[Alert]]] = []
        for clock, alerts_due in due:
            unsent = []
            for alert in alerts_due:
                if alert.marker in delivered.get(clock.dossier_id, ()):
                    clock = clock.mark(alert)  # sent by a worker that died before marking it
                else:
                    unsent.append(alert)
            to_send.append((clock, unsent))
        board = [
            AlertToRecord(alert, clock, policy.apology_deadline(alert.due_at))
            for clock, unsent in to_send
            for alert in unsent
            if alert.kind is not AlertKind.RESOLVED_LATE
        ]
        if board:
            await db.run_until_done(record_alerts, board)
        marked = []
        for clock, unsent in to_send:
            for alert in unsent:
                event = alert_event(alert, clock, now)
                await alerts.send(key=clock.dossier_id.encode(), value=encode_event(event))
                ALERTS.labels(alert.kind.value).inc()
                if alert.kind is not AlertKind.RESOLVED_LATE:
                    became_due = policy.became_due(alert.kind, alert.due_at)
                    ALERT_LAG.observe(max(0.0, (now - became_due).total_seconds()))
                clock = clock.mark(alert)
            marked.append(clock)
        return marked

    async def dead_letter(event: Any, reason: str, detail: str) -> None:
        headers = [
            ("motcua-dlq-service", b"deadlines"),
            ("motcua-dlq-reason", reason.encode()),
            ("motcua-dlq-detail", detail[:2000].encode()),
            ("motcua-dlq-topic", event.message.topic.encode()),
            ("motcua-dlq-partition", str(event.message.partition).encode()),
            ("motcua-dlq-offset", str(event.message.offset).encode()),
        ]
        await dead_letters.send(key=event.key, value=event.value, headers=headers)
        DEAD_LETTERS.labels(reason).inc()
        _log.warning("event dead-lettered", extra={"reason": reason})

    @app.agent(dossier_events)
    async def track(stream: Any) -> None:
        async for event in stream.events():
            CONSUMED.labels(Topic.DOSSIER_EVENTS.value).inc()
            try:
                cloud_event = decode_event(event.value)
                if not cloud_event["type"].startswith("vn.motcua.dossier."):
                    raise ContractError("type", "not a dossier event")
                dossier_id = cloud_event["subject"]
                before = clock_from_record(clocks.get(dossier_id))
                after, settled = apply_event(before, cloud_event, policy)
            except (ContractError, UnknownEvent) as exc:
                await dead_letter(event, "contract_violation", str(exc))
                continue
            if after is None or after == before:
                continue
            [after] = await emit([(after, settled)], datetime.now(UTC))
            if after.emitted or after.rescheduled:
                await db.run_until_done(sync_board, after)
            clocks[dossier_id] = clock_to_record(after)
            schedule(after)

    @app.agent(checks)
    async def check(stream: Any) -> None:
        """Checks in batches (a burst of alerts falling due together shares its board
        transactions); each clock is read and written back as its own check's event, since
        Faust reads and writes a table key in the current event's partition."""
        async for batch in stream.take_events(settings.check_batch_size, within=CHECK_WITHIN_S):
            now = datetime.now(UTC)
            latest: dict[str, tuple[Any, DossierClock]] = {}
            for event in batch:
                dossier_id = event.key.decode()
                known = latest.get(dossier_id)
                if known:
                    clock: DossierClock | None = known[1]
                else:
                    with as_current_event(event):  # a read looks in its event's partition
                        clock = clock_from_record(clocks.get(dossier_id))
                if clock is not None:
                    latest[dossier_id] = (event, clock)
            due = [(e, c, c.due_alerts(now, policy)) for e, c in latest.values()]
            due = [(e, c, alerts_due) for e, c, alerts_due in due if alerts_due]
            marked = await emit([(c, alerts_due) for _, c, alerts_due in due], now)
            for (event, _, _), clock in zip(due, marked, strict=True):
                with as_current_event(event):
                    clocks[clock.dossier_id] = clock_to_record(clock)
                latest[clock.dossier_id] = (event, clock)
            for _, clock in latest.values():
                schedule(clock)  # marked: its next check is the next alert, not this one

    @app.timer(interval=settings.tick_interval_s)
    async def tick() -> None:
        if not calendar_feed.caught_up:  # a check now could use a calendar missing news
            return

        async def send_check(dossier_id: str) -> Any:
            return await checks.send(key=dossier_id.encode(), value=b"")

        await dispatch_due(index, time.time(), send_check)

    @app.task
    async def follow_calendar() -> None:
        calendar_feed.start()

    @app.timer(interval=1.0)
    async def recheck_after_calendar_change() -> None:
        """An announcement moves due-soon instants: every open dossier's next check again."""
        overrides = calendar.overrides
        CALENDAR_OVERRIDES.set(len(overrides.extra_days_off) + len(overrides.extra_working_days))
        if calendar_watch.changed():
            count = await reschedule_all(clocks.values(), schedule)
            _log.info("next checks recomputed after a calendar change", extra={"clocks": count})

    @app.timer(interval=5.0, on_leader=True)
    async def export_figures() -> None:
        """Figures of the whole database: one worker (the leader) exports them, so a sum
        over workers does not count them twice."""
        figures = await db.run(compliance)
        by_unit = await db.run(compliance_by_unit)
        OVERDUE_NOW.set(figures.overdue)
        LATE_WITHOUT_LETTER.clear()
        LETTERS_ISSUED_LATE.clear()
        for unit in by_unit:
            LATE_WITHOUT_LETTER.labels(unit.unit_code).set(unit.late_without_letter)
            LETTERS_ISSUED_LATE.labels(unit.unit_code).set(unit.letters_issued_late)
        LETTERS.labels("draft").set(figures.letters_draft)
        LETTERS.labels("issued").set(figures.letters_issued)

    @app.timer(interval=5.0)
    async def export_consumer_lag() -> None:
        """This worker's partitions only; those a rebalance took away disappear."""
        consumer = app.consumer
        CONSUMER_LAG.clear()
        for tp in consumer.assignment():
            position = consumer._read_offset.get(tp)  # type: ignore[attr-defined]
            highwater = consumer.highwater(tp)
            if highwater is not None:
                behind = highwater - (position + 1 if position is not None else 0)
                CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(max(0, behind))

    @app.task
    async def listen_for_board_changes() -> None:
        await feed.run()

    signin = SignIn.from_settings(settings, db)
    install_officer_views(app, db, signin)
    # Procedure and unit names for the board, from intake's API, kept fresh in memory.
    reference = IntakeReference(settings.intake_url, settings.intake_api_key.get_secret_value())

    @app.task
    async def follow_reference_data() -> None:
        await reference.run(settings.reference_refresh_s)

    install_board_views(
        app,
        db=db,
        feed=feed,
        directory=IntakeDirectory(settings.intake_url, settings.intake_api_key.get_secret_value()),
        signin=signin,
        config=BoardConfig(
            calendar=policy.calendar,
            suggested_extension_days=settings.suggested_extension_working_days,
            ratings_url=settings.pages_ratings_url or None,
            reporting_url=settings.pages_reporting_url or None,
        ),
        reference=reference,
    )

    rebuilding: list[asyncio.Task[None]] = []

    @clocks.on_recover
    async def rebuild_index() -> None:
        """After recovery or a rebalance the alerts a dead owner sent without marking them
        are looked up on the topic (before any alert goes out), then the index is derived
        again from the table in the background: processing resumes at once."""
        for task in rebuilding:
            task.cancel()
        rebuilding.clear()
        index.start_rebuild()
        partitions = {
            tp.partition for tp in app.assignor.assigned_actives() if tp.topic == checks_topic
        }
        found = await asyncio.get_running_loop().run_in_executor(
            None,
            alerts_already_sent,
            settings.kafka_bootstrap_servers,
            Topic.DEADLINE_ALERTS.value,
            sorted(partitions),
        )
        delivered.clear()
        delivered.update(found)
        rebuilding.append(asyncio.ensure_future(restore_index()))

    async def restore_index() -> None:
        started = time.monotonic()
        for count, (_, record) in enumerate(clocks.items(), 1):
            if count % REBUILD_SLICE == 0:
                await asyncio.sleep(0)  # the agents, the timer and the web go on meanwhile
            clock = clock_from_record(record)
            if clock is not None:
                next_check = clock.next_check(policy)
                index.restore(clock.dossier_id, next_check.timestamp() if next_check else None)
        index.finish_rebuild()
        OPEN_DOSSIERS.set(len(index))
        _log.info(
            "due index rebuilt",
            extra={
                "open_dossiers": len(index),
                "alerts_found_on_topic": len(delivered),
                "seconds": round(time.monotonic() - started, 2),
            },
        )

    return app


settings = DeadlinesSettings()
app = create_app(settings)
