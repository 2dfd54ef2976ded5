"""What intake answers when it refuses a command, whatever door the command came through."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from motcua.dossier import local_instant


class IntakeError(Exception):
    """A command intake refuses; ``status`` follows HTTP so every door reports it alike."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    @property
    def reason(self) -> str:
        """A short machine-readable reason, for metrics and dead-letter records."""
        return str(self.extra.get("reason", self.title.lower().replace(" ", "_")))


def unknown_reference(field_name: str, detail: str) -> IntakeError:
    return IntakeError(
        422,
        "Unknown reference",
        detail,
        errors=[{"field": field_name, "message": detail}],
        reason=f"unknown_{field_name}",
    )


def retired_unit(code: str, retired_on: date, successor: str | None) -> IntakeError:
    """A merger or rename retired the unit: new work goes to its successor (docs/units.md)."""
    heir = f"; its work goes to {successor}" if successor else ""
    detail = f"unit {code} was retired on {retired_on.isoformat()}{heir}"
    return IntakeError(
        422,
        "Retired unit",
        detail,
        errors=[{"field": "unit_code", "message": detail}],
        successor=successor,
        reason="retired_unit_code",
    )


def no_such_dossier(code: str) -> IntakeError:
    """Also the answer for a dossier outside the caller's subtree: its existence is not
    the caller's to learn, for a read or a write alike."""
    return IntakeError(404, "No such dossier", f"no dossier has code {code}", reason="not_found")


def out_of_order(at: datetime, last_event_at: datetime) -> IntakeError:
    """Time moves forward: a dossier's events happen in the order intake records them.
    Both instants are given in local time, as the desk wrote them."""
    occurred, last = local_instant(at), local_instant(last_event_at)
    return IntakeError(
        409,
        "Event out of order",
        f"occurred_at {occurred} is before the dossier's last recorded event at {last}",
        occurred_at=occurred,
        last_event_at=last,
        reason="out_of_order",
    )
