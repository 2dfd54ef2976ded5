"""PostgreSQL plumbing: per-service roles and schemas, migrations, connection pools."""

from motcua.db._bootstrap import SERVICES, ServiceRole, bootstrap_database, service_url
from motcua.db._conninfo import (
    describe,
    servers,
    with_database,
    with_login,
    with_option,
    yoyo_uri,
)
from motcua.db._migrations import apply_migrations, migrate_on_start, migrations_dir
from motcua.db._own_role import NotTheServiceRole, console_database_url, own_database_url
from motcua.db._pool import AsyncSweepingPool, SweepingPool, check_database, open_pool
from motcua.db._recordset import recordset, recordset_text

__all__ = [
    "SERVICES",
    "AsyncSweepingPool",
    "NotTheServiceRole",
    "ServiceRole",
    "SweepingPool",
    "apply_migrations",
    "bootstrap_database",
    "check_database",
    "console_database_url",
    "describe",
    "migrate_on_start",
    "migrations_dir",
    "open_pool",
    "own_database_url",
    "recordset",
    "recordset_text",
    "servers",
    "service_url",
    "with_database",
    "with_login",
    "with_option",
    "yoyo_uri",
]
