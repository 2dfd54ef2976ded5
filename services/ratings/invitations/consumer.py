"""Ratings' door on ``motcua.dossier-events``: every returned or rejected dossier gets one
invitation — except what the history importer brought across (the ``history`` mark, closed
or open): a citizen is never asked to rate a visit of years ago, and such dossiers are
counted (``motcua_ratings_history_not_invited_total``) and logged once a batch instead.

Its handler runs on :class:`motcua.kafka.ConsumerLoop` (group ``RATINGS_GROUP_ID``) in the
API process, like intake's Kafka door. Each batch of messages is one transaction — the
invitations, their deliveries and their ``rating.invited`` outbox rows — and the loop
commits the offsets only after it: at least once from Kafka, exactly once in the database,
since the insert is keyed on the dossier. A message that breaks its contract goes to
``motcua.dlq.ratings`` with the reason and the partition carries on; PostgreSQL being away
is waited out by the loop with the batch in hand. The crash point ``invitations-committed``
(``MOTCUA_CRASH_AT``) lies after the transaction of a batch that created invitations and
before its offsets: a kill there is what the redelivery and the keyed insert are for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from confluent_kafka import Message
from psycopg_pool import ConnectionPool

from motcua.contracts import ContractError, History, decode_event, history_of
from motcua.crash_points import crash_point
from motcua.delivery import QuietHours
from motcua.kafka import Commit, ConsumerLoop, DeadLetter, DeadLetters, Group, Topic
from services.ratings.invitations.model import ClosedDossier, NewInvitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.store import create_invitations
from services.ratings.metrics import HISTORY_NOT_INVITED, INVITATIONS_CREATED

SERVICE = "ratings"
_log = logging.getLogger("motcua.ratings.invitations")

Letters = list[tuple[Message, DeadLetter]]
Read = tuple[list[tuple[Message, ClosedDossier]], Letters, list[tuple[History, ClosedDossier]]]
"""A batch read: the dossiers to invite, the dead letters, the history that invites nobody."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _internal_error(exc: Exception) -> DeadLetter:
    return DeadLetter("internal_error", f"{type(exc).__name__} (logged)")


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
        self.pool = pool
        self.seal = seal
        self.lifetime_days = lifetime_days
        self.quiet = quiet
        self.clock = clock
        self.loop = ConsumerLoop(
            "ratings-invitations",
            bootstrap_servers,
            [Topic.DOSSIER_EVENTS.value],
            self.handle,
            Group(group_id, Commit.AFTER_HANDLER),
            service=SERVICE,
            batch_size=batch_size,
            retry_wait_s=retry_wait_s,
            log=_log,
        )

    def run(self, stop: threading.Event) -> None:
        self.loop.run(stop)

    def handle(self, batch: Sequence[Message], dead_letters: DeadLetters) -> list[NewInvitation]:
        """Invite for every closed dossier of ``batch`` but history's; dead-letter what
        breaks a contract."""
        dossiers, letters, history = self._read(batch)
        try:
            created = self._create([dossier for _, dossier in dossiers])
        except psycopg.OperationalError:
            raise
        except Exception:
            # A bug met by one of these messages: find it alone, so the others still invite.
            _log.exception("invitation batch failed; retrying message by message")
            created = self._create_one_by_one(dossiers, letters)
        for message, letter in letters:
            dead_letters.send(message, letter)
        for invitation in created:
            INVITATIONS_CREATED.labels(invitation.dossier.channel).inc()
        _count_history(history)
        if created:
            crash_point("invitations-committed")
        return created

    def _read(self, batch: Sequence[Message]) -> Read:
        """The closed dossiers of ``batch`` to invite, a dead letter for each broken
        contract, and the closed dossiers of history."""
        dossiers: list[tuple[Message, ClosedDossier]] = []
        letters: Letters = []
        history: list[tuple[History, ClosedDossier]] = []
        for message in batch:
            try:
                event = decode_event(message.value() or b"")
                dossier = ClosedDossier.from_event(event)
            except ContractError as exc:
                letters.append((message, DeadLetter("contract_violation", str(exc))))
                continue
            mark = history_of(event)
            if dossier is not None and mark is not None:
                history.append((mark, dossier))
            elif dossier is not None:
                dossiers.append((message, dossier))
        return dossiers, letters, history

    def _create_one_by_one(
        self, dossiers: Sequence[tuple[Message, ClosedDossier]], letters: Letters
    ) -> list[NewInvitation]:
        created: list[NewInvitation] = []
        for message, dossier in dossiers:
            try:
                created += self._create([dossier])
            except psycopg.OperationalError:
                raise
            except Exception as exc:
                _log.exception("invitation failed", extra={"offset": message.offset()})
                letters.append((message, _internal_error(exc)))
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


def _count_history(history: Sequence[tuple[History, ClosedDossier]]) -> None:
    """History's returned and rejected dossiers, counted and logged (once a batch, not
    once a dossier: an import brings them by the hundred thousand)."""
    for mark, dossier in history:
        HISTORY_NOT_INVITED.labels(mark.value, dossier.outcome).inc()
    if history:
        _log.debug("history invites nobody", extra={"dossiers": len(history)})
