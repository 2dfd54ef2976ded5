"""``python -m services.reporting.manage``:

- ``rebuild [--schema NAME] [--swap]`` replays every topic reporting counts from, from the
  beginning, into a fresh schema (default ``reporting_rebuild``), and prints how long it
  took. The live figures are untouched; the leaders' closed months, the API keys and the
  catalogue names are copied over (they come from people, not from events). ``--swap``
  then makes the rebuilt schema the live one (the old one is kept, renamed) — only while
  no reporting process is connected, since a running one would keep its old tables.
- ``create-key NAME UNIT_CODE`` makes an API key for a system reading the reports of the
  unit's subtree, and prints it once; ``revoke-key NAME`` disables every key of that name.
  Both are recorded in the audit trail (``key.registered``, ``key.revoked``) with the
  console's user.
- ``verify-audit`` checks the audit trail's chain: 0 intact, 1 naming the first broken entry.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from motcua.audit import verify_audit_command
from motcua.calendar import default_calendar
from motcua.db import (
    apply_migrations,
    console_database_url,
    migrations_dir,
    open_pool,
    with_option,
)
from services.reporting import auditing
from services.reporting.access import new_api_key
from services.reporting.consumer import FactConsumer, topic_roles
from services.reporting.settings import ReportingSettings

COPIED = ("closed_periods", "api_keys", "units", "procedures", "audit_log")
"""What a rebuild keeps from the live schema: what events cannot give back (the audit
trail is copied as it is, so its chain still verifies)."""


def with_search_path(database_url: str, schema: str) -> str:
    """The connection string with ``schema`` as its only search path (libpq ``options``),
    every server and parameter it names kept."""
    return with_option(database_url, f"-csearch_path={schema}")


def rebuild(
    settings: ReportingSettings,
    schema: str,
    *,
    swap: bool,
    topics: Mapping[str, str] | None = None,
) -> int:
    """``topics``: which topics to replay, standing for which of reporting's (the tests'
    own); reporting's five by default."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        live_row = conn.execute("SELECT current_schema()").fetchone()
        live = str(live_row[0]) if live_row else "reporting"
        if schema == live:
            print(f"rebuild: {schema} is the live schema; name another", file=sys.stderr)
            return 2
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = with_search_path(settings.database_url, schema)
    apply_migrations(url, migrations_dir("reporting"))
    with psycopg.connect(url, autocommit=True) as conn:
        for table in COPIED:
            conn.execute(
                sql.SQL("INSERT INTO {} SELECT * FROM {}.{} ON CONFLICT DO NOTHING").format(
                    sql.Identifier(table), sql.Identifier(live), sql.Identifier(table)
                )
            )
    pool = open_pool(url, max_size=2)
    pool.open(wait=True)
    started = time.monotonic()
    try:
        consumer = FactConsumer(
            settings.kafka_bootstrap_servers,
            pool,
            default_calendar(),
            group_id=f"{settings.reporting_group_id}-rebuild",
            batch_size=settings.consumer_batch_size,
            topics=topics or topic_roles(settings.reporting_topic_prefix),
        )
        events = consumer.replay()
    finally:
        pool.close()
    elapsed = time.monotonic() - started
    rate = events / elapsed if elapsed > 0 else 0.0
    print(f"rebuilt {schema}: {events} events in {elapsed:.1f} s ({rate:,.0f} events/s)")
    if swap:
        return _swap(settings, live, schema)
    return 0


def _swap(settings: ReportingSettings, live: str, rebuilt: str) -> int:
    with psycopg.connect(settings.database_url) as conn:
        others_row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        if others_row and others_row[0]:
            print(
                f"rebuild --swap: {others_row[0]} other connection(s) of this role are open; "
                "stop the reporting processes first",
                file=sys.stderr,
            )
            return 3
        kept = f"{live}_before_{datetime.now(UTC):%Y%m%d%H%M%S}"
        conn.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(live), sql.Identifier(kept)
            )
        )
        conn.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(rebuilt), sql.Identifier(live)
            )
        )
    print(f"{rebuilt} is now {live}; the previous figures are kept in {kept}")
    return 0


def _keys(command: str, args: argparse.Namespace, database_url: str) -> int:
    """``create-key`` and ``revoke-key``, each recorded with the key's change."""
    with psycopg.connect(database_url) as conn:
        if command == "create-key":
            key = new_api_key(args.name, args.unit_code, db_session=conn)
            auditing.key_changed("key.registered", args.name, args.unit_code, db_session=conn)
            print(key)
            return 0
        revoked = conn.execute(
            "UPDATE api_keys SET disabled = true WHERE name = %s AND NOT disabled "
            "RETURNING unit_code",
            (args.name,),
        ).fetchall()
        for (unit_code,) in revoked:
            auditing.key_changed("key.revoked", args.name, unit_code, db_session=conn)
    if not revoked:
        print(f"revoke-key: no enabled key is named {args.name!r}", file=sys.stderr)
        return 1
    print(f"revoked {len(revoked)} key(s) named {args.name!r}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.reporting.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild_cmd = commands.add_parser("rebuild", help="replay every topic into a fresh schema")
    rebuild_cmd.add_argument("--schema", default="reporting_rebuild")
    rebuild_cmd.add_argument("--swap", action="store_true", help="make it the live schema")
    key_cmd = commands.add_parser("create-key", help="an API key for a unit subtree's reports")
    key_cmd.add_argument("name")
    key_cmd.add_argument("unit_code")
    revoke_cmd = commands.add_parser("revoke-key", help="disable every API key of a name")
    revoke_cmd.add_argument("name")
    commands.add_parser("verify-audit", help="check the audit trail's hash chain")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = ReportingSettings()
    url = console_database_url("reporting", settings.database_url)
    if url is None:
        return 2
    settings = settings.model_copy(update={"database_url": url})
    if args.command == "rebuild":
        return rebuild(settings, args.schema, swap=args.swap)
    if args.command == "verify-audit":
        return verify_audit_command("reporting", settings.database_url)
    return _keys(args.command, args, settings.database_url)


if __name__ == "__main__":
    sys.exit(main())
