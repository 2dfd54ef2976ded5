"""Live updates for open boards: PostgreSQL ``LISTEN board`` fanned out to each browser.

Whichever worker records an alert, every worker's web server hears the NOTIFY, so an
officer's board updates no matter which worker owns the dossier's partition. A
subscriber is only woken for changes inside its officer's subtree. After a lost
connection every subscriber is woken once, since changes may have been missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

from services.deadlines.board_changes import CHANNEL

_log = logging.getLogger("motcua.deadlines.board")


@dataclass(eq=False)
class Subscriber:
    scope: tuple[str, ...]
    """The officer's unit and the retired units it carries on (``Officer.scope``)."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class BoardFeed:
    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._subscribers: set[Subscriber] = set()

    @contextmanager
    def subscribe(self, scope: Sequence[str]) -> Iterator[Subscriber]:
        subscriber = Subscriber(tuple(scope))
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def publish(self, unit_path: list[str]) -> None:
        for subscriber in self._subscribers:
            if any(code in unit_path for code in subscriber.scope):
                subscriber.changed.set()

    def _wake_all(self) -> None:
        for subscriber in self._subscribers:
            subscriber.changed.set()

    async def run(self) -> None:
        """Listen for as long as the worker lives, reconnecting after failures."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._wake_all()
                    async for notice in conn.notifies():
                        try:
                            path = json.loads(notice.payload)
                        except ValueError:
                            self._wake_all()
                            continue
                        self.publish(path if isinstance(path, list) else [])
            except (psycopg.Error, OSError) as exc:
                _log.warning("board feed lost its connection", extra={"error": str(exc)})
                await asyncio.sleep(1.0)
