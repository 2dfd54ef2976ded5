"""Liveness and readiness: the same checks behind every service's ``/readyz``.

Readiness talks to the real dependencies (a Kafka metadata request, a PostgreSQL query),
so a green ``/readyz`` means the service can do its work right now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from motcua.db import check_database
from motcua.kafka import check_kafka
from motcua.metrics import READINESS
from motcua.settings import ServiceSettings


@dataclass(frozen=True)
class Check:
    name: str
    probe: Callable[[], object]


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks}


def standard_checks(settings: ServiceSettings) -> list[Check]:
    timeout = settings.readiness_timeout_s
    return [
        Check("kafka", lambda: check_kafka(settings.kafka_bootstrap_servers, timeout_s=timeout)),
        Check("postgres", lambda: check_database(settings.database_url, timeout_s=timeout)),
    ]


def run_checks(checks: Iterable[Check]) -> Readiness:
    results: dict[str, str] = {}
    for check in checks:
        try:
            check.probe()
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            results[check.name] = f"down: {type(exc).__name__}: {exc}"
            READINESS.labels(check.name).set(0)
        else:
            results[check.name] = "ok"
            READINESS.labels(check.name).set(1)
    return Readiness(all(value == "ok" for value in results.values()), results)
