"""The filtered board as CSV (UTF-8 with a BOM, so spreadsheet programs read Vietnamese),
streamed: rows are read in a worker thread and written as they come, never all in memory."""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import threading
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, TypeVar

import faust
from aiohttp import web
from psycopg import Connection

from motcua.web import TEXTS
from motcua.web.strings import (
    FIELD_LABELS,
    LETTER_STATUS_LABELS,
    local_date,
    local_time,
    status_label,
)
from services.deadlines.board.names import Names
from services.deadlines.board.query import BoardQueryError
from services.deadlines.board.service import BoardItem, board_export
from services.deadlines.board.views.board import board_response
from services.deadlines.board.views.context import BoardContext
from services.deadlines.board.views.filters import resolve
from services.deadlines.board.views.session import signed_in
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
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def csv_row(item: BoardItem, names: Names) -> list[str]:
    field_code = names.field_of(item.procedure_code)
    status = TEXTS["overdue_again"] if item.status == "overdue" and item.rescheduled else None
    return [
        _cell(value)
        for value in (
            item.dossier_code,
            item.procedure_code,
            names.procedure(item.procedure_code),
            FIELD_LABELS.get(field_code, field_code) if field_code else "",
            item.unit_code,
            names.unit(item.unit_code),
            local_time(item.due_at),
            status or status_label(item.status),
            local_time(item.apology_deadline) if item.apology_deadline else "",
            LETTER_STATUS_LABELS.get(item.letter_status or "", ""),
            item.letter_number or "",
            item.acknowledged_by or "",
        )
    ]


def csv_lines(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


async def iterate_in_thread(
    db: Database, work: Callable[..., Iterator[T]], /, *args: Any, **kwargs: Any
) -> AsyncGenerator[list[T], None]:
    """Batches of ``work(*args, db_session=…)``'s items, read on a pooled connection in a
    thread. A bounded queue holds the reader back to the writer's pace; when the consumer
    stops (the client went away) the reader stops within a second and frees its connection."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[list[T] | None] = asyncio.Queue(maxsize=4)
    stop = threading.Event()

    def put(batch: list[T] | None) -> bool:
        future = asyncio.run_coroutine_threadsafe(queue.put(batch), loop)
        while True:
            try:
                future.result(timeout=1.0)
                return True
            except concurrent.futures.TimeoutError:
                if stop.is_set():
                    future.cancel()
                    return False

    def produce(*, db_session: Connection) -> None:
        batch: list[T] = []
        for item in work(*args, db_session=db_session, **kwargs):
            batch.append(item)
            if len(batch) >= BATCH:
                if not put(batch):
                    return
                batch = []
        if (not batch or put(batch)) and not stop.is_set():
            put(None)

    reader = asyncio.ensure_future(db.run(produce))
    try:
        while True:
            if reader.done() and queue.empty():
                reader.result()  # the reader's error, if it failed before the end
                return
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                continue
            batch = getter.result()
            if batch is None:
                return
            yield batch
    finally:
        stop.set()
        while not queue.empty():
            queue.get_nowait()
        await asyncio.wait({reader})


def install(app: faust.App, ctx: BoardContext) -> None:
    @app.page("/board/export.csv")
    class Export(faust.web.View):
        @signed_in(ctx)
        async def get(self, request: Any, officer: Officer) -> Any:
            try:
                resolved = resolve(officer, request.query, ctx.reference)
            except BoardQueryError as exc:
                return board_response(ctx, officer, request.query, error=exc)
            filename = f"bang-theo-doi-{local_date(datetime.now(UTC)).replace('/', '-')}.csv"
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/csv; charset=utf-8",
                    "Content-Disposition": f'attachment; filename="{filename}"',
                    "Cache-Control": "no-store",
                }
            )
            await response.prepare(request)
            await response.write((BOM + csv_lines([list(HEADERS)])).encode())
            names = ctx.names
            batches = iterate_in_thread(
                ctx.db,
                board_export,
                officer,
                resolved.request.filter,
                procedure_codes=resolved.procedure_codes,
            )
            async with aclosing(batches):
                async for batch in batches:
                    await response.write(csv_lines(csv_row(i, names) for i in batch).encode())
            await response.write_eof()
            return response
