"""``python -m services.intake.manage``: seed reference data, register and revoke upstream
systems, anonymise applicants past retention, check the audit trail.

    python -m services.intake.manage seed
    python -m services.intake.manage register-system NAME UNIT_CODE [--scope admin ...]
    python -m services.intake.manage revoke-system NAME
    python -m services.intake.manage anonymise [--dry-run]
    python -m services.intake.manage verify-audit
    python -m services.intake.manage import-dossiers FILE [--errors PATH] [--batch N] [--quiet]

``register-system`` prints the new API key once; set ``API_KEY`` to choose it (the local
stack does, so re-running ``make up`` keeps the demo keys stable). It runs as intake's own
role (``DATABASE_URL``, or ``INTAKE_DATABASE_URL`` after ``. .stack/env``) and refuses any
other, saying which variable to set. What each command changes is recorded in the audit
trail, with the console's user as the actor.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import psycopg

from motcua.audit import Action, ActorKind, console_actor, record, verify_audit_command
from motcua.db import console_database_url
from services.intake.auth import Scope, register_system, revoke_system
from services.intake.history.run import add_arguments, import_dossiers
from services.intake.personal.anonymise import anonymise_past_retention
from services.intake.personal.retention import RetentionPolicy
from services.intake.reference.service import seed_reference_data
from services.intake.settings import IntakeSettings


def _admin(action: str, record_type: str = "", record_id: str = "", **details: object) -> Action:
    return Action(console_actor(), ActorKind.ADMIN, action, record_type, record_id, details=details)


def _seed(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    units, procedures = seed_reference_data(db_session=conn)
    record(_admin("unit.changed", "unit", units=units, source="seed"), db_session=conn)
    record(
        _admin("procedure.changed", "procedure", procedures=procedures, source="seed"),
        db_session=conn,
    )
    print(f"seeded {units} units and {procedures} procedures")
    return 0


def _register(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    scopes = [Scope(s) for s in args.scopes or [Scope.WRITE.value, Scope.READ.value]]
    unit = conn.execute("SELECT 1 FROM units WHERE code = %s", (args.unit_code,)).fetchone()
    if unit is None:
        print(f"no unit has code {args.unit_code}; run `seed` first", file=sys.stderr)
        return 2
    system_id, api_key = register_system(
        args.name, args.unit_code, scopes, db_session=conn, api_key=os.environ.get("API_KEY")
    )
    scope_names = sorted(s.value for s in scopes)
    action = _admin("key.registered", "system", args.name, unit=args.unit_code, scopes=scope_names)
    record(action, db_session=conn)
    print(f"system {args.name} ({system_id}) for {args.unit_code}: API key {api_key}")
    return 0


def _revoke(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    if not revoke_system(args.name, db_session=conn):
        print(f"no system named {args.name} has a key in force", file=sys.stderr)
        return 2
    record(_admin("key.revoked", "system", args.name), db_session=conn)
    print(f"system {args.name}: key revoked")
    return 0


def _anonymise(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    settings = IntakeSettings()
    if settings.subject_hash_key is None:
        print("set SUBJECT_HASH_KEY: legal holds are found by it", file=sys.stderr)
        return 2
    report = anonymise_past_retention(
        RetentionPolicy.of(settings),
        settings.subject_hash_key.get_secret_value().encode(),
        actor=console_actor(),
        actor_kind=ActorKind.ADMIN,
        dry_run=args.dry_run,
        db_session=conn,
    )
    if not report.ran:
        print("another intake process is anonymising now; nothing done", file=sys.stderr)
        return 1
    verb = "would anonymise" if report.dry_run else "anonymised"
    print(
        f"{report.subjects} people past retention, {report.held} of them on legal hold; "
        f"{verb} {report.applicants} applicant records"
    )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, psycopg.Connection], int]] = {
    "seed": _seed,
    "register-system": _register,
    "revoke-system": _revoke,
    "anonymise": _anonymise,
    "import-dossiers": import_dossiers,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.intake.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed", help="apply migrations and load the unit tree and procedures")
    register = commands.add_parser("register-system", help="create or re-key an upstream system")
    register.add_argument("name")
    register.add_argument("unit_code", help="the root of the unit subtree it may write for")
    register.add_argument(
        "--scope", action="append", choices=[s.value for s in Scope], dest="scopes"
    )
    revoke = commands.add_parser("revoke-system", help="disable an upstream system's key")
    revoke.add_argument("name")
    anonymise = commands.add_parser(
        "anonymise", help="anonymise applicants every dossier of whom is past retention"
    )
    anonymise.add_argument("--dry-run", action="store_true", help="count only; change nothing")
    commands.add_parser("verify-audit", help="check the audit trail's hash chain")
    add_arguments(commands.add_parser("import-dossiers", help="bring dossiers' history across"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = console_database_url("intake", IntakeSettings().database_url)
    if url is None:
        return 2
    if args.command == "verify-audit":
        return verify_audit_command("intake", url)
    with psycopg.connect(url) as conn:
        return COMMANDS[args.command](args, conn)


if __name__ == "__main__":
    sys.exit(main())
