"""Connection pools and the readiness check."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool


def open_pool(
    database_url: str, *, min_size: int | None = None, max_size: int = 10
) -> ConnectionPool:
    """A pool opening in the background; fixed at ``max_size`` unless ``min_size`` says
    otherwise, so a burst of requests never waits for connections to be opened and
    authenticated (SCRAM) while it is served."""
    pool = ConnectionPool(
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
