"""Start a FastAPI service under uvicorn with the shared logging."""

from __future__ import annotations

import signal
import sys

import uvicorn

from motcua.db import migrate_on_start, migrations_dir
from motcua.logging import configure_logging, logging_config
from motcua.settings import ServiceSettings


def serve(app_factory: str, settings: ServiceSettings, service: str) -> None:
    """Migrate, then serve until SIGTERM; uvicorn finishes in-flight requests before exiting.

    ``app_factory`` is the import path of a function building the app (``module:function``),
    so ``HTTP_WORKERS`` processes can each build their own.
    """
    configure_logging(service, settings.log_level)
    # uvicorn re-raises the SIGTERM it handled once its graceful shutdown is over; the
    # work is done by then, so that second delivery ends the process with status 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if settings.migrate_on_start:
        migrate_on_start(settings.database_url, migrations_dir(service))
    uvicorn.run(
        app_factory,
        factory=True,
        workers=settings.http_workers,
        host=settings.http_host,
        port=settings.http_port,
        log_config=logging_config(service, settings.log_level),
        timeout_graceful_shutdown=20,
    )
