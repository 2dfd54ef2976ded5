"""Deadlines' Faust worker: follows every open dossier's clock and makes lateness
impossible to ignore. It keeps what only it can do; each part is a module of its own:

- ``track`` takes dossier events into the ``clocks`` table (RocksDB + changelog) and
  ``check`` re-reads the clocks whose next check has come (:mod:`.checking`), emitting the
  alerts now due — on the board with a draft apology letter for a first lateness, then to
  Kafka, then marked (:mod:`.emitting`);
- the timer pops those next checks from the :class:`~.due_index.DueIndex` and sends each
  on an internal topic keyed by dossier id; after a recovery or a rebalance the index is
  derived again (:mod:`.recovery`);
- the calendar as announced is followed, and an announcement moves every next check
  (:mod:`.calendar_watch`); the figures and the consumer lag go to Prometheus
  (:mod:`.figures`, served with ``/healthz`` and ``/readyz`` on the worker's own port).

The officers' pages are another process (:mod:`services.deadlines.officers_web`). Dossier
events and checks share the key and the murmur2 partitioner, so a dossier's clock, events
and checks live on one partition and worker.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import faust

from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.contracts import load_contracts, structured_headers
from motcua.kafka import Topic, dead_letter_topic
from motcua.streaming import create_faust_app
from services.deadlines.calendar_watch import CalendarWatch, follow_changes
from services.deadlines.checking import COMPARE_WITH_CHANGELOG, Agents
from services.deadlines.database import Database
from services.deadlines.due_index import DueIndex, dispatch_due
from services.deadlines.emitting import Emitter
from services.deadlines.figures import export_consumer_lag, export_figures
from services.deadlines.missed import (
    CATCH_UP_EVERY_S,
    CommittedOffsets,
    acknowledge,
    drop_duplicate_acks,
    read_changelog,
    read_offsets,
)
from services.deadlines.recovery import Recovery
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.tracking import DeadlinePolicy

_log = logging.getLogger("motcua.deadlines")


def checks_topic_name(settings: DeadlinesSettings) -> str:
    """One per app id, like its changelogs, so two apps on one broker never share checks."""
    return f"{settings.app_id}-checks"


def raw_topic(app: faust.App, name: str, **options: Any) -> Any:
    return app.topic(name, key_serializer="raw", value_serializer="raw", **options)


async def send_due_checks(calendar_feed: CalendarFeed, index: DueIndex, checks: Any) -> None:
    """The checks whose moment has come, each to its dossier's partition — not before the
    calendar has caught up (a check now could use a calendar missing news). A check is the
    worker's own wake-up call (an empty value on its internal topic), not a CloudEvent: it
    carries no ``content-type``."""
    if calendar_feed.caught_up:
        await dispatch_due(index, time.time(), lambda d: checks.send(key=d.encode(), value=b""))


def policy_of(settings: DeadlinesSettings, calendar: LiveCalendar) -> DeadlinePolicy:
    return DeadlinePolicy(
        calendar,
        apology_working_days=settings.apology_working_days,
        due_soon_lead_working_days=settings.due_soon_lead_working_days,
    )


def _agents_and_recovery(
    settings: DeadlinesSettings, app: faust.App, clocks: Any, checks: Any, emitter: Emitter
) -> tuple[Agents, Recovery]:
    """The agents' work and the recovery's, sharing the partitions' positions."""
    positions = app.Table("positions", default=None, partitions=settings.topic_partitions)
    agents = Agents(
        clocks,
        emitter,
        raw_topic(app, dead_letter_topic("deadlines").value).send,
        read_back=functools.partial(read_offsets, settings.kafka_bootstrap_servers),
        stored_positions=positions,
        flush=lambda: app.producer.flush(),  # Faust makes its producer on first use
        read_changelog=functools.partial(
            read_changelog,
            settings.kafka_bootstrap_servers,
            clocks.changelog_topic.get_topic_name(),
        ),
    )
    recovery = Recovery(
        settings.kafka_bootstrap_servers,
        clocks,
        emitter,
        positions=agents.positions,
        stored_positions=positions,
        send_compare=lambda p: checks.send(key=COMPARE_WITH_CHANGELOG, value=b"", partition=p),
    )
    return agents, recovery


def catch_up_with_commit(
    app: faust.App, settings: DeadlinesSettings, agents: Agents, checks: Any
) -> Callable[[], Awaitable[None]]:
    """The timer comparing the group's commit with the positions: skipped events with no
    later event on their partition to show the gap, and a commit Faust stopped moving
    (:mod:`.missed`)."""
    committed_offsets = CommittedOffsets(
        settings.kafka_bootstrap_servers, settings.app_id, Topic.DOSSIER_EVENTS.value
    )

    async def catch_up_committed() -> None:
        committed = await asyncio.get_running_loop().run_in_executor(
            None, committed_offsets, list(agents.positions.last)
        )
        await agents.catch_up_committed(committed, lambda d: checks.send(key=d.encode(), value=b""))
        for partition in agents.positions.last:
            if repeated := drop_duplicate_acks(app.consumer, Topic.DOSSIER_EVENTS.value, partition):
                _log.info(
                    "commit crawling: repeated acknowledgements dropped",
                    extra={"partition": partition, "repeated": repeated},
                )
        for partition, offsets in agents.positions.stalled(committed).items():
            faust_saw = acknowledge(app.consumer, Topic.DOSSIER_EVENTS.value, partition, offsets)
            _log.info(
                "commit stalled: offsets acknowledged again",
                extra={
                    "partition": partition,
                    "first": offsets.start,
                    "last": offsets.stop - 1,
                    **faust_saw,
                },
            )

    return catch_up_committed


def create_app(settings: DeadlinesSettings) -> faust.App:
    load_contracts()
    app = create_faust_app(settings.app_id, settings)
    db = Database(settings.database_url)
    calendar = LiveCalendar()  # as announced (motcua.calendar-overrides), followed by a thread
    calendar_feed = CalendarFeed(settings.kafka_bootstrap_servers, calendar)
    calendar_watch = CalendarWatch(calendar)
    checks_topic = checks_topic_name(settings)
    checks = raw_topic(app, checks_topic, partitions=settings.topic_partitions, internal=True)
    alerts = raw_topic(app, Topic.DEADLINE_ALERTS.value)
    clocks = app.Table("clocks", default=None, partitions=settings.topic_partitions)
    emitter = Emitter(
        policy_of(settings, calendar),
        db,
        lambda k, v: alerts.send(key=k, value=v, headers=structured_headers()),
    )
    agents, recovery = _agents_and_recovery(settings, app, clocks, checks, emitter)

    @app.agent(raw_topic(app, Topic.DOSSIER_EVENTS.value))
    async def track(stream: Any) -> None:
        await agents.track_all(stream)

    @app.agent(checks)
    async def check(stream: Any) -> None:
        await agents.check_all(stream, settings.check_batch_size)

    @app.timer(interval=settings.tick_interval_s)
    async def tick() -> None:
        await send_due_checks(calendar_feed, emitter.index, checks)

    @app.task
    async def follow_calendar() -> None:
        calendar_feed.start()

    @app.timer(interval=1.0)
    async def recheck_after_calendar_change() -> None:
        """An announcement moves due-soon instants: every open dossier's next check again."""
        await follow_changes(calendar_watch, clocks.values, emitter.schedule)

    app.timer(interval=CATCH_UP_EVERY_S)(catch_up_with_commit(app, settings, agents, checks))

    @app.timer(interval=5.0, on_leader=True)
    async def figures() -> None:
        await export_figures(db)

    @app.timer(interval=5.0)
    async def consumer_lag() -> None:
        export_consumer_lag(app.consumer)

    @clocks.on_recover
    async def rebuild_index() -> None:
        active = app.assignor.assigned_actives()
        await recovery.recovered(tp.partition for tp in active if tp.topic == checks_topic)

    return app


settings = DeadlinesSettings()
app = create_app(settings)
