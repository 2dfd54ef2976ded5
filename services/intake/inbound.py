"""Kafka-native ingestion: upstream systems may produce commands to ``motcua.intake-commands``.

Each message is one command shaped like a batch item (``{"kind": "receive", …}`` or
``{"kind": "transition", "dossier_code": …, …}``), keyed by anything stable for the dossier,
with a ``motcua-system`` header naming the upstream system. The broker authenticates the
producer (SASL and topic ACLs in production); intake checks that the named system exists,
is enabled and may write for the unit, exactly as over HTTP, through the same code path.

A refused command goes to ``motcua.dlq.intake`` with the reason and is never retried; a
transient failure (PostgreSQL unreachable) is retried in place, so the partition waits
rather than losing the command. Offsets are committed after the command's transaction
(or its dead letter) is done: at least once, and the upstream event id makes it once.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import psycopg
from confluent_kafka import Consumer, Message, Producer
from psycopg_pool import ConnectionPool

from motcua.kafka import DeadLetter, Topic, send_to_dead_letter
from motcua.metrics import CONSUMED
from services.intake.auth import Scope, system_by_name
from services.intake.dossier.commands import execute_command
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.service import IntakeRules
from services.intake.metrics import REJECTS, REPLAYS

SYSTEM_HEADER = "motcua-system"
GROUP_ID = "motcua-intake-inbound"
_log = logging.getLogger("motcua.intake.inbound")


class InboundConsumer:
    def __init__(
        self,
        bootstrap_servers: str,
        pool: ConnectionPool,
        rules: IntakeRules,
        *,
        retry_wait_s: float = 2.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.pool = pool
        self.rules = rules
        self.retry_wait_s = retry_wait_s

    def run(self, stop: threading.Event) -> None:
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": GROUP_ID,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "log_level": 3,
            }
        )
        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "log_level": 3,
            }
        )
        consumer.subscribe([Topic.INTAKE_COMMANDS.value])
        try:
            while not stop.is_set():
                message = consumer.poll(0.5)
                if message is None:
                    continue
                if message.error():
                    _log.warning("consumer error", extra={"error": str(message.error())})
                    continue
                while not stop.is_set():
                    try:
                        self.handle(message, producer)
                        break
                    except psycopg.OperationalError as exc:
                        _log.warning(
                            "PostgreSQL unavailable; retrying the command",
                            extra={"error": type(exc).__name__},
                        )
                        stop.wait(self.retry_wait_s)
                else:
                    break
                consumer.commit(message=message, asynchronous=True)
                CONSUMED.labels(Topic.INTAKE_COMMANDS.value).inc()
        finally:
            consumer.close()

    def handle(self, message: Message, producer: Producer) -> None:
        letter = self._apply(message)
        if letter is not None:
            REJECTS.labels(letter.reason, "kafka").inc()
            send_to_dead_letter(producer, "intake", message, letter)
            _log.info(
                "command dead-lettered",
                extra={
                    "reason": letter.reason,
                    "partition": message.partition(),
                    "offset": message.offset(),
                },
            )

    def _apply(self, message: Message) -> DeadLetter | None:
        headers = dict(message.headers() or [])
        system = headers.get(SYSTEM_HEADER)
        if not system:
            return DeadLetter("unknown_system", f"the {SYSTEM_HEADER} header is missing")
        try:
            item: Any = json.loads(message.value() or b"")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return DeadLetter(
                "malformed_json", f"not JSON: {exc.msg if hasattr(exc, 'msg') else exc}"
            )
        if not isinstance(item, dict):
            return DeadLetter("malformed_json", "a command is a JSON object")
        with self.pool.connection() as conn:
            name = system.decode(errors="replace") if isinstance(system, bytes) else system
            principal = system_by_name(name, db_session=conn)
            if principal is None:
                return DeadLetter("unknown_system", "no enabled upstream system has that name")
            if not principal.has(Scope.WRITE):
                return DeadLetter("missing_scope", f"the system lacks {Scope.WRITE.value}")
            try:
                with conn.transaction():
                    outcome = execute_command(
                        item, principal=principal, rules=self.rules, db_session=conn
                    )
            except IntakeError as exc:
                return DeadLetter(exc.reason, f"{exc.status} {exc.title}: {exc.detail}")
            except psycopg.errors.UniqueViolation:
                return None
        if outcome.replayed:
            REPLAYS.labels("kafka").inc()
        return None
