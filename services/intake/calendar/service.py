"""Calendar overrides in intake's schema (the system of record) and on the outbox.

Each change writes the table row and an ``override changed`` event in one transaction, so
the event is published if and only if the change committed. Every process (this one's
other workers, the Kafka door, deadlines) applies it from the compacted topic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.audit import Action, ActorKind, record
from motcua.calendar import (
    CalendarOverride,
    OverrideKind,
    WorkingCalendar,
    override_problems,
    overrides_from,
)
from motcua.calendar_feed import IN_FORCE, WITHDRAWN
from motcua.contracts import EventType, new_event
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.intake.auth import Principal

SOURCE = "/motcua/intake"
# Serialises every calendar write: they are rare, and each validates against the others.
_WRITE_LOCK = 0x63616C64  # "cald"
_COLUMNS = "day, kind, legal_basis, note, revision, updated_at, withdrawn_at"


class OverrideRefused(Exception):
    """An announcement that cannot be recorded: ``problems`` maps field to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": row["day"].isoformat(),
        "kind": row["kind"],
        "legal_basis": row["legal_basis"],
        "note": row["note"],
        "revision": row["revision"],
        "status": WITHDRAWN if row["withdrawn_at"] else IN_FORCE,
        "updated_at": row["updated_at"].isoformat(),
    }


def list_overrides(*, db_session: Connection) -> list[dict[str, Any]]:
    """The announcements in force, by date."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM calendar_overrides WHERE withdrawn_at IS NULL ORDER BY day"
        ).fetchall()
    return [_view(row) for row in rows]


def in_force(*, db_session: Connection, except_day: date | None = None) -> list[CalendarOverride]:
    rows = db_session.execute(
        "SELECT day, kind, legal_basis, note FROM calendar_overrides "
        "WHERE withdrawn_at IS NULL AND day IS DISTINCT FROM %s",
        (except_day,),
    ).fetchall()
    return [
        CalendarOverride(day, OverrideKind(kind), basis, note) for day, kind, basis, note in rows
    ]


def _current(day: date, *, db_session: Connection) -> dict[str, Any] | None:
    with db_session.cursor(row_factory=dict_row) as cur:
        row: dict[str, Any] | None = cur.execute(
            f"SELECT {_COLUMNS} FROM calendar_overrides WHERE day = %s", (day,)
        ).fetchone()
    return row


def _publish(
    view: dict[str, Any], principal: Principal, address: str | None, *, db_session: Connection
) -> None:
    """The change on its topic, and in the audit trail (platform-wide: every unit's dates)."""
    data = {key: view[key] for key in ("date", "status", "kind", "legal_basis", "note", "revision")}
    record(
        Action(
            principal.name,
            ActorKind.SYSTEM,
            "calendar.announced",
            record_type="calendar_day",
            record_id=view["date"],
            address=address,
            details={k: data[k] for k in ("status", "kind", "legal_basis", "revision")},
        ),
        db_session=db_session,
    )
    event = new_event(
        EventType.CALENDAR_OVERRIDE_CHANGED,
        source=SOURCE,
        subject=view["date"],
        data=data,
        time=datetime.now(UTC),
    )
    enqueue(event, topic=Topic.CALENDAR_OVERRIDES.value, key=view["date"], db_session=db_session)


def set_override(
    override: CalendarOverride,
    principal: Principal,
    *,
    base: WorkingCalendar,
    address: str | None = None,
    db_session: Connection,
) -> tuple[dict[str, Any], bool]:
    """Record (or re-record) one date's announcement; the stored view, and whether it is new.

    ``base`` gives the hours and zone; the other dates' announcements come from the table,
    so the check does not depend on how far this process's feed has got. Recording the
    same announcement again changes nothing and publishes nothing.
    """
    with db_session.transaction():
        db_session.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        others = overrides_from(in_force(db_session=db_session, except_day=override.day))
        problems = override_problems(override, WorkingCalendar(base.hours, others, base.zone))
        if problems:
            raise OverrideRefused(problems)
        row = _current(override.day, db_session=db_session)
        if (
            row is not None
            and row["withdrawn_at"] is None
            and (row["kind"], row["legal_basis"], row["note"])
            == (override.kind.value, override.legal_basis, override.note)
        ):
            return _view(row), False
        values = (override.kind.value, override.legal_basis, override.note, principal.system_id)
        if row is None:
            db_session.execute(
                "INSERT INTO calendar_overrides (day, kind, legal_basis, note, recorded_by) "
                "VALUES (%s, %s, %s, %s, %s)",
                (override.day, *values),
            )
        else:
            db_session.execute(
                "UPDATE calendar_overrides SET kind = %s, legal_basis = %s, note = %s, "
                "recorded_by = %s, revision = revision + 1, updated_at = now(), "
                "withdrawn_at = NULL WHERE day = %s",
                (*values, override.day),
            )
        stored = _current(override.day, db_session=db_session)
        assert stored is not None
        view = _view(stored)
        _publish(view, principal, address, db_session=db_session)
        return view, row is None or row["withdrawn_at"] is not None


def withdraw_override(
    day: date, principal: Principal, *, address: str | None = None, db_session: Connection
) -> dict[str, Any] | None:
    """Withdraw the announcement in force for ``day``; None when there is none."""
    with db_session.transaction():
        db_session.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
        row = _current(day, db_session=db_session)
        if row is None or row["withdrawn_at"] is not None:
            return None
        db_session.execute(
            "UPDATE calendar_overrides SET revision = revision + 1, updated_at = now(), "
            "withdrawn_at = now(), recorded_by = %s WHERE day = %s",
            (principal.system_id, day),
        )
        stored = _current(day, db_session=db_session)
        assert stored is not None
        view = _view(stored)
        _publish(view, principal, address, db_session=db_session)
        return view
