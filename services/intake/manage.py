"""``python -m services.intake.manage``: seed reference data, register upstream systems.

    python -m services.intake.manage seed
    python -m services.intake.manage register-system NAME UNIT_CODE [--scope admin ...]

``register-system`` prints the new API key once; set ``API_KEY`` to choose it (the local
stack does, so re-running ``make up`` keeps the demo keys stable). It runs as intake's own
role (``DATABASE_URL``, or ``INTAKE_DATABASE_URL`` after ``. .stack/env``) and refuses any
other, saying which variable to set.
"""

from __future__ import annotations

import argparse
import os
import sys

import psycopg

from motcua.db import NotTheServiceRole, apply_migrations, migrations_dir, own_database_url
from services.intake.auth import Scope, register_system
from services.intake.reference.service import seed_reference_data
from services.intake.settings import IntakeSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.intake.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed", help="apply migrations and load the unit tree and procedures")
    register = commands.add_parser("register-system", help="create or re-key an upstream system")
    register.add_argument("name")
    register.add_argument("unit_code", help="the root of the unit subtree it may write for")
    register.add_argument(
        "--scope", action="append", choices=[s.value for s in Scope], dest="scopes"
    )
    args = parser.parse_args(argv)
    try:
        url = own_database_url("intake", IntakeSettings().database_url)
    except NotTheServiceRole as exc:
        print(f"intake.manage: {exc}", file=sys.stderr)
        return 2
    apply_migrations(url, migrations_dir("intake"))
    with psycopg.connect(url) as conn:
        if args.command == "seed":
            units, procedures = seed_reference_data(db_session=conn)
            print(f"seeded {units} units and {procedures} procedures")
            return 0
        scopes = [Scope(s) for s in args.scopes or [Scope.WRITE.value, Scope.READ.value]]
        unit = conn.execute("SELECT 1 FROM units WHERE code = %s", (args.unit_code,)).fetchone()
        if unit is None:
            print(f"no unit has code {args.unit_code}; run `seed` first", file=sys.stderr)
            return 2
        system_id, api_key = register_system(
            args.name, args.unit_code, scopes, db_session=conn, api_key=os.environ.get("API_KEY")
        )
    print(f"system {args.name} ({system_id}) for {args.unit_code}: API key {api_key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
