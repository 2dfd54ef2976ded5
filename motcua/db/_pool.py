"""Connection pools and the readiness check."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool


class SweepingPool(ConnectionPool):
    """A pool that checks its idle connections as soon as one comes back broken.

    When PostgreSQL goes away — a restart, or its standby taking over from a primary that
    died — every pooled connection dies with it, but each would only be found dead when
    next used, failing one caller after another. The first one back broken says the server
    is gone: the others are checked at once (:meth:`ConnectionPool.check`), the dead ones
    replaced, so the next caller gets a live connection or waits for a new one (to
    whichever server now takes writes, when the URL names several)."""

    def putconn(self, conn: Any) -> None:
        broken = conn.broken
        super().putconn(conn)
        if broken:
            self.check()


class AsyncSweepingPool(AsyncConnectionPool):
    """:class:`SweepingPool` for asyncio."""

    async def putconn(self, conn: Any) -> None:
        broken = conn.broken
        await super().putconn(conn)
        if broken:
            await self.check()


def open_pool(
    database_url: str, *, min_size: int | None = None, max_size: int = 10
) -> ConnectionPool:
    """A pool opening in the background; fixed at ``max_size`` unless ``min_size`` says
    otherwise, so a burst of requests never waits for connections to be opened and
    authenticated (SCRAM) while it is served."""
    pool = SweepingPool(
        database_url,
        min_size=max_size if min_size is None else min_size,
        max_size=max_size,
        open=False,
        name="motcua",
    )
    pool.open(wait=False)
    return pool


def check_database(database_url: str, *, timeout_s: float = 3.0) -> None:
    """Open a fresh connection and run a query, raising on any failure."""
    with psycopg.connect(database_url, connect_timeout=max(1, round(timeout_s))) as conn:
        conn.execute("SELECT 1").fetchone()
