"""``python -m services.deadlines.manage create-officer USERNAME UNIT_CODE [--name NAME]
[--role ROLE …]`` (roles: duty_officer, the default, unit_head, leader, staff_entry).

The password comes from ``OFFICER_PASSWORD`` (the local stack sets it) or is generated and
printed once.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

import psycopg

from motcua.db import NotTheServiceRole, apply_migrations, migrations_dir, own_database_url
from motcua.identity import Role, parse_roles
from services.deadlines.officers import register_officer
from services.deadlines.settings import DeadlinesSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.deadlines.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-officer", help="create or reset a duty officer")
    create.add_argument("username")
    create.add_argument("unit_code", help="the root of the unit subtree the officer watches")
    create.add_argument("--name", default=None, help="display name")
    create.add_argument(
        "--role",
        action="append",
        choices=[role.value for role in Role],
        help="a role the officer holds (repeat for several; default duty_officer)",
    )
    args = parser.parse_args(argv)
    try:
        url = own_database_url("deadlines", DeadlinesSettings().database_url)
    except NotTheServiceRole as exc:
        print(f"deadlines.manage: {exc}", file=sys.stderr)
        return 2
    apply_migrations(url, migrations_dir("deadlines"))
    password = os.environ.get("OFFICER_PASSWORD") or secrets.token_urlsafe(12)
    with psycopg.connect(url) as conn:
        try:
            officer = register_officer(
                args.username,
                args.name or args.username,
                args.unit_code,
                password,
                roles=parse_roles(args.role or [Role.DUTY_OFFICER]),
                db_session=conn,
            )
        except ValueError as exc:
            print(f"create-officer: {exc}", file=sys.stderr)
            return 2
    shown = password if "OFFICER_PASSWORD" not in os.environ else "(from OFFICER_PASSWORD)"
    roles = ", ".join(sorted(officer.roles))
    print(f"officer {officer.username} ({roles}) sees {officer.unit_code}; password {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
