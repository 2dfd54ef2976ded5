"""``python -m services.intake.manage import-units FILE``: load a department's unit list
(the Ministry's official one, say) into the tree, all or nothing (docs/units.md).

The file is checked whole against the stored tree (services/intake/reference/unit_list.py)
while the table is locked against another import; on any error nothing is written and the
command exits 2. Otherwise one transaction writes the changed units and the new paths of
every unit under a moved one, and one audit entry counts what changed. Importing the same
file again writes nothing at all.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from psycopg import Connection

from motcua.audit import Action, ActorKind, console_actor, record
from motcua.dossier import LOCAL_ZONE
from services.intake.reference.models import Unit
from services.intake.reference.unit_list import UnitListRefused, UnitPlan, plan_import

_STORED = (
    "SELECT code, parent_code, name, level, address, head_title, public_phone, "
    "successor_code, retired_on, path FROM units"
)


def _stored(conn: Connection) -> tuple[dict[str, Unit], dict[str, tuple[str, ...]]]:
    units: dict[str, Unit] = {}
    paths: dict[str, tuple[str, ...]] = {}
    for row in conn.execute(_STORED):
        code, parent, name, level, address, head, phone, successor, retired_on, path = row
        units[code] = Unit.model_construct(
            code=code,
            parent=parent,
            name=name,
            level=level,
            address=address,
            head_title=head,
            public_phone=phone,
            successor=successor,
            retired_on=retired_on,
        )
        paths[code] = tuple(path)
    return units, paths


def _write(plan: UnitPlan, conn: Connection) -> None:
    """The changed units, parents first (with the head title and phone the plan kept when
    the file has no column for them), then the paths of the units under a moved one."""
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO units (code, parent_code, name, level, address, head_title, "
            "public_phone, successor_code, retired_on, path) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (code) DO UPDATE SET parent_code = EXCLUDED.parent_code, "
            "name = EXCLUDED.name, level = EXCLUDED.level, address = EXCLUDED.address, "
            "head_title = EXCLUDED.head_title, public_phone = EXCLUDED.public_phone, "
            "successor_code = EXCLUDED.successor_code, retired_on = EXCLUDED.retired_on, "
            "path = EXCLUDED.path",
            [
                (
                    unit.code,
                    unit.parent,
                    unit.name,
                    unit.level.value,
                    unit.address,
                    unit.head_title,
                    unit.public_phone,
                    unit.successor,
                    unit.retired_on,
                    list(path),
                )
                for unit, path in plan.writes
            ],
        )
        cursor.executemany(
            "UPDATE units SET path = %s WHERE code = %s",
            [(list(path), code) for code, path in plan.paths.items()],
        )


def _report(plan: UnitPlan) -> None:
    for unit in plan.added:
        print(f"added    {unit.code} {unit.name}")
    for unit, former in plan.renamed:
        print(f"renamed  {unit.code} {former} -> {unit.name}")
    for unit, parent in plan.moved:
        print(f"moved    {unit.code} from {parent} to {unit.parent}")
    for unit in plan.retired:
        print(f"retired  {unit.code} on {unit.retired_on}, successor {unit.successor}")
    for unit in plan.updated:
        print(f"updated  {unit.code}")
    counts = ", ".join(f"{count} {kind}" for kind, count in plan.counts().items())
    print(f"{counts}; {len(plan.paths)} paths of units under a moved one recomputed")


def import_units(args: argparse.Namespace, conn: Connection) -> int:
    """Check the file whole; write it in this transaction only when it has no error."""
    source = Path(args.file)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{source}: cannot be read as UTF-8 text: {exc}", file=sys.stderr)
        return 2
    conn.execute("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE")
    stored, paths = _stored(conn)
    today = datetime.now(LOCAL_ZONE).date()
    try:
        plan = plan_import(text, today=today, stored=stored, stored_paths=paths)
    except UnitListRefused as refused:
        for error in refused.errors:
            print(f"{source}: {error}", file=sys.stderr)
        print(f"{len(refused.errors)} errors; nothing imported", file=sys.stderr)
        return 2
    if plan.changes_anything:
        _write(plan, conn)
        details = {**plan.counts(), "source": source.name}
        action = Action(console_actor(), ActorKind.ADMIN, "unit.changed", "unit", details=details)
        record(action, db_session=conn)
    _report(plan)
    return 0
