"""A Faust app configured the way every Motcua stream processor needs it.

Tables are RocksDB-backed (``rocksdict``) with changelog topics, so a worker killed with
SIGKILL rebuilds its state from Kafka; the producer waits for all in-sync replicas.

A table write reaches RocksDB at once but its changelog only a moment later (Faust buffers
it), so a killed worker's files can hold writes Kafka never got: restarted on them it
would trust state no other worker has. Only a clean stop leaves a mark in the data
directory; without one the table files are discarded and restored from the changelogs.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Literal

import faust
from pydantic import Field

from motcua.db import migrate_on_start, migrations_dir
from motcua.health import run_checks as run_health_checks
from motcua.health import standard_checks
from motcua.kafka import Durability, ensure_internal_topics
from motcua.logging import configure_logging, logging_config
from motcua.metrics import render_metrics
from motcua.settings import ServiceSettings
from motcua.supervision import Supervisor

CLEAN_STOP = ".clean-stop"
_log = logging.getLogger("motcua.streaming")


class StreamSettings(ServiceSettings):
    data_dir: Path = Field(
        default=Path("/var/lib/motcua"), description="Where Faust keeps RocksDB table files."
    )
    table_store: Literal["rocksdb", "memory"] = Field(
        default="rocksdb",
        description="Faust table store; `memory` only for unit tests (no local state).",
    )
    topic_partitions: int = Field(
        default=6, ge=1, description="Partitions of the topics Faust creates (changelogs)."
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        description="Copies of the topics Faust creates (3 on a cluster of three brokers or "
        "more; min.insync.replicas follows, one less).",
    )
    consumer_session_timeout_s: float = Field(
        default=10.0,
        ge=6.0,
        description="How long a dead worker keeps its partitions before the group moves them.",
    )


def create_faust_app(app_id: str, settings: StreamSettings, **options: Any) -> faust.App:
    app = faust.App(
        app_id,
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap_servers.split(",")],
        store=f"{settings.table_store}://",
        datadir=str(settings.data_dir),
        web_host=settings.http_host,
        web_port=settings.http_port,
        web_bind=settings.http_host,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.kafka_replication_factor,
        topic_allow_declare=True,
        producer_acks=-1,
        broker_session_timeout=settings.consumer_session_timeout_s,
        broker_heartbeat_interval=settings.consumer_session_timeout_s / 5,
        **options,
    )
    checks = standard_checks(settings)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "service": app_id})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        loop = asyncio.get_running_loop()
        readiness = await loop.run_in_executor(None, run_health_checks, checks)
        return web.json(readiness.as_dict(), status=200 if readiness.ready else 503)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        body, content_type = render_metrics()
        return web.bytes(body, content_type=content_type.split(";")[0])

    return app


def run_worker(
    app: faust.App,
    settings: StreamSettings,
    service: str,
    *,
    internal_topics: Sequence[str] = (),
    loops: Supervisor | None = None,
) -> None:
    """Migrate, then run the worker; SIGTERM stops it cleanly, committing what it finished.

    ``internal_topics`` (the agents' own topics) and the tables' changelogs are created
    first, so the group's first assignment and the first table write find them whole.
    ``loops`` (an outbox relay) run beside the worker, once the migrations are applied, and
    are stopped with it.
    """
    configure_logging(service, settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_internal_topics(
        settings.kafka_bootstrap_servers,
        internal_topics,
        partitions=settings.topic_partitions,
        compacted=table_changelogs(app),
        durability=Durability(settings.kafka_replication_factor),
    )
    discard_tables_after_unclean_stop(app, settings.data_dir)
    if settings.migrate_on_start:
        migrate_on_start(settings.database_url, migrations_dir(service))
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=logging_config(service, settings.log_level),
        redirect_stdouts=False,
    )
    try:
        with loops.running() if loops is not None else nullcontext():
            worker.execute_from_commandline()
    except SystemExit as stop:
        if stop.code in (0, None):  # stopped in order: changelogs flushed, offsets committed
            (settings.data_dir / CLEAN_STOP).touch()
        raise


def table_changelogs(app: faust.App) -> list[str]:
    """The changelog topic of every table the app declares."""
    return sorted(table.changelog_topic.get_topic_name() for table in app.tables.values())


def discard_tables_after_unclean_stop(app: faust.App, data_dir: Path) -> None:
    """Keep the table files only if the last run stopped cleanly; else restore from Kafka."""
    marker = data_dir / CLEAN_STOP
    tables = Path(app.conf.tabledir)
    if marker.exists():
        marker.unlink()
    elif tables.exists():
        _log.warning("last stop was not clean: tables restored from their changelogs")
        shutil.rmtree(tables)
