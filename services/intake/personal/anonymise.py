"""The anonymisation run: applicants every dossier of whom is past retention lose their
personal fields; dossiers, timelines, codes and figures stay as they are, and no event is
published (nothing that reporting counts changes).

One run at a time across every intake process: a transaction-scoped advisory lock, taken
without waiting, so a process finding another one at it skips its turn. Running it again
finds nothing more to do.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from psycopg import Connection
from psycopg_pool import ConnectionPool

from motcua.audit import Action, ActorKind, record
from services.intake.personal import store
from services.intake.personal.retention import RetentionPolicy, subject_hash
from services.intake.settings import IntakeSettings

log = logging.getLogger(__name__)
_TRY_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('motcua.intake.anonymisation'))"


@dataclass(frozen=True)
class RunReport:
    ran: bool
    """False: another process held the lock; this one did nothing."""
    subjects: int = 0
    """People past retention (by ID number)."""
    held: int = 0
    """Of those, people under a legal hold: left as they are."""
    applicants: int = 0
    """Applicant rows anonymised (or, in a dry run, that would be)."""
    dry_run: bool = False


def anonymise_past_retention(
    policy: RetentionPolicy,
    hash_key: bytes,
    *,
    actor: str,
    actor_kind: ActorKind,
    dry_run: bool = False,
    now: datetime | None = None,
    db_session: Connection,
) -> RunReport:
    """One run, in one transaction; recorded (counts only) when it changed something or
    was asked for at the console. A dry run writes nothing."""
    result_before, refused_before = policy.closed_before(now or datetime.now(UTC))
    with db_session.transaction():
        locked = db_session.execute(_TRY_LOCK).fetchone()
        if not (locked and locked[0]):
            return RunReport(ran=False)
        subjects = store.past_retention(result_before, refused_before, db_session=db_session)
        holds = store.held(db_session=db_session)
        free = [
            s
            for s in subjects
            if s.id_number is None or subject_hash(hash_key, s.id_number) not in holds
        ]
        refs = [ref for s in free for ref in s.refs]
        if dry_run:
            count = len(refs)
        else:
            count = store.anonymise(refs, result_before, refused_before, db_session=db_session)
        report = RunReport(True, len(subjects), len(subjects) - len(free), count, dry_run)
        if not dry_run and (count or actor_kind is not ActorKind.SCHEDULER):
            details = {k: v for k, v in asdict(report).items() if k not in ("ran", "dry_run")}
            details["retention_years"] = {
                "result": policy.result_years,
                "refused": policy.refused_years,
            }
            record(
                Action(actor, actor_kind, "anonymisation.run", details=details),
                db_session=db_session,
            )
    return report


@dataclass(frozen=True)
class AnonymisationJob:
    """The scheduled run inside an intake process (a supervised loop)."""

    pool: ConnectionPool
    policy: RetentionPolicy
    hash_key: bytes
    interval_s: float

    @classmethod
    def configured(cls, settings: IntakeSettings, pool: ConnectionPool) -> AnonymisationJob | None:
        """The job as the settings ask for it; None when it must not run in the process."""
        key = settings.subject_hash_key
        if key is None or settings.anonymisation_interval_s <= 0:
            return None
        return cls(
            pool,
            RetentionPolicy.of(settings),
            key.get_secret_value().encode(),
            settings.anonymisation_interval_s,
        )

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval_s):
            with self.pool.connection() as conn:
                report = anonymise_past_retention(
                    self.policy,
                    self.hash_key,
                    actor="intake.anonymisation",
                    actor_kind=ActorKind.SCHEDULER,
                    db_session=conn,
                )
            if report.applicants:
                log.info("anonymised %d applicant records", report.applicants)
