"""The officers' web's parts without a server: the CSV's reader thread, the letter
publisher and the token renewal, with the database and the producer faked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import aclosing
from typing import Any, cast

import pytest
from confluent_kafka import KafkaException, Producer
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.testclient import TestClient

from services.deadlines.board.views.export import BATCH, iterate_in_thread
from services.deadlines.board.views.session import RENEWAL, RenewToken
from services.deadlines.database import Database
from services.deadlines.letters.publishing import LetterPublisher
from services.deadlines.letters.service import IssuedVersion, mark_published
from tests.services.deadlines.test_worker_parts import FakeDb


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


class FakeProducer:
    def __init__(self, error: str | None = None) -> None:
        self.error = error
        self.produced: list[tuple[str, bytes]] = []
        self._callbacks: list[Callable[..., None]] = []

    def produce(self, topic: str, *, key: bytes, value: bytes, on_delivery: Any) -> None:
        self.produced.append((topic, key))
        self._callbacks.append(on_delivery)

    def flush(self, timeout: float) -> int:
        for callback in self._callbacks:
            callback(self.error, None)
        self._callbacks.clear()
        return 0


ISSUED = IssuedVersion(7, 2, {"id": "e1", "subject": "d1", "type": "x"})


def publisher(db: FakeDb, producer: FakeProducer) -> LetterPublisher:
    return LetterPublisher(cast(Database, db), cast(Producer, producer), republish_after_s=30)


def test_a_letter_is_marked_published_once_kafka_acknowledged_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("services.deadlines.letters.publishing.encode_event", lambda e: b"{}")
    db, producer = FakeDb(), FakeProducer()
    asyncio.run(publisher(db, producer).publish(ISSUED))
    assert producer.produced == [("motcua.apology-letters", b"d1")]
    assert db.calls == [(mark_published, (7, 2))]


def test_a_letter_kafka_refused_stays_unmarked_for_the_republisher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("services.deadlines.letters.publishing.encode_event", lambda e: b"{}")
    db = FakeDb()
    with pytest.raises(KafkaException):
        asyncio.run(publisher(db, FakeProducer("broker down")).publish(ISSUED))
    assert db.calls == []


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
