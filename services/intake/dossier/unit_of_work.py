"""One transaction for a set of commands, whatever door they came through, with the one
retry policy and the one answer when PostgreSQL cannot take the write.

A single request's command, a group of receipts committed together, a batch, a Kafka
message's command: each is a set of parsed commands written by :meth:`UnitOfWork.write`
in one pipelined transaction (set-based, else one by one: :mod:`service`). A transaction
PostgreSQL aborted — a deadlock, a serialization failure — committed nothing: it runs
again whole, a bounded number of times, each abort counted and logged with its reason.
A connection PostgreSQL dropped (it restarted, or the standby took over from a primary
that died) is the other thing run again: every command carries its upstream event id, so a
write whose commit did land before the connection broke is found and replayed, not written
twice. The pool's other idle connections went with the server: the pool sweeps them out
as the broken one comes back (:class:`motcua.db.SweepingPool`), so the next attempt waits
for a new connection — to whichever server now takes writes — rather than failing on
another dead one.
No other error is retried here: a refusal is the command's answer, and PostgreSQL staying
out of reach is an outage the caller waits out (the Kafka door) or answers
(:func:`unavailable`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from psycopg import Connection, OperationalError, errors
from psycopg_pool import ConnectionPool
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.wait import WaitBaseT

from motcua.http import problem_response
from services.intake.auth import Principal
from services.intake.dossier.commands import Parsed
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.plans import Outcome, Result, committed
from services.intake.dossier.rules import IntakeRules
from services.intake.dossier.service import NotSetBased, write_one_by_one, write_set_based
from services.intake.dossier.store import Numbering
from services.intake.metrics import BATCH_ABORTS, BATCH_PATHS, REJECTS, REPLAYS

ATTEMPTS = 3


class ConnectionLost(OperationalError):
    """The connection broke under the work: the server is gone (restarted, or replaced by
    its standby). Whether the commit landed is unknown, and running the work again says:
    its event ids replay what did."""


ABORTED = (errors.DeadlockDetected, errors.SerializationFailure)
"""PostgreSQL aborted the transaction to resolve a conflict: nothing was written, and the
same work run again can succeed."""
RETRYABLE = (*ABORTED, ConnectionLost)
RETRY_AFTER_S = 1
JITTER = wait_random_exponential(multiplier=0.05, max=0.5)
"""Between attempts: two writers that deadlocked do not meet again at once."""
_log = logging.getLogger("motcua.intake.unit_of_work")
T = TypeVar("T")


def _aborted(state: RetryCallState) -> None:
    """Count and log a transaction PostgreSQL aborted or lost with its connection (every
    attempt, the last one too)."""
    assert state.outcome is not None
    error = state.outcome.exception()
    reason = _reason(error)
    BATCH_ABORTS.labels(reason).inc()
    _log.warning(
        "connection to PostgreSQL lost under a transaction"
        if reason == "connection_lost"
        else "transaction aborted by PostgreSQL",
        extra={"reason": reason, "attempt": state.attempt_number, "error": str(error)},
    )


def _reason(error: BaseException | None) -> str:
    if isinstance(error, ConnectionLost):
        return "connection_lost"
    return "deadlock" if isinstance(error, errors.DeadlockDetected) else "serialization"


class UnitOfWork:
    """Runs work in one transaction on a connection of ``pool``, under the retry policy."""

    def __init__(
        self,
        pool: ConnectionPool,
        rules: IntakeRules,
        *,
        attempts: int = ATTEMPTS,
        wait: WaitBaseT = JITTER,
    ) -> None:
        self.pool = pool
        self.rules = rules
        self.attempts = attempts
        self.wait = wait

    def run(
        self, work: Callable[[Connection], T], *, settle: Callable[[T], None] | None = None
    ) -> T:
        """``work`` in one pipelined transaction, committed; ``settle`` then runs on what it
        returned, at the commit's sync (new dossiers take their numbers there). Raises the
        last abort when every attempt was aborted, and any other error at once."""
        retrying = Retrying(
            retry=retry_if_exception_type(RETRYABLE),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            after=_aborted,
            reraise=True,
        )
        return retrying(self._once, work, settle)

    def _once(self, work: Callable[[Connection], T], settle: Callable[[T], None] | None) -> T:
        with self.pool.connection() as conn:
            try:
                with conn.pipeline():
                    with conn.transaction():
                        done = work(conn)
                    if settle is not None:
                        settle(done)
            except OperationalError as exc:
                if not conn.broken:
                    raise
                raise ConnectionLost(str(exc)) from exc
        return done

    def write(
        self,
        principal: Principal,
        commands: Sequence[Parsed | IntakeError],
        *,
        door: str | None = None,
    ) -> list[Result]:
        """Every command's result, in order, all of them committed in one transaction
        (a refusal is its command's result and writes nothing); counted once committed,
        the refusals and replays under ``door`` when one is named (the Kafka door counts
        its dead letters itself)."""
        try:
            results = self.run(
                lambda conn: write_set_based(
                    commands, principal=principal, rules=self.rules, db_session=conn
                ),
                settle=_number,
            )[0]
            path = "set_based"
        except (NotSetBased, errors.UniqueViolation, errors.CheckViolation):
            # The commit refused the set (a conflict, a day out of numbers): nothing was
            # written, and one by one each command gets its own answer.
            results = self.run(
                lambda conn: write_one_by_one(
                    commands, principal=principal, rules=self.rules, db_session=conn
                )
            )
            path = "item_by_item"
        BATCH_PATHS.labels(path).inc()
        committed(result for result in results if isinstance(result, Outcome))
        if door is not None:
            _count(results, door)
        return results


def _count(results: list[Result], door: str) -> None:
    for result in results:
        if isinstance(result, IntakeError):
            REJECTS.labels(result.reason, door).inc()
    REPLAYS.labels(door).inc(sum(1 for r in results if isinstance(r, Outcome) and r.replayed))


def _number(done: tuple[list[Result], Numbering | None]) -> None:
    if done[1] is not None:
        done[1].apply()


async def unavailable(_: Request, exc: Exception) -> JSONResponse:
    """The one 503 of intake's API: PostgreSQL aborted the write on every attempt, or is
    unreachable. Nothing was written; the same request sent again is safe (a write that
    did commit meanwhile is then replayed by its event id)."""
    if isinstance(exc, ABORTED):
        title, detail = "Busy", "concurrent writes to the same dossiers; retry the request"
    else:
        title, detail = "Unavailable", "the database cannot be reached; retry the request"
    _log.warning("answered 503", extra={"error": type(exc).__name__})
    response = problem_response(503, title, detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response
