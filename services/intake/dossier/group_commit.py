"""Single receipts committed together: one transaction and one fsync for all the receipts
that arrived while the previous group was being written.

Alone, a ``POST /v1/dossiers`` costs three round trips, five statements and a commit
(about 7 ms here, most of it PostgreSQL's and psycopg's per-statement work, not the
row's). Concurrent requests hand their validated receipt to a committer thread instead;
each committer takes everything queued (up to ``max_group``), writes it through the
batch's set-based path (:func:`~services.intake.dossier.batch.run_receipts`) and answers
every request with its own result: a refused receipt changes nothing and the others
commit, as in a batch. Where that path gives up (an event id twice in the group, a day
out of numbers, a concurrent write's conflict) each receipt of the group runs alone.
Several committers overlap one group's PostgreSQL wait with the next group's Python work.

A request's answer is sent only after its group committed, so a 201 still means written.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from psycopg import errors
from psycopg_pool import ConnectionPool

from motcua.http import Problem
from services.intake.auth import Principal
from services.intake.dossier.batch import NotSetBased, commit_set_based, run_receipts
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.models import ReceiveDossier
from services.intake.dossier.service import IntakeRules, Outcome, committed, receive_dossier
from services.intake.metrics import GROUP_SIZES

ATTEMPTS = 3
POLL_S = 0.1
_log = logging.getLogger("motcua.intake.group_commit")


@dataclass(frozen=True)
class _Pending:
    command: ReceiveDossier
    principal: Principal
    answer: Future[Outcome] = field(default_factory=Future)


class GroupCommit:
    """The receipts queue and its committers (``run``, one supervised loop each)."""

    def __init__(self, pool: ConnectionPool, rules: IntakeRules, *, max_group: int = 200):
        self.pool = pool
        self.rules = rules
        self.max_group = max_group
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._accepting = True

    def submit(self, command: ReceiveDossier, principal: Principal) -> Future[Outcome]:
        """The receipt's outcome once its group committed; its exception is the
        :class:`IntakeError` refusing it, or a 503 :class:`Problem` to retry."""
        if not self._accepting:
            raise Problem(503, "Stopping", "intake is shutting down; retry the request")
        pending = _Pending(command, principal)
        self._queue.put(pending)
        return pending.answer

    def close(self) -> None:
        """Take no more receipts; the committers finish what is queued before they stop."""
        self._accepting = False

    def run(self, stop: threading.Event) -> None:
        while not (stop.is_set() and self._queue.empty()):
            try:
                first = self._queue.get(timeout=POLL_S)
            except queue.Empty:
                continue
            group = [first]
            while len(group) < self.max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_principal: dict[Principal, list[_Pending]] = {}
            for pending in group:
                by_principal.setdefault(pending.principal, []).append(pending)
            for principal, pendings in by_principal.items():
                self._commit(principal, pendings)

    def _commit(self, principal: Principal, group: list[_Pending]) -> None:
        GROUP_SIZES.observe(len(group))
        try:
            answers = self._together(principal, group)
        except NotSetBased:
            for pending in group:
                _settle(pending, self._alone)
            return
        except Exception as exc:  # the group failed whole (PostgreSQL down…): each answers so
            _log.warning("a group of receipts failed", extra={"error": str(exc)})
            for pending in group:
                pending.answer.set_exception(exc)
            return
        committed(answer for answer in answers if isinstance(answer, Outcome))
        for pending, answer in zip(group, answers, strict=True):
            if isinstance(answer, IntakeError):
                pending.answer.set_exception(answer)
            else:
                pending.answer.set_result(answer)

    def _together(self, principal: Principal, group: list[_Pending]) -> list[Outcome | IntakeError]:
        """The group in one transaction; aborted ones (deadlock) run again, then 503."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return commit_set_based(
                    self.pool,
                    lambda conn: run_receipts(
                        [pending.command for pending in group],
                        principal=principal,
                        rules=self.rules,
                        db_session=conn,
                    ),
                )
            except (errors.DeadlockDetected, errors.SerializationFailure):
                if attempt == ATTEMPTS:
                    raise _busy() from None
                time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 (jitter)
        raise AssertionError("unreachable")

    def _alone(self, pending: _Pending) -> Outcome:
        """One receipt in its own transaction, as the group would have written it; a race
        lost on its event id (a concurrent request with the same id) is its replay."""
        for attempt in range(2):
            try:
                with self.pool.connection() as conn, conn.pipeline():
                    outcome = receive_dossier(
                        pending.command,
                        principal=pending.principal,
                        rules=self.rules,
                        db_session=conn,
                    )
                committed([outcome])
                return outcome
            except errors.UniqueViolation:
                if attempt == 1:
                    raise
            except (errors.DeadlockDetected, errors.SerializationFailure):
                raise _busy() from None
        raise AssertionError("unreachable")


def _busy() -> Problem:
    return Problem(
        503,
        "Busy",
        "concurrent writes to the same dossiers; retry the request",
        headers={"Retry-After": "1"},
    )


def _settle(pending: _Pending, work: Callable[[_Pending], Outcome]) -> None:
    try:
        pending.answer.set_result(work(pending))
    except Exception as exc:
        pending.answer.set_exception(exc)
