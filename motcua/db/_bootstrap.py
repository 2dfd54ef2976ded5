"""One role and one schema per service, so the database itself keeps services apart.

A service's role owns its schema and has no rights on any other, so "no service reads
another service's tables" is enforced by PostgreSQL rather than by convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql

from motcua.db._conninfo import with_login

SERVICES: tuple[str, ...] = ("intake", "deadlines", "ratings", "reporting")
SCHEMA_CREATORS = frozenset({"reporting"})
"""Services that may create schemas of their own: reporting rebuilds its figures into a
fresh one (``python -m services.reporting.manage rebuild``)."""


@dataclass(frozen=True)
class ServiceRole:
    service: str
    password: str
    prefix: str = "motcua"

    @property
    def role(self) -> str:
        return f"{self.prefix}_{self.service}"

    @property
    def schema(self) -> str:
        return self.service


def service_url(admin_url: str, role: ServiceRole) -> str:
    """The admin's connection string with the service's role and password instead of the
    admin's: every server it names (a primary and its standby), its database and its
    parameters (``target_session_attrs``…) kept."""
    return with_login(admin_url, role.role, role.password)


def bootstrap_database(
    admin_url: str, passwords: Mapping[str, str], *, role_prefix: str = "motcua"
) -> dict[str, str]:
    """Create (or update) each service's role and schema; return each service's URL.

    Idempotent: running it again resets the passwords to the given ones and changes
    nothing else. Roles are cluster-wide, so tests pass their own ``role_prefix``.
    """
    urls: dict[str, str] = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        database = conn.info.dbname
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        for service in SERVICES:
            role = ServiceRole(service, passwords[service], role_prefix)
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (role.role,)
            ).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role.role), sql.Literal(role.password)
                )
            )
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                    sql.Identifier(role.schema), sql.Identifier(role.role)
                )
            )
            conn.execute(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                    sql.Identifier(role.role), sql.Identifier(database), sql.Identifier(role.schema)
                )
            )
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(database), sql.Identifier(role.role)
                )
            )
            if service in SCHEMA_CREATORS:
                conn.execute(
                    sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                        sql.Identifier(database), sql.Identifier(role.role)
                    )
                )
            urls[service] = service_url(admin_url, role)
    return urls
