"""JSON logs on stdout, one object a line, for every service.

Log calls carry ids (dossier id, event id), never citizen data: payloads are not logged.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any


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
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
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
