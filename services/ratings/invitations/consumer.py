"""Ratings' door on ``motcua.dossier-events``: every returned or rejected dossier gets one
invitation.

A plain confluent-kafka consumer (group ``RATINGS_GROUP_ID``) in the API process, like
intake's Kafka door. Each batch of messages is one transaction — the invitations, their
deliveries and their ``rating.invited`` outbox rows — and the offsets are committed only
after it: at least once from Kafka, exactly once in the database, since the insert is
keyed on the dossier. A message that breaks its contract goes to ``motcua.dlq.ratings``
with the reason and the partition carries on; PostgreSQL being away is waited out with
the batch in hand. The crash point ``invitations-committed`` (``MOTCUA_CRASH_AT``) lies
after the transaction of a batch that created invitations and before its offsets: a kill
there is what the redelivery and the keyed insert are for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from confluent_kafka import Consumer, Message, Producer
from psycopg_pool import ConnectionPool

from motcua.contracts import ContractError, decode_event
from motcua.crash_points import crash_point
from motcua.kafka import (
    DeadLetter,
    Topic,
    consumer_config,
    idempotent_producer_config,
    next_offsets,
    send_to_dead_letter,
)
from motcua.metrics import CONSUMED
from motcua.outage import Outage
from services.ratings.invitations.model import ClosedDossier, NewInvitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.store import create_invitations
from services.ratings.metrics import INVITATIONS_CREATED
from services.ratings.quiet_hours import QuietHours

SERVICE = "ratings"
_log = logging.getLogger("motcua.ratings.invitations")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class InvitationConsumer:
    def __init__(
        self,
        bootstrap_servers: str,
        pool: ConnectionPool,
        seal: TokenSeal,
        *,
        group_id: str = "motcua-ratings",
        lifetime_days: int = 30,
        quiet: QuietHours | None = None,
        batch_size: int = 500,
        retry_wait_s: float = 2.0,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.pool = pool
        self.seal = seal
        self.group_id = group_id
        self.lifetime_days = lifetime_days
        self.quiet = quiet
        self.batch_size = batch_size
        self.retry_wait_s = retry_wait_s
        self.clock = clock
        self._kafka = Outage("Kafka", _log)
        self._database = Outage("PostgreSQL", _log)

    def run(self, stop: threading.Event) -> None:
        consumer = Consumer(consumer_config(self.bootstrap_servers, self.group_id))
        producer = Producer(idempotent_producer_config(self.bootstrap_servers))
        consumer.subscribe([Topic.DOSSIER_EVENTS.value])
        try:
            while not stop.is_set():
                messages = consumer.consume(self.batch_size, timeout=0.5)
                batch = [m for m in messages if not self._is_error(m)]
                if not batch:
                    continue
                created = self._handle_until_done(batch, producer, stop)
                if created is None:
                    break  # stopping with the batch undone: its offsets stay uncommitted
                if created:
                    crash_point("invitations-committed")
                consumer.commit(offsets=next_offsets(batch), asynchronous=False)
                for message in batch:
                    CONSUMED.labels(message.topic()).inc()
        finally:
            consumer.close()
            producer.flush(10)

    def _is_error(self, message: Message) -> bool:
        if message.error():
            self._kafka.failed(message.error())
            return True
        self._kafka.recovered()
        return False

    def _handle_until_done(
        self, batch: Sequence[Message], producer: Producer, stop: threading.Event
    ) -> list[NewInvitation] | None:
        """The invitations the batch created (committed), or None when stopping first."""
        while not stop.is_set():
            try:
                created = self.handle(batch, producer)
                self._database.recovered()
                return created
            except psycopg.OperationalError as exc:
                self._database.failed(exc)
                stop.wait(self.retry_wait_s)
        return None

    def handle(self, batch: Sequence[Message], producer: Producer) -> list[NewInvitation]:
        """Invite for every closed dossier of ``batch``; dead-letter what breaks a contract."""
        dossiers: list[tuple[Message, ClosedDossier]] = []
        letters: list[tuple[Message, DeadLetter]] = []
        for message in batch:
            try:
                dossier = ClosedDossier.from_event(decode_event(message.value() or b""))
            except ContractError as exc:
                letters.append((message, DeadLetter("contract_violation", str(exc))))
                continue
            if dossier is not None:
                dossiers.append((message, dossier))
        try:
            created = self._create([dossier for _, dossier in dossiers])
        except psycopg.OperationalError:
            raise
        except Exception:
            # A bug met by one of these messages: find it alone, so the others still invite.
            _log.exception("invitation batch failed; retrying message by message")
            created = []
            for message, dossier in dossiers:
                try:
                    created += self._create([dossier])
                except psycopg.OperationalError:
                    raise
                except Exception as exc:
                    _log.exception("invitation failed", extra={"offset": message.offset()})
                    letters.append(
                        (message, DeadLetter("internal_error", f"{type(exc).__name__} (logged)"))
                    )
        for message, letter in letters:
            send_to_dead_letter(producer, SERVICE, message, letter)
            _log.info(
                "dossier event dead-lettered",
                extra={
                    "reason": letter.reason,
                    "partition": message.partition(),
                    "offset": message.offset(),
                },
            )
        for invitation in created:
            INVITATIONS_CREATED.labels(invitation.dossier.channel).inc()
        return created

    def _create(self, dossiers: Sequence[ClosedDossier]) -> list[NewInvitation]:
        if not dossiers:
            return []
        with self.pool.connection() as conn, conn.transaction():
            return create_invitations(
                dossiers,
                now=self.clock(),
                lifetime_days=self.lifetime_days,
                seal=self.seal,
                quiet=self.quiet,
                db_session=conn,
            )
