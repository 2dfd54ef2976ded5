"""The filtered board as CSV (UTF-8 with a BOM, so spreadsheet programs read Vietnamese),
streamed: rows are read in a worker thread and written as they come, never all in memory."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from psycopg import Connection
from starlette.responses import Response, StreamingResponse

from motcua.reference import Names
from motcua.web import TEXTS
from motcua.web.strings import (
    FIELD_LABELS,
    LETTER_STATUS_LABELS,
    local_date,
    local_time,
    status_label,
)
from services.deadlines.board.delivery import describe
from services.deadlines.board.query import BoardQueryError
from services.deadlines.board.service import BoardItem, board_export
from services.deadlines.board.views.board import board_response
from services.deadlines.board.views.context import BoardContext
from services.deadlines.board.views.filters import Resolved, resolve
from services.deadlines.board.views.session import Ctx, Viewer
from services.deadlines.database import Database
from services.deadlines.officers import Officer

T = TypeVar("T")
BATCH = 500
BOM = "\ufeff"
HEADERS = (
    TEXTS["col_dossier"],
    TEXTS["csv_procedure_code"],
    TEXTS["col_procedure"],
    TEXTS["filter_field"],
    TEXTS["csv_unit_code"],
    TEXTS["col_unit"],
    TEXTS["col_due"],
    TEXTS["col_status"],
    TEXTS["csv_letter_deadline"],
    TEXTS["col_letter"],
    TEXTS["csv_letter_number"],
    TEXTS["csv_acknowledged_by"],
    TEXTS["csv_delivery"],
    TEXTS["csv_delivery_flag"],
    TEXTS["csv_expected_late"],
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _letter_state(item: BoardItem) -> str:
    """The letter column's words: a due-soon draft not marked as going to be late is not
    owed yet, and reads as the board says it, not as a letter left unissued."""
    if item.may_expect_late and not item.needs_letter:
        return TEXTS["letter_not_yet_owed"]
    return LETTER_STATUS_LABELS.get(item.letter_status or "", "")


def csv_row(item: BoardItem, names: Names, now: datetime) -> list[str]:
    field_code = names.field_of(item.procedure_code)
    status = TEXTS["overdue_again"] if item.status == "overdue" and item.rescheduled else None
    delivery = describe(item.delivery, now) if item.delivery else None
    return [
        _cell(value)
        for value in (
            item.dossier_code,
            item.procedure_code,
            names.procedure(item.procedure_code),
            FIELD_LABELS.get(field_code, field_code) if field_code else "",
            item.unit_code,
            names.unit_of_record(item.unit_code),
            local_time(item.due_at),
            status or status_label(item.status),
            local_time(item.apology_deadline) if item.apology_deadline else "",
            _letter_state(item),
            item.letter_number or "",
            item.acknowledged_name or item.acknowledged_by or "",
            "; ".join(delivery.lines) if delivery else "",
            (delivery.flag or "") if delivery else "",
            item.late_expected_name or item.late_expected_by or "",
        )
    ]


def csv_lines(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


class _Handoff(Generic[T]):
    """Batches from a reader thread to the event loop through a bounded queue, which holds
    the reader back to the consumer's pace; once ``stop`` is set the reader gives up
    within a second."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[list[T] | None] = asyncio.Queue(maxsize=4)
        self.stop = threading.Event()

    def put(self, batch: list[T] | None) -> bool:
        """In the reader thread: False once the consumer has stopped."""
        future = asyncio.run_coroutine_threadsafe(self.queue.put(batch), self.loop)
        while True:
            try:
                future.result(timeout=1.0)
                return True
            except concurrent.futures.TimeoutError:
                if self.stop.is_set():
                    future.cancel()
                    return False

    def produce(self, items: Iterable[T]) -> None:
        """In the reader thread: every item in batches, then the end (None)."""
        batch: list[T] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                if not self.put(batch):
                    return
                batch = []
        if (not batch or self.put(batch)) and not self.stop.is_set():
            self.put(None)

    async def batches(self, reader: asyncio.Future[None]) -> AsyncGenerator[list[T], None]:
        """The batches until the end, or the reader's error if it failed before it."""
        while True:
            if reader.done() and self.queue.empty():
                reader.result()
                return
            getter = asyncio.ensure_future(self.queue.get())
            either: set[asyncio.Future[Any]] = {getter, reader}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            batch = getter.result()
            if batch is None:
                return
            yield batch

    def drain(self) -> None:
        self.stop.set()
        while not self.queue.empty():
            self.queue.get_nowait()


async def iterate_in_thread(
    db: Database, work: Callable[..., Iterator[T]], /, *args: Any, **kwargs: Any
) -> AsyncGenerator[list[T], None]:
    """Batches of ``work(*args, db_session=…)``'s items, read on a pooled connection in a
    thread; when the consumer stops (the client went away) the reader stops within a
    second and frees its connection."""
    handoff: _Handoff[T] = _Handoff(asyncio.get_running_loop())

    def produce(*, db_session: Connection) -> None:
        handoff.produce(work(*args, db_session=db_session, **kwargs))

    reader = asyncio.ensure_future(db.run(produce))
    try:
        async with aclosing(handoff.batches(reader)) as batches:
            async for batch in batches:
                yield batch
    finally:
        handoff.drain()
        await asyncio.wait({reader})


async def csv_body(ctx: BoardContext, officer: Officer, resolved: Resolved) -> AsyncIterator[bytes]:
    """The file: the BOM and the headers, then the rows as they are read."""
    yield (BOM + csv_lines([list(HEADERS)])).encode()
    names, now = ctx.names, datetime.now(UTC)
    batches = iterate_in_thread(
        ctx.db,
        board_export,
        officer,
        resolved.request.filter,
        procedure_codes=resolved.procedure_codes,
    )
    async with aclosing(batches):
        async for batch in batches:
            yield csv_lines(csv_row(i, names, now) for i in batch).encode()


router = APIRouter(include_in_schema=False)


@router.get("/board/export.csv")
async def export_csv(request: Request, ctx: Ctx, officer: Viewer) -> Response:
    try:
        resolved = resolve(officer, request.query_params, ctx.reference)
    except BoardQueryError as exc:
        return board_response(ctx, officer, request.query_params, error=exc)
    filename = f"bang-theo-doi-{local_date(datetime.now(UTC)).replace('/', '-')}.csv"
    return StreamingResponse(
        csv_body(ctx, officer, resolved),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
