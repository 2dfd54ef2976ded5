"""PostgreSQL for the deadlines worker: a lazily opened pool used from worker threads, so
the Faust event loop never waits on SQL."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from psycopg import Connection, OperationalError
from psycopg_pool import ConnectionPool, PoolTimeout

from motcua.db import open_pool

T = TypeVar("T")
_log = logging.getLogger("motcua.deadlines.database")


class Database:
    def __init__(self, database_url: str, *, max_size: int = 4) -> None:
        self._url = database_url
        self._max_size = max_size
        self._pool: ConnectionPool | None = None

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = open_pool(self._url, min_size=1, max_size=self._max_size)
        return self._pool

    def _call(self, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        connection: Connection[Any]
        with self.pool.connection() as connection:
            return work(*args, db_session=connection, **kwargs)

    async def run(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``work(*args, db_session=…, **kwargs)`` on a pooled connection, in a thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(self._call, work, args, kwargs))

    async def run_until_done(self, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Like :meth:`run`, but waits out a database outage instead of failing: the stream
        processors call this, and holding their partition beats dropping an alert."""
        delay = 0.5
        while True:
            try:
                return await self.run(work, *args, **kwargs)
            except (OperationalError, PoolTimeout) as exc:
                _log.warning("database unavailable; retrying", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
