"""Single receipts committed together: one transaction and one fsync for all the receipts
that arrived while the previous group was being written.

Alone, a ``POST /v1/dossiers`` costs three round trips, five statements and a commit
(about 7 ms here, most of it PostgreSQL's and psycopg's per-statement work, not the
row's). Concurrent requests hand their validated receipt to a committer thread instead;
each committer takes everything queued (up to ``max_group``), writes it as one set of
commands through the unit of work
(:meth:`~services.intake.dossier.unit_of_work.UnitOfWork.write`, as a batch is written)
and answers every request with its own result: a refused receipt changes nothing and
the others commit. Several committers overlap one group's PostgreSQL wait with the next
group's Python work.

A request's answer is sent only after its group committed, so a 201 still means written.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from motcua.http import Problem
from services.intake.auth import Principal
from services.intake.dossier.commands import Parsed
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.plans import Outcome
from services.intake.dossier.unit_of_work import UnitOfWork
from services.intake.metrics import GROUP_SIZES

POLL_S = 0.1
_log = logging.getLogger("motcua.intake.group_commit")


@dataclass(frozen=True)
class _Pending:
    command: Parsed | IntakeError
    principal: Principal
    answer: Future[Outcome] = field(default_factory=Future)


class GroupCommit:
    """The receipts queue and its committers (``run``, one supervised loop each)."""

    def __init__(self, writes: UnitOfWork, *, max_group: int = 200):
        self.writes = writes
        self.max_group = max_group
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._accepting = True

    def submit(self, command: Parsed | IntakeError, principal: Principal) -> Future[Outcome]:
        """The receipt's outcome once its group committed; its exception is the
        :class:`IntakeError` refusing it, or the database error the app answers 503."""
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
            answers = self.writes.write(principal, [p.command for p in group], door="http")
        except Exception as exc:  # the group failed whole (PostgreSQL down…): each answers so
            _log.warning("a group of receipts failed", extra={"error": str(exc)})
            for pending in group:
                pending.answer.set_exception(exc)
            return
        for pending, answer in zip(group, answers, strict=True):
            if isinstance(answer, IntakeError):
                pending.answer.set_exception(answer)
            else:
                pending.answer.set_result(answer)
