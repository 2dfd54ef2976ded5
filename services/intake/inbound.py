"""Intake's Kafka door: upstream commands, and the platform's issued apology letters.

Upstream systems may produce commands to ``motcua.intake-commands``.
Each message is one command shaped like a batch item (``{"kind": "receive", …}`` or
``{"kind": "transition", "dossier_code": …, …}``), keyed by anything stable for the dossier,
with a ``motcua-system`` header naming the upstream system. The broker authenticates the
producer (SASL and topic ACLs in production); intake checks that the named system exists,
is enabled and may write for the unit, exactly as over HTTP, through the same code path.

Issued apology letters (``motcua.apology-letters``, produced by deadlines) become the
``reschedule`` transition, as the system named by ``apology_system`` (it needs the
``dossiers:reschedule`` scope): intake owns every due date, so the letter's new appointment
counts once intake has applied it and published ``dossier.rescheduled``. The letter's event
id is the idempotency key; a corrected version keeps the date and changes nothing here.

A refused command or letter goes to ``motcua.dlq.intake`` with the reason and is never retried; a
transient failure (PostgreSQL unreachable) is retried in place, so the partition waits
rather than losing the command. The door runs on :class:`motcua.kafka.ConsumerLoop`,
committed after the command's transaction (or its dead letter) is done: at least once, and
the upstream event id makes it once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from confluent_kafka import Message
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from motcua.contracts import ContractError, EventType, decode_event
from motcua.kafka import Commit, ConsumerLoop, DeadLetter, DeadLetters, Group, Topic
from services.intake.auth import Scope, system_by_name
from services.intake.dossier.commands import Parsed, invalid, parsed_or_refused
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.state import Transition
from services.intake.dossier.transitions.reschedule import Reschedule
from services.intake.dossier.unit_of_work import UnitOfWork
from services.intake.metrics import REJECTS, REPLAYS

SYSTEM_HEADER = "motcua-system"
GROUP_ID = "motcua-intake-inbound"
_log = logging.getLogger("motcua.intake.inbound")


class InboundConsumer:
    """The door's handler on :class:`motcua.kafka.ConsumerLoop` (group ``group_id``,
    committed after each command's transaction or dead letter)."""

    def __init__(
        self,
        bootstrap_servers: str,
        pool: ConnectionPool,
        rules: IntakeRules,
        *,
        topics: Sequence[Topic] = (Topic.INTAKE_COMMANDS, Topic.APOLOGY_LETTERS),
        group_id: str = GROUP_ID,
        apology_system: str = "deadlines",
        retry_wait_s: float = 2.0,
    ) -> None:
        self.pool = pool
        self.rules = rules
        self.apology_system = apology_system
        # One command a batch: a command retried after an outage is then the only one
        # handled again (a batch in one unit of work is intake's write path's to give).
        self.loop = ConsumerLoop(
            "intake-inbound",
            bootstrap_servers,
            [topic.value for topic in topics],
            self.handle,
            Group(group_id, Commit.AFTER_HANDLER),
            service="intake",
            batch_size=1,
            retry_wait_s=retry_wait_s,
            log=_log,
        )

    def run(self, stop: threading.Event) -> None:
        self.loop.run(stop)

    def handle(self, batch: Sequence[Message], dead_letters: DeadLetters) -> None:
        for message in batch:
            try:
                letter = self._apply(message)
            except psycopg.OperationalError:
                raise  # PostgreSQL is away: the loop retries the same message
            except Exception as exc:
                # A bug met by this message: dead-letter it with the error (logged with its
                # trace) rather than stop the partition behind it, or the door, for good.
                _log.exception("command failed unexpectedly", extra={"offset": message.offset()})
                letter = DeadLetter("internal_error", f"{type(exc).__name__} (logged)")
            if letter is not None:
                REJECTS.labels(letter.reason, "kafka").inc()
                dead_letters.send(message, letter)

    def _apply(self, message: Message) -> DeadLetter | None:
        if message.topic() == Topic.APOLOGY_LETTERS.value:
            return self._apply_letter(message)
        return self._apply_command(message)

    def _apply_letter(self, message: Message) -> DeadLetter | None:
        try:
            event = decode_event(message.value() or b"")
        except ContractError as exc:
            return DeadLetter("contract_violation", str(exc))
        if event["type"] != EventType.APOLOGY_ISSUED:
            return DeadLetter("contract_violation", f"not an issued apology: {event['type']}")
        data = event["data"]
        if data["letter_version"] != 1:
            return None  # a correction keeps the first version's date: nothing to move
        try:
            command = Reschedule.model_validate(
                {
                    "transition": Transition.RESCHEDULE,
                    "event_id": event["id"],
                    "occurred_at": data["issued_at"],
                    "new_due_at": data["new_due_at"],
                    "letter_number": data["letter_number"],
                }
            )
        except ValidationError as exc:
            error = invalid(exc)
            return DeadLetter(error.reason, error.detail)
        parsed = Parsed(command, data["dossier_code"], data["dossier_id"])
        return self._run(self.apology_system, Scope.RESCHEDULE, parsed)

    def _apply_command(self, message: Message) -> DeadLetter | None:
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
        except RecursionError:
            return DeadLetter("malformed_json", "not JSON this door reads: nested too deep")
        if not isinstance(item, dict):
            return DeadLetter("malformed_json", "a command is a JSON object")
        name = system.decode(errors="replace") if isinstance(system, bytes) else system
        return self._run(name, Scope.WRITE, parsed_or_refused(item, rules=self.rules))

    def _run(self, system: str, scope: Scope, command: Parsed | IntakeError) -> DeadLetter | None:
        """As ``system``, which must hold ``scope``: one transaction, or a dead letter."""
        with self.pool.connection() as conn:
            if "\x00" in system:
                return DeadLetter("unknown_system", "no upstream system's name has a NUL")
            principal = system_by_name(system, db_session=conn)
            if principal is None:
                return DeadLetter("unknown_system", "no enabled upstream system has that name")
            if not principal.has(scope):
                return DeadLetter("missing_scope", f"the system lacks {scope.value}")
        [result] = UnitOfWork(self.pool, self.rules).write(principal, [command])
        if isinstance(result, IntakeError):
            return DeadLetter(result.reason, f"{result.status} {result.title}: {result.detail}")
        if result.replayed:
            REPLAYS.labels("kafka").inc()
        return None
