"""The officers' web's parts without a server: the CSV's reader thread and the token
renewal, with the database faked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import aclosing
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.testclient import TestClient

from services.deadlines.board.views.export import BATCH, iterate_in_thread
from services.deadlines.board.views.session import RENEWAL, RenewToken
from services.deadlines.database import Database


class ThreadDb:
    """Runs the work in a thread, as the pool does, with no connection."""

    async def run(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(work, *args, db_session=None, **kwargs)


def test_rows_come_in_batches_and_a_client_gone_stops_the_reader() -> None:
    read: list[int] = []

    def rows(*, db_session: object) -> Iterator[int]:
        for number in range(100 * BATCH):
            read.append(number)
            yield number

    async def first_batch() -> list[list[int]]:
        got = []
        async with aclosing(iterate_in_thread(cast(Database, ThreadDb()), rows)) as batches:
            async for batch in batches:
                got.append(batch)
                break  # the client went away
        return got

    assert asyncio.run(first_batch()) == [list(range(BATCH))]
    assert len(read) < 10 * BATCH  # held back by the bounded queue, then stopped


def test_the_reader_s_error_reaches_the_writer() -> None:
    def broken(*, db_session: object) -> Iterator[int]:
        yield 1
        raise RuntimeError("cursor lost")

    async def everything() -> list[list[int]]:
        return [b async for b in iterate_in_thread(cast(Database, ThreadDb()), broken)]

    with pytest.raises(RuntimeError, match="cursor lost"):
        asyncio.run(everything())


def renewing_app() -> FastAPI:
    """A page that renews the token, one that does not, and a stream that does."""
    app = FastAPI()
    app.add_middleware(RenewToken)

    @app.get("/renewed")
    def renewed(request: Request) -> PlainTextResponse:
        setattr(request.state, RENEWAL, "motcua_officer=fresh; Path=/")
        return PlainTextResponse("page")

    @app.get("/fresh")
    def fresh() -> PlainTextResponse:
        return PlainTextResponse("page")

    @app.get("/stream")
    def stream(request: Request) -> StreamingResponse:
        setattr(request.state, RENEWAL, "motcua_officer=fresh; Path=/")
        return StreamingResponse(iter([b"a", b"b"]), media_type="text/plain")

    return app


def test_the_renewed_token_goes_out_with_whatever_the_handler_answered() -> None:
    client = TestClient(renewing_app())
    assert client.get("/renewed").headers.get_list("set-cookie") == ["motcua_officer=fresh; Path=/"]
    assert "set-cookie" not in client.get("/fresh").headers
    streamed = client.get("/stream")
    assert streamed.text == "ab"
    assert streamed.headers["set-cookie"] == "motcua_officer=fresh; Path=/"
