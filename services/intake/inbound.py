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
rather than losing the command. The door runs on :class:`motcua.kafka.ConsumerLoop`: a
polled batch is written in runs of one upstream system, each run one unit of work
(:class:`~services.intake.dossier.unit_of_work.UnitOfWork`), and committed once every run's
transaction and every dead letter is done: at least once, and the upstream event id makes
it once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar

import psycopg
from confluent_kafka import Message
from pydantic import ValidationError

from motcua.contracts import ContractError, EventType, decode_event
from motcua.kafka import Commit, ConsumerLoop, DeadLetter, DeadLetters, Group, Topic
from services.intake.auth import Scope, system_by_name
from services.intake.dossier.commands import Parsed, invalid, parsed_or_refused
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.state import DossierState, Transition
from services.intake.dossier.transitions.reschedule import Reschedule
from services.intake.dossier.unit_of_work import UnitOfWork
from services.intake.metrics import LETTERS_FOR_FINISHED, REJECTS, REPLAYS

SYSTEM_HEADER = "motcua-system"
GROUP_ID = "motcua-intake-inbound"
_log = logging.getLogger("motcua.intake.inbound")
T = TypeVar("T")


class InboundConsumer:
    """The door's handler on :class:`motcua.kafka.ConsumerLoop` (group ``group_id``,
    committed after each command's transaction or dead letter)."""

    def __init__(
        self,
        bootstrap_servers: str,
        writes: UnitOfWork,
        *,
        topics: Sequence[Topic] = (Topic.INTAKE_COMMANDS, Topic.APOLOGY_LETTERS),
        group_id: str = GROUP_ID,
        apology_system: str = "deadlines",
        batch_size: int = 200,
        retry_wait_s: float = 2.0,
    ) -> None:
        self.writes = writes
        self.pool = writes.pool
        self.rules = writes.rules
        self.apology_system = apology_system
        self.loop = ConsumerLoop(
            "intake-inbound",
            bootstrap_servers,
            [topic.value for topic in topics],
            self.handle,
            Group(group_id, Commit.AFTER_HANDLER),
            service="intake",
            batch_size=batch_size,
            retry_wait_s=retry_wait_s,
            log=_log,
        )

    def run(self, stop: threading.Event) -> None:
        self.loop.run(stop)

    def handle(self, batch: Sequence[Message], dead_letters: DeadLetters) -> None:
        """The batch's commands written in runs of one system, each run one unit of work.

        A run keeps the batch's order (a dossier's messages share a partition, so its
        receipt is written before its transitions). A batch tried again after an outage
        replays what was committed, by each command's event id."""
        letters: dict[int, DeadLetter] = {}
        commands: list[_Command] = []
        for index, message in enumerate(batch):
            read = self._guarded(index, message, self._apply)
            if isinstance(read, DeadLetter):
                letters[index] = read
            elif read is not None:
                commands.append(read)
        for run in _runs_of_one_system(commands):
            letters.update(self._write_run(run))
        for index, message in enumerate(batch):
            if index in letters:
                REJECTS.labels(letters[index].reason, "kafka").inc()
                dead_letters.send(message, letters[index])

    def _guarded(
        self, index: int, message: Message, work: Callable[[int, Message], T]
    ) -> T | DeadLetter:
        """``work`` on one message; a bug it meets dead-letters that message (its trace
        logged) rather than stop the partition behind it, or the door, for good."""
        try:
            return work(index, message)
        except psycopg.OperationalError:
            raise  # PostgreSQL is away: the loop retries the same batch
        except Exception as exc:
            _log.exception("command failed unexpectedly", extra={"offset": message.offset()})
            return DeadLetter("internal_error", f"{type(exc).__name__} (logged)")

    def _write_run(self, run: list[_Command]) -> dict[int, DeadLetter]:
        if len(run) > 1:
            try:
                return self._write(run)
            except psycopg.OperationalError:
                raise
            except Exception:
                _log.exception("a run of commands failed; writing them one by one")
        letters: dict[int, DeadLetter] = {}
        for item in run:
            written = self._guarded(
                item.index, item.message, lambda *_, one=item: self._write([one])
            )
            letters.update({item.index: written} if isinstance(written, DeadLetter) else written)
        return letters

    def _write(self, run: list[_Command]) -> dict[int, DeadLetter]:
        """As the run's system, which must hold each command's scope: one transaction."""
        first = run[0]
        with self.pool.connection() as conn:
            if "\x00" in first.system:
                return _refuse(run, "unknown_system", "no upstream system's name has a NUL")
            principal = system_by_name(first.system, db_session=conn)
        if principal is None:
            return _refuse(run, "unknown_system", "no enabled upstream system has that name")
        letters = {
            item.index: DeadLetter("missing_scope", f"the system lacks {item.scope.value}")
            for item in run
            if not principal.has(item.scope)
        }
        allowed = [item for item in run if item.index not in letters]
        results = self.writes.write(principal, [item.command for item in allowed])
        for item, result in zip(allowed, results, strict=True):
            if isinstance(result, IntakeError) and _nothing_to_move(item, result):
                LETTERS_FOR_FINISHED.inc()
                _log.info(
                    "apology letter for a finished dossier: no appointment to move",
                    extra={"offset": item.message.offset(), "state": result.extra["current_state"]},
                )
            elif isinstance(result, IntakeError):
                letters[item.index] = DeadLetter(
                    result.reason, f"{result.status} {result.title}: {result.detail}"
                )
            elif result.replayed:
                REPLAYS.labels("kafka").inc()
        return letters

    def _apply(self, index: int, message: Message) -> _Command | DeadLetter | None:
        if message.topic() == Topic.APOLOGY_LETTERS.value:
            return self._apply_letter(index, message)
        return self._apply_command(index, message)

    def _apply_letter(self, index: int, message: Message) -> _Command | DeadLetter | None:
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
        return _Command(index, message, self.apology_system, Scope.RESCHEDULE, parsed)

    def _apply_command(self, index: int, message: Message) -> _Command | DeadLetter:
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
        command = parsed_or_refused(item, rules=self.rules)
        return _Command(index, message, name, Scope.WRITE, command)


def _nothing_to_move(item: _Command, error: IntakeError) -> bool:
    """A letter for a dossier whose result was given before the letter arrived (issued
    late, or the result came first): the apology stands, the appointment it would move is
    gone. Not a poison message, so no dead letter for operations to chase."""
    state = error.extra.get("current_state")
    return (
        item.scope is Scope.RESCHEDULE
        and error.reason == "illegal_transition"
        and state is not None
        and not DossierState(state).is_open
    )


@dataclass(frozen=True)
class _Command:
    """A message's command, read and parsed (or refused by parsing), not yet written."""

    index: int
    message: Message
    system: str
    scope: Scope
    command: Parsed | IntakeError


def _runs_of_one_system(commands: list[_Command]) -> Iterator[list[_Command]]:
    """Consecutive commands of one system, in the batch's order."""
    for _, run in groupby(commands, key=lambda command: command.system):
        yield list(run)


def _refuse(run: list[_Command], reason: str, detail: str) -> dict[int, DeadLetter]:
    return {item.index: DeadLetter(reason, detail) for item in run}
