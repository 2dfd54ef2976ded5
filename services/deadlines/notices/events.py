"""The ``apology delivery updated`` event: where one notice of a letter stands. Pure.

Staged in deadlines' outbox by whatever moves a notice (the sender, a receipt, the print
batch marked posted), in the same transaction, on ``motcua.apology-deliveries``. Its id
is derived from the notice and its state, so a state is published once whoever writes it
twice. No contact data: the channel's name, never its destination.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from motcua.contracts import EventType, format_instant, new_event
from motcua.delivery import DeliveryState
from motcua.dossier import LOCAL_ZONE

NOTICE_EVENT_NAMESPACE = uuid.UUID("5d0b7f1e-9c2a-4e63-8f4d-6e6f74696365")
SOURCE = "/motcua/deadlines"


@dataclass(frozen=True)
class NoticeFacts:
    """What the event says of the notice's letter and dossier (read with the notice)."""

    dossier_id: str
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    episode: int
    letter_number: str
    letter_version: int
    apology_deadline: datetime


def _local(instant: datetime) -> str:
    return format_instant(instant.astimezone(LOCAL_ZONE))


def notice_event(
    facts: NoticeFacts,
    *,
    message_id: str,
    channel: str,
    state: DeliveryState,
    occurred_at: datetime,
    sent_at: datetime | None = None,
    reason: str | None = None,
    fallback_channel: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dossier_id": facts.dossier_id,
        "dossier_code": facts.dossier_code,
        "unit_code": facts.unit_code,
        "unit_path": list(facts.unit_path),
        "procedure_code": facts.procedure_code,
        "episode": facts.episode,
        "letter_number": facts.letter_number,
        "letter_version": facts.letter_version,
        "message_id": message_id,
        "channel": channel,
        "state": state.value,
        "apology_deadline": _local(facts.apology_deadline),
        "occurred_at": _local(occurred_at),
    }
    if sent_at is not None:
        data["sent_at"] = _local(sent_at)
    if reason:
        data["reason"] = reason[:500]
    if fallback_channel:
        data["fallback_channel"] = fallback_channel
    return new_event(
        EventType.APOLOGY_DELIVERY_UPDATED,
        source=SOURCE,
        subject=facts.dossier_id,
        time=occurred_at,
        event_id=str(uuid.uuid5(NOTICE_EVENT_NAMESPACE, f"{message_id}:{state.value}")),
        data=data,
    )
