"""Management commands run as the service's own role, in its own schema — never as the
superuser, whose ``public`` schema would silently get a second copy of the migrations.

After ``. .stack/env`` the shell's ``DATABASE_URL`` is the stack's administrator (what
``motcua.provision`` needs), and each service's own URL is ``<SERVICE>_DATABASE_URL``:
a command takes ``DATABASE_URL`` when it reaches the service's schema, else that one,
else it refuses and says which variable to set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import psycopg

from motcua.db._conninfo import describe
from motcua.db._migrations import apply_migrations, migrations_dir


class NotTheServiceRole(RuntimeError):
    """No URL at hand reaches the service's own schema; the message says what to set."""


def _schema_of(url: str) -> str:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute("SELECT current_schema()").fetchone()
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotTheServiceRole(f"cannot connect as {describe(url)}: {first_line}") from None
    return str(row[0]) if row and row[0] else "(none)"


def own_database_url(
    service: str, database_url: str, environ: Mapping[str, str] = os.environ
) -> str:
    """The URL of ``service``'s own role: ``database_url`` if it reaches the service's
    schema, else ``<SERVICE>_DATABASE_URL``; :class:`NotTheServiceRole` otherwise."""
    variable = f"{service.upper()}_DATABASE_URL"
    schema = _schema_of(database_url)
    if schema == service:
        return database_url
    alternative = environ.get(variable)
    if alternative and alternative != database_url and _schema_of(alternative) == service:
        return alternative
    msg = (
        f"DATABASE_URL connects as {describe(database_url)}, whose schema is {schema}, not "
        f"{service}'s own role: set {variable} (or DATABASE_URL) to {service}'s URL — "
        f"`make up` writes it to .stack/env, so `. .stack/env` is enough"
    )
    raise NotTheServiceRole(msg)


def console_database_url(service: str, database_url: str) -> str | None:
    """What every ``manage`` command starts with: the service's own URL, its migrations
    applied; None after saying on stderr why not (the command then exits 2)."""
    try:
        url = own_database_url(service, database_url)
    except NotTheServiceRole as exc:
        print(f"{service}.manage: {exc}", file=sys.stderr)
        return None
    apply_migrations(url, migrations_dir(service))
    return url
