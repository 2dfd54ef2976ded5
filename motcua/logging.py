"""JSON logs on stdout, one object a line, for every service.

Log calls carry ids (dossier id, event id), never citizen data: payloads are not logged.

A client library that loses its broker may log every reconnect attempt (aiokafka: thousands
of lines a second). :class:`RepeatFilter` lets one logger's same warning through at most
once every ``REPEAT_EVERY_S`` seconds, and the next one it lets through says how many were
held back, so an outage costs a few lines, not hundreds of megabytes.
"""

from __future__ import annotations

import logging
import logging.config
import threading
import time
from collections.abc import Callable
from typing import Any

REPEAT_EVERY_S = 10.0


class RepeatFilter(logging.Filter):
    """One logger's same warning or error (its template, not its arguments) at most once
    every ``every_s``; the record let through after a quiet spell carries ``repeated``."""

    def __init__(
        self, every_s: float = REPEAT_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self._seen: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True  # storms are warnings and errors; the information lines stay whole
        key = (record.name, str(record.msg), _facility(record))
        now = self.clock()
        with self._lock:
            last, held = self._seen.get(key, (float("-inf"), 0))
            if now - last < self.every_s:
                self._seen[key] = (last, held + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 10_000:  # messages with ids in their text: forget the old
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.every_s}
        if held:
            record.repeated = held
        return True


def _facility(record: logging.LogRecord) -> str:
    """librdkafka logs every line through one template, ``"%s [%s] %s"``, its facility
    (``FAIL``, ``REQTMOUT``…) first: that names the condition the template does not."""
    if record.name == "librdkafka" and isinstance(record.args, tuple) and record.args:
        return str(record.args[0])
    return ""


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A ``dictConfig`` for a service; uvicorn and Faust are routed through it too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "static_fields": {"service": service},
            }
        },
        "filters": {"repeats": {"()": RepeatFilter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
                "filters": ["repeats"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"handlers": ["stdout"], "level": level, "propagate": False},
            "aiokafka": {"level": "WARNING"},
            "kafka": {"level": "WARNING"},
            "faust": {"level": level},
            "yoyo": {"level": "WARNING"},
        },
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
