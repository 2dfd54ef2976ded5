"""Reference data in intake's tables: the unit tree and the procedure catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from services.intake.reference.models import Procedure, Unit
from services.intake.reference.national import iter_national_units
from services.intake.reference.seed import load_procedures, load_units, unit_paths


def upsert_units(units: Iterable[Unit], *, db_session: Connection) -> int:
    """Insert or update units; parents must come before their children."""
    units = list(units)
    existing = {
        code: tuple(path)
        for code, path in db_session.execute("SELECT code, path FROM units").fetchall()
    }
    paths = unit_paths(units, known=existing)
    with db_session.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO units (code, parent_code, name, level, address, head_title, "
            "public_phone, successor_code, retired_on, path) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (code) DO UPDATE SET "
            "parent_code = EXCLUDED.parent_code, name = EXCLUDED.name, level = EXCLUDED.level, "
            "address = EXCLUDED.address, head_title = EXCLUDED.head_title, "
            "public_phone = EXCLUDED.public_phone, successor_code = EXCLUDED.successor_code, "
            "retired_on = EXCLUDED.retired_on, path = EXCLUDED.path",
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
                    list(paths[unit.code]),
                )
                for unit in units
            ],
        )
    return len(units)


def upsert_procedure(procedure: Procedure, *, db_session: Connection) -> dict[str, Any]:
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            "INSERT INTO procedures (code, name, field, processing_amount, processing_unit, "
            "online_level, result_channels, pause_policy, basis, unconfirmed) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO UPDATE SET "
            "name = EXCLUDED.name, field = EXCLUDED.field, "
            "processing_amount = EXCLUDED.processing_amount, "
            "processing_unit = EXCLUDED.processing_unit, online_level = EXCLUDED.online_level, "
            "result_channels = EXCLUDED.result_channels, pause_policy = EXCLUDED.pause_policy, "
            "basis = EXCLUDED.basis, unconfirmed = EXCLUDED.unconfirmed, active = true, "
            "version = procedures.version + 1, updated_at = now() "
            "RETURNING *",
            (
                procedure.code,
                procedure.name,
                procedure.field.value,
                procedure.processing_time.amount,
                procedure.processing_time.unit,
                procedure.online_level.value,
                [c.value for c in procedure.result_channels],
                procedure.pause_policy.value,
                procedure.basis,
                procedure.unconfirmed,
            ),
        ).fetchone()
    assert row is not None
    return row


def list_procedures(*, db_session: Connection) -> list[dict[str, Any]]:
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("SELECT * FROM procedures ORDER BY code").fetchall()


def list_units(
    root: str,
    *,
    limit: int,
    after: str | None,
    include_retired: bool,
    today: date,
    db_session: Connection,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of ``root``'s subtree by code (keyset: codes after ``after``), and whether
    more remain; a unit retired on or before ``today`` is left out unless asked for.
    ``today`` is Vietnam's date, not the database's: a retirement takes effect at local
    midnight, seven hours before UTC's (the rule intake's doors apply, ``unit_accepts``)."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(
            "SELECT code, parent_code, name, level, address, head_title, public_phone, path, "
            "successor_code AS successor, retired_on FROM units "
            "WHERE path @> ARRAY[%s]::text[] AND code > %s "
            "AND (%s OR retired_on IS NULL OR retired_on > %s) "
            "ORDER BY code LIMIT %s",
            (root, after or "", include_retired, today, limit + 1),
        ).fetchall()
    return rows[:limit], len(rows) > limit


def seed_reference_data(*, db_session: Connection) -> tuple[int, int]:
    """Load the versioned seed files and the national tree; safe to run again (an upsert)."""
    units = upsert_units([*load_units(), *iter_national_units()], db_session=db_session)
    procedures = load_procedures()
    for procedure in procedures:
        upsert_procedure(procedure, db_session=db_session)
    return units, len(procedures)
