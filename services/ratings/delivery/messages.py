"""What each channel says, in Vietnamese (texts in ``motcua.web.strings``). Pure."""

from __future__ import annotations

import uuid
from datetime import datetime

from motcua.delivery import Contact, Message, SmsAlphabet, sms_text
from motcua.web.strings import INVITATION_MESSAGES, local_date, sender_words

KINDS = ("invite", "reminder", "followup")

_MESSAGES = uuid.UUID("6f1d3c52-8a4e-4b7f-9c21-5e0a7d3b9f64")
"""The namespace of the messages' references (uuid5)."""


def message_id(invitation_id: str, kind: str) -> str:
    """The reference of an invitation's message of ``kind``: its own (a provider's receipt
    names one message, not the invitation), and the same if the message goes twice."""
    return str(uuid.uuid5(_MESSAGES, f"{invitation_id}/{kind}"))


def compose(
    *,
    invitation_id: str,
    dossier_code: str,
    outcome: str,
    channel: str,
    kind: str,
    link: str,
    expires_at: datetime,
    sender: Contact,
    alphabet: SmsAlphabet = "unicode",
) -> Message:
    """The message of ``kind`` on ``channel``, naming the agency and its public phone
    (from ``sender``, intake's answer) so the citizen knows who writes."""
    if kind not in KINDS:
        msg = f"unknown message kind {kind!r}"
        raise ValueError(msg)
    words = {
        "code": dossier_code,
        "link": link,
        "expires": local_date(expires_at),
        **sender_words(sender.agency, sender.agency_phone),
    }
    subject: str | None = None
    if channel == "sms":
        text = sms_text(INVITATION_MESSAGES[f"sms_{kind}"].format(**words), alphabet)
    elif channel == "email":
        subject = INVITATION_MESSAGES[f"email_subject_{kind}"].format(**words)
        outcome_line = INVITATION_MESSAGES[f"outcome_{outcome}"].format(**words)
        text = INVITATION_MESSAGES[f"email_{kind}"].format(outcome_line=outcome_line, **words)
    elif channel == "zalo":
        text = INVITATION_MESSAGES[f"zalo_{kind}"].format(**words)
    else:
        msg = f"no message for channel {channel!r}"
        raise ValueError(msg)
    reference = message_id(invitation_id, kind)
    return Message(reference, dossier_code, channel, kind, link, subject, text)
