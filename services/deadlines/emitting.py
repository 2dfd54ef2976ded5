"""Emitting the alerts now due: every dossier's on the board in one transaction, then to
Kafka, then marked in its clock — and its next check in the due index.

A crash before the send repeats the idempotent board write; a crash after it leaves an
alert the table does not know, which the next owner finds at the tail of the alerts topic
(``delivered``) and marks without sending it again. A clock is marked only once the
brokers acknowledged its alerts: marked on an alert still in the producer's buffer, a
clock written to the table's changelog before a crash would tell the next owner the alert
was sent when it never was (the chaos run lost a resolved-late alert that way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from motcua.contracts import encode_event
from services.deadlines.board.service import AlertToRecord, record_alerts
from services.deadlines.database import Database
from services.deadlines.due_index import DueIndex
from services.deadlines.metrics import ALERT_LAG, ALERTS, OPEN_DOSSIERS
from services.deadlines.records import alert_event
from services.deadlines.tracking import Alert, AlertKind, DeadlinePolicy, DossierClock

SendAlert = Callable[[bytes, bytes], Awaitable[Awaitable[object]]]
"""Puts an alert (key, value) on its way to the alerts topic; what it returns resolves with
Kafka's acknowledgement (Faust's ``Topic.send``)."""
Due = Sequence[tuple[DossierClock, list[Alert]]]


@dataclass
class Emitter:
    policy: DeadlinePolicy
    db: Database
    send: SendAlert
    index: DueIndex = field(default_factory=DueIndex)
    delivered: dict[str, set[str]] = field(default_factory=dict)
    """Alerts found on the topic at the last recovery, per dossier, whose mark was lost."""

    def schedule(self, clock: DossierClock | None) -> None:
        """The clock's next check in the due index (none once it needs no more)."""
        if clock is None:
            return
        next_check = clock.next_check(self.policy)
        self.index.schedule(clock.dossier_id, next_check.timestamp() if next_check else None)
        OPEN_DOSSIERS.set(len(self.index))

    def _unsent(self, due: Due) -> list[tuple[DossierClock, list[Alert]]]:
        """The alerts still to send; those a dead owner sent are only marked."""
        to_send = []
        for clock, alerts_due in due:
            unsent = []
            for alert in alerts_due:
                if alert.marker in self.delivered.get(clock.dossier_id, ()):
                    clock = clock.mark(alert)
                else:
                    unsent.append(alert)
            to_send.append((clock, unsent))
        return to_send

    async def emit(self, due: Due, now: datetime) -> list[DossierClock]:
        """Every dossier's due alerts: all on the board in one transaction, then to Kafka,
        then marked in the returned clocks (in ``due``'s order)."""
        to_send = self._unsent(due)
        board = [
            AlertToRecord(alert, clock, self.policy.apology_deadline(alert.due_at))
            for clock, unsent in to_send
            for alert in unsent
            if alert.kind is not AlertKind.RESOLVED_LATE
        ]
        if board:
            await self.db.run_until_done(record_alerts, board)
        acknowledged = [
            await self.send(clock.dossier_id.encode(), encode_event(alert_event(alert, clock, now)))
            for clock, unsent in to_send
            for alert in unsent
        ]
        await asyncio.gather(*acknowledged)
        marked = []
        for clock, unsent in to_send:
            for alert in unsent:
                self._count(alert, clock, now)
                clock = clock.mark(alert)
            marked.append(clock)
        return marked

    def _count(self, alert: Alert, clock: DossierClock, now: datetime) -> None:
        """Every alert counts; its lag only when the worker could have been on time (not for
        an imported dossier that fell due before it arrived)."""
        ALERTS.labels(alert.kind.value).inc()
        if alert.kind is not AlertKind.RESOLVED_LATE and not clock.imported:
            became_due = self.policy.became_due(alert.kind, alert.due_at)
            ALERT_LAG.observe(max(0.0, (now - became_due).total_seconds()))
