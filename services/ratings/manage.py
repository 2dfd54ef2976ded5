"""``python -m services.ratings.manage``: the console's work on ratings.

    python -m services.ratings.manage create-key NAME [--per-minute N]
    python -m services.ratings.manage revoke-key NAME
    python -m services.ratings.manage verify-audit

``create-key`` makes (or replaces) the API key of a system posting citizens' answers — the
national portal, VNeID — and prints it once; ``--per-minute`` gives it its own quota
instead of ``PORTAL_QUOTA_PER_MINUTE``. ``revoke-key`` stops it (within the 30 s the
service caches a key). Both are audit entries naming the OS user who ran them.
``verify-audit`` checks the audit log's hash chain: 0 intact, 1 naming the first broken
entry. Each runs as ratings' own role (``DATABASE_URL``, or ``RATINGS_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from motcua.audit import console_actor, verify_audit_command
from motcua.db import console_database_url
from services.ratings.settings import RatingsSettings
from services.ratings.systems import register_key, revoke_key


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.ratings.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-key", help="an API key for a portal system")
    create.add_argument("name", help="the system's name: lower case, digits, '.', '_', '-'")
    create.add_argument(
        "--per-minute", type=int, default=None, help="its own quota of ratings a minute"
    )
    revoke = commands.add_parser("revoke-key", help="stop a portal system's key")
    revoke.add_argument("name")
    commands.add_parser("verify-audit", help="check the audit log's hash chain")
    return parser


def _keys(args: argparse.Namespace, url: str) -> int:
    with psycopg.connect(url) as conn:
        if args.command == "revoke-key":
            if not revoke_key(args.name, actor=console_actor(), db_session=conn):
                print(f"no key of {args.name} is in use", file=sys.stderr)
                return 1
            print(f"revoked the key of {args.name}")
            return 0
        try:
            api_key = register_key(
                args.name, args.per_minute, actor=console_actor(), db_session=conn
            )
        except ValueError as exc:
            print(f"create-key: {exc}", file=sys.stderr)
            return 2
    print(f"key of {args.name}: {api_key}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = console_database_url("ratings", RatingsSettings().database_url)
    if url is None:
        return 2
    if args.command == "verify-audit":
        return verify_audit_command("ratings", url)
    return _keys(args, url)


if __name__ == "__main__":
    sys.exit(main())
