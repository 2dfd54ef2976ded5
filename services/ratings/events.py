"""The events an answer publishes, through the outbox in the answer's own transaction: the
rating itself, and the follow-up it may open. Never the comment, never a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from motcua.contracts import EventType, new_event
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.ratings.models import Answer, Entry, Invitation

SOURCE = "/motcua/ratings"


def submitted_data(
    rating_id: UUID,
    invitation: Invitation,
    entry: Entry,
    answer: Answer | None,
    *,
    followup: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rating_id": str(rating_id),
        "dossier_id": str(invitation.dossier_id),
        "unit_code": invitation.unit_code,
        "unit_path": list(invitation.unit_path),
        "procedure_code": invitation.procedure_code,
        "channel": entry.channel.value,
        "staff_present": entry.staff_present,
        "valid": entry.valid,
        "scores": answer.scores if answer is not None and entry.valid else {},
    }
    if entry.invalid_reason is not None:
        data["invalid_reason"] = entry.invalid_reason.value
    if answer is not None and entry.valid:
        data["overall"] = answer.overall.key
    if followup:
        data["followup"] = True
    return data


def publish(
    event_type: EventType,
    data: dict[str, Any],
    *,
    at: datetime,
    db_session: Connection,
) -> str:
    """Validate against the contract and stage for ``motcua.rating-submissions``, keyed by
    the dossier, so one dossier's rating and follow-ups stay in order."""
    event = new_event(event_type, source=SOURCE, subject=data["dossier_id"], data=data, time=at)
    return enqueue(
        event, topic=Topic.RATING_SUBMISSIONS.value, key=data["dossier_id"], db_session=db_session
    )
