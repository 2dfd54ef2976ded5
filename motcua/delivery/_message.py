"""What a channel sends: one message to one citizen, whatever service wrote it. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """A file an e-mail carries (the apology letter's PDF); the other channels send its
    message's link instead."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Message:
    """One message to one citizen; the destination is added by the channel at send time,
    so the message itself never holds a contact."""

    reference: str
    """The id of the row in the sending service's own table (the gateways echo it back)."""
    dossier_code: str
    channel: str
    kind: str
    link: str
    subject: str | None
    text: str
    attachment: Attachment | None = None
