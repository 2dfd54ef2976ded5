"""Ratings' audit trail (``motcua.audit``): the officers' kiosk, paper and phone entries,
the follow-ups heads close, and the portal keys registered and revoked (``systems.py``),
each written in the transaction of what it records; read by inspectors at ``/staff/audit``
and ``GET /v1/audit``.

An entry names the dossier by its code and the unit by its path; its details are codes,
flags and counts only — never the citizen's phone, name or comment, nor the head's
free-text account of what was done.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection

from motcua.audit import Action, ActorKind, record
from motcua.identity import Officer
from services.ratings.followups.service import Followup
from services.ratings.models import Recorded


def record_entry(
    officer: Officer, recorded: Recorded, address: str, *, db_session: Connection
) -> None:
    """``rating.kiosk``, ``rating.paper`` or ``rating.phone``: who entered which dossier's
    answer, and whether it counts (not what it says)."""
    entry = recorded.entry
    details: dict[str, Any] = {
        "rating_id": str(recorded.rating_id),
        "valid": entry.valid,
        "staff_present": entry.staff_present,
        "followup_opened": recorded.followup_id is not None,
    }
    if entry.invalid_reason is not None:
        details["invalid_reason"] = entry.invalid_reason.value
    if entry.paper_serial:
        details["paper_serial"] = entry.paper_serial
    record(
        Action(
            actor=officer.username,
            actor_kind=ActorKind.OFFICER,
            action=f"rating.{entry.channel.value}",
            record_type="dossier",
            record_id=recorded.invitation.dossier_code,
            unit_path=recorded.invitation.unit_path,
            address=address,
            details=details,
        ),
        db_session=db_session,
    )


def record_followup_closed(
    officer: Officer, followup: Followup, address: str, *, db_session: Connection
) -> None:
    """``followup.closed``: which follow-up of which dossier, and whether on time."""
    row = db_session.execute(
        "SELECT unit_path FROM rating_followups WHERE id = %s", (followup.id,)
    ).fetchone()
    assert row is not None, "the follow-up was just closed in this transaction"
    closed_at = followup.closed_at
    record(
        Action(
            actor=officer.username,
            actor_kind=ActorKind.OFFICER,
            action="followup.closed",
            record_type="dossier",
            record_id=followup.dossier_code,
            unit_path=tuple(row[0]),
            address=address,
            details={
                "followup_id": str(followup.id),
                "rating_id": str(followup.rating_id),
                "reasons": list(followup.reasons),
                "on_time": closed_at is not None and closed_at <= followup.due_at,
            },
        ),
        db_session=db_session,
    )
