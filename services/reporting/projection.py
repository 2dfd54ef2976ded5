"""One batch of messages, from any of the topics reporting reads, into its facts and the
offsets to resume from — written in one transaction.

Kafka gives at least once; this makes it count once. The facts and the offsets commit
together, so after a crash the consumer resumes exactly after the last batch whose facts
are stored (``consumer.py`` seeks to ``consumed_offsets`` on every assignment), and each
fact's own guard (``store.py``) makes a batch applied twice — by a worker that lost its
partitions mid-batch — change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from psycopg import Connection

from motcua.calendar import WorkingCalendar
from motcua.contracts import ContractError, EventType, decode_event
from motcua.kafka import DeadLetter, Topic
from services.reporting import store
from services.reporting.facts import (
    ApologyFact,
    DossierFact,
    DossierStep,
    FollowupFact,
    InvitationFact,
    NoticeFact,
    RatingFact,
    apology_fact,
    apply_dossier_event,
    apply_notice_event,
    dossier_step,
    followup_fact,
    invitation_fact,
    notice_key,
    rating_fact,
)

TOPICS: tuple[Topic, ...] = (
    Topic.DOSSIER_EVENTS,
    Topic.APOLOGY_LETTERS,
    Topic.APOLOGY_DELIVERIES,
    Topic.RATING_INVITATIONS,
    Topic.RATING_SUBMISSIONS,
)
"""What reporting counts from; a rebuild replays exactly these."""

_EXPECTED: dict[str, frozenset[EventType]] = {
    Topic.DOSSIER_EVENTS.value: frozenset(
        t for t in EventType if t.value.startswith("vn.motcua.dossier.")
    ),
    Topic.APOLOGY_LETTERS.value: frozenset({EventType.APOLOGY_ISSUED}),
    Topic.APOLOGY_DELIVERIES.value: frozenset({EventType.APOLOGY_DELIVERY_UPDATED}),
    Topic.RATING_INVITATIONS.value: frozenset({EventType.RATING_INVITED}),
    Topic.RATING_SUBMISSIONS.value: frozenset(
        {
            EventType.RATING_SUBMITTED,
            EventType.RATING_FOLLOWUP_OPENED,
            EventType.RATING_FOLLOWUP_CLOSED,
        }
    ),
}

_log = logging.getLogger("motcua.reporting.projection")


@dataclass(frozen=True)
class Record:
    """What reporting needs of a Kafka message (a plain value, so tests need no broker)."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    timestamp_ms: int | None = None


@dataclass
class Applied:
    """What one batch changed: the facts written, the events given up on, the offsets."""

    events: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[Record, DeadLetter]] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    unit_paths: dict[str, tuple[str, ...]] = field(default_factory=dict)


Decoded = tuple[str, Record, dict[str, object]]
"""A message's role (the topic it stands for), the message, and its event."""


def _decoded(
    records: Sequence[Record], roles: Mapping[str, str] | None, applied: Applied
) -> list[Decoded]:
    """The events of ``records`` that reporting reads; every offset is taken, and what
    breaks its contract or comes on the wrong topic goes to ``applied.rejected``."""
    decoded: list[Decoded] = []
    for record in records:
        key = (record.topic, record.partition)
        applied.offsets[key] = max(applied.offsets.get(key, 0), record.offset + 1)
        role = roles.get(record.topic, record.topic) if roles else record.topic
        try:
            event = decode_event(record.value or b"")
        except ContractError as exc:
            applied.rejected.append((record, DeadLetter("contract_violation", str(exc))))
            continue
        if event["type"] not in _EXPECTED.get(role, frozenset()):
            letter = DeadLetter("unexpected_type", f"{event['type']} on {record.topic}")
            applied.rejected.append((record, letter))
            continue
        decoded.append((role, record, event))
    return decoded


@dataclass
class _Facts:
    """The facts one batch builds, written together at its end."""

    dossiers: dict[str, DossierFact | None]
    notices: dict[tuple[str, int, int, str], NoticeFact]
    changed: set[str] = field(default_factory=set)
    changed_notices: set[tuple[str, int, int, str]] = field(default_factory=set)
    apologies: list[ApologyFact] = field(default_factory=list)
    invitations: list[InvitationFact] = field(default_factory=list)
    ratings: list[RatingFact] = field(default_factory=list)
    followups: list[FollowupFact] = field(default_factory=list)
    steps: list[DossierStep] = field(default_factory=list)

    def add(
        self, role: str, event: dict[str, object], calendar: WorkingCalendar, applied: Applied
    ) -> None:
        """Fold one event into its fact (a dossier's fact changes in place)."""
        if role == Topic.DOSSIER_EVENTS.value:
            dossier_id = str(event["data"]["dossier_id"])  # type: ignore[index]
            before = self.dossiers.get(dossier_id)
            after = apply_dossier_event(before, event, calendar)
            if after is not before and after is not None:
                self.dossiers[dossier_id] = after
                self.changed.add(dossier_id)
                self.steps.append(dossier_step(event))
                applied.unit_paths[after.unit_code] = after.unit_path
        elif event["type"] == EventType.APOLOGY_ISSUED:
            self.apologies.append(apology_fact(event, calendar))
        elif event["type"] == EventType.APOLOGY_DELIVERY_UPDATED:
            self._notice(event)
        elif event["type"] == EventType.RATING_INVITED:
            self.invitations.append(invitation_fact(event))
        elif event["type"] == EventType.RATING_SUBMITTED:
            self.ratings.append(rating_fact(event))
        else:
            self.followups.append(followup_fact(event))

    def _notice(self, event: dict[str, object]) -> None:
        key = notice_key(event)
        before = self.notices.get(key)
        after = apply_notice_event(before, event)
        if after is not before:
            self.notices[key] = after
            self.changed_notices.add(key)

    def save(self, applied: Applied, db_session: Connection) -> None:
        store.save_dossiers(
            [fact for key in sorted(self.changed) if (fact := self.dossiers[key]) is not None],
            db_session=db_session,
        )
        store.save_steps(self.steps, db_session=db_session)
        store.save_apologies(self.apologies, db_session=db_session)
        store.save_notices(
            [self.notices[key] for key in sorted(self.changed_notices)], db_session=db_session
        )
        store.save_invitations(self.invitations, db_session=db_session)
        store.save_ratings(self.ratings, db_session=db_session)
        store.save_followups(_latest_followups(self.followups), db_session=db_session)
        store.save_units(applied.unit_paths, db_session=db_session)
        store.save_offsets(applied.offsets, db_session=db_session)


def apply_batch(
    records: Sequence[Record],
    calendar: WorkingCalendar,
    *,
    roles: Mapping[str, str] | None = None,
    db_session: Connection,
) -> Applied:
    """Apply ``records`` (in their partitions' order) inside the caller's transaction.

    ``roles`` names which of reporting's topics a topic stands for, when it is called
    otherwise (the tests give each their own topics); by default each is itself.
    """
    applied = Applied()
    decoded = _decoded(records, roles, applied)
    facts = _Facts(
        dict(
            store.load_dossiers(_dossiers_of(decoded, Topic.DOSSIER_EVENTS), db_session=db_session)
        ),
        store.load_notices(_dossiers_of(decoded, Topic.APOLOGY_DELIVERIES), db_session=db_session),
    )
    for role, record, event in decoded:
        try:
            facts.add(role, event, calendar, applied)
        except (KeyError, ValueError, TypeError) as exc:
            # A schema-valid event this code cannot read is a bug here: say which, move on.
            _log.exception("event not applied", extra={"offset": record.offset})
            applied.rejected.append(
                (record, DeadLetter("internal_error", f"{type(exc).__name__} (logged)"))
            )
            continue
        applied.events[record.topic] = applied.events.get(record.topic, 0) + 1
    facts.save(applied, db_session)
    return applied


def _dossiers_of(decoded: Sequence[Decoded], role: Topic) -> set[str]:
    """The dossiers the batch's events of ``role`` are about."""
    return {
        str(event["data"]["dossier_id"])  # type: ignore[index]
        for r, _, event in decoded
        if r == role.value
    }


def _latest_followups(followups: Sequence[FollowupFact]) -> list[FollowupFact]:
    """One row per follow-up in a batch (an upsert may not touch a row twice): the closed
    state when the batch has it."""
    latest: dict[str, FollowupFact] = {}
    for fact in followups:
        if fact.followup_id not in latest or fact.closed_at is not None:
            latest[fact.followup_id] = fact
    return list(latest.values())
