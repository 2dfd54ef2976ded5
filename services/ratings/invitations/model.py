"""A closed dossier becomes one rating invitation. Pure: what the invitation says, which
channel carries it, and the event that announces it, without any I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from motcua.contracts import EventType, format_instant
from services.ratings.invitations.tokens import hash_token

OUTCOMES = {EventType.DOSSIER_RETURNED: "returned", EventType.DOSSIER_REJECTED: "rejected"}
"""The events that invite: a result handed over (any channel), and a refusal (rated too)."""

MESSAGE_CHANNELS = frozenset({"sms", "email", "zalo"})
QR = "qr"


def channel_for(contact_preference: str) -> str:
    """The channel follows the applicant's preference; a phone call, a letter or no
    contact at all leaves the QR code on the hand-over slip and at the counter."""
    return contact_preference if contact_preference in MESSAGE_CHANNELS else QR


@dataclass(frozen=True)
class ClosedDossier:
    """What a returned or rejected event tells ratings (no personal data)."""

    dossier_id: str
    dossier_code: str
    unit_code: str
    unit_path: tuple[str, ...]
    procedure_code: str
    outcome: str
    contact_preference: str
    online: bool

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ClosedDossier | None:
        """The dossier of an already validated event, or None for an event that invites
        no one (every other dossier event)."""
        outcome = OUTCOMES.get(EventType(event["type"]))
        if outcome is None:
            return None
        data = event["data"]
        return cls(
            dossier_id=data["dossier_id"],
            dossier_code=data["dossier_code"],
            unit_code=data["unit_code"],
            unit_path=tuple(data["unit_path"]),
            procedure_code=data["procedure_code"],
            outcome=outcome,
            contact_preference=data["contact_preference"],
            online=data["received_channel"] == "online",
        )

    @property
    def channel(self) -> str:
        return channel_for(self.contact_preference)


@dataclass(frozen=True)
class NewInvitation:
    """An invitation as it is created: ``token`` exists in clear only here, in the sealed
    copy the sender opens, and in the link it sends."""

    id: str
    dossier: ClosedDossier
    token: str
    token_sha256: bytes
    created_at: datetime
    expires_at: datetime

    @property
    def channels(self) -> list[str]:
        """Every way the citizen can reach the form: the message's channel, and the QR
        code the slip always carries."""
        return [self.dossier.channel, QR] if self.dossier.channel != QR else [QR]

    def event_data(self) -> dict[str, Any]:
        """``rating.invited`` (no token: it stays in ratings)."""
        return {
            "invitation_id": self.id,
            "dossier_id": self.dossier.dossier_id,
            "dossier_code": self.dossier.dossier_code,
            "unit_code": self.dossier.unit_code,
            "unit_path": list(self.dossier.unit_path),
            "procedure_code": self.dossier.procedure_code,
            "channels": self.channels,
            "expires_at": format_instant(self.expires_at),
        }


def new_invitation(
    dossier: ClosedDossier, *, invitation_id: str, token: str, now: datetime, lifetime_days: int
) -> NewInvitation:
    return NewInvitation(
        id=invitation_id,
        dossier=dossier,
        token=token,
        token_sha256=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=lifetime_days),
    )
