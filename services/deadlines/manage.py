"""Deadlines' console commands, run as deadlines' own database role; each action is in the
audit trail under the OS account that ran it.

- ``create-officer USERNAME UNIT_CODE [--name NAME] [--role ROLE …]`` (roles:
  duty_officer, the default, unit_head, leader, staff_entry, inspector). The password comes
  from ``OFFICER_PASSWORD`` (the local stack sets it) or is generated and printed once.
- ``unlock USERNAME`` or ``unlock --address IP``: lift a sign-in lockout before its time.
- ``revoke-sessions USERNAME``: end every session of the officer at once.
- ``verify-audit``: check the audit trail's hash chain; names the first broken entry.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

import psycopg

from motcua.audit import Action, ActorKind, console_actor, record, verify_audit_command
from motcua.db import console_database_url
from motcua.identity import Role, parse_roles
from services.deadlines.officers import register_officer, unit_path_of
from services.deadlines.settings import DeadlinesSettings
from services.deadlines.signin_guard import revoke, unlock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.deadlines.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-officer", help="create or reset an officer")
    create.add_argument("username")
    create.add_argument("unit_code", help="the root of the unit subtree the officer watches")
    create.add_argument("--name", default=None, help="display name")
    create.add_argument(
        "--role",
        action="append",
        choices=[role.value for role in Role],
        help="a role the officer holds (repeat for several; default duty_officer)",
    )
    unlocking = commands.add_parser("unlock", help="lift a sign-in lockout")
    whom = unlocking.add_mutually_exclusive_group(required=True)
    whom.add_argument("username", nargs="?", help="the account to unlock")
    whom.add_argument("--address", help="the client address to unlock")
    revoking = commands.add_parser("revoke-sessions", help="end every session of an officer")
    revoking.add_argument("username")
    commands.add_parser("verify-audit", help="check the audit trail's hash chain")
    return parser


def _create_officer(args: argparse.Namespace, url: str) -> int:
    password = os.environ.get("OFFICER_PASSWORD") or secrets.token_urlsafe(12)
    with psycopg.connect(url) as conn, conn.transaction():
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
        record(
            Action(
                actor=console_actor(),
                actor_kind=ActorKind.ADMIN,
                action="officer.registered",
                record_type="officer",
                record_id=officer.username,
                unit_path=unit_path_of(officer.unit_code, db_session=conn),
                details={"unit_code": officer.unit_code, "roles": sorted(officer.roles)},
            ),
            db_session=conn,
        )
    shown = password if "OFFICER_PASSWORD" not in os.environ else "(from OFFICER_PASSWORD)"
    roles = ", ".join(sorted(officer.roles))
    print(f"officer {officer.username} ({roles}) sees {officer.unit_code}; password {shown}")
    return 0


def _unlock(args: argparse.Namespace, url: str) -> int:
    with psycopg.connect(url) as conn:
        forgotten = unlock(username=args.username, address=args.address, db_session=conn)
    print(f"unlocked {args.username or args.address}: {forgotten} failed sign-ins forgotten")
    return 0


def _revoke_sessions(args: argparse.Namespace, url: str) -> int:
    with psycopg.connect(url) as conn:
        ended = revoke(args.username, db_session=conn)
    print(f"{args.username}: {ended} sessions ended")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = console_database_url("deadlines", DeadlinesSettings().database_url)
    if url is None:
        return 2
    if args.command == "verify-audit":
        return verify_audit_command("deadlines", url)
    commands = {
        "create-officer": _create_officer,
        "unlock": _unlock,
        "revoke-sessions": _revoke_sessions,
    }
    return commands[args.command](args, url)


if __name__ == "__main__":
    sys.exit(main())
