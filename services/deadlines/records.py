"""Clocks as table records and alerts as CloudEvents: the deadlines service's wire formats."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from motcua.contracts import format_instant, new_event, parse_instant
from services.deadlines.tracking import Alert, AlertKind, DossierClock

SOURCE = "/motcua/deadlines"
_INSTANTS = ("due_at", "original_due_at", "supplement_since")


def clock_to_record(clock: DossierClock) -> dict[str, Any]:
    # A shallow copy: ``asdict`` deep-copies every datetime, 8× the cost on every write.
    record = {field.name: getattr(clock, field.name) for field in fields(clock)}
    for name in _INSTANTS:
        record[name] = format_instant(record[name]) if record[name] else None
    record["unit_path"] = list(clock.unit_path)
    record["emitted"] = sorted(clock.emitted)
    record["supplement_waiting"] = clock.supplement_waiting.total_seconds()
    return record


def clock_from_record(record: dict[str, Any] | None) -> DossierClock | None:
    if record is None:
        return None
    values = dict(record)
    for name in _INSTANTS:
        values[name] = parse_instant(values[name]) if values[name] else None
    values["unit_path"] = tuple(values["unit_path"])
    values["emitted"] = frozenset(values["emitted"])
    values["supplement_waiting"] = timedelta(seconds=values["supplement_waiting"])
    return DossierClock(**values)


def alert_event(alert: Alert, clock: DossierClock, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dossier_id": clock.dossier_id,
        "dossier_code": clock.dossier_code,
        "unit_code": clock.unit_code,
        "unit_path": list(clock.unit_path),
        "procedure_code": clock.procedure_code,
        "due_at": format_instant(alert.due_at),
        "episode": alert.episode,
    }
    if alert.kind is AlertKind.OVERDUE:
        data["rescheduled"] = alert.rescheduled
    if alert.kind is AlertKind.RESOLVED_LATE:
        assert alert.completed_at is not None
        data["completed_at"] = format_instant(alert.completed_at)
        data["late_working_days"] = alert.late_working_days or 0
        if alert.portal_late is not None:
            data["portal_late"] = alert.portal_late
    return new_event(
        alert.kind.event_type,
        source=SOURCE,
        subject=clock.dossier_id,
        data=data,
        time=alert.completed_at or now,
        event_id=alert.event_id,
    )
