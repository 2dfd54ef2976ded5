"""What each channel says, in Vietnamese (texts in ``motcua.web.strings``). Pure."""

from __future__ import annotations

from datetime import datetime

from motcua.delivery import Message
from motcua.web.strings import INVITATION_MESSAGES, local_date

KINDS = ("invite", "reminder", "followup")


def compose(
    *,
    invitation_id: str,
    dossier_code: str,
    outcome: str,
    channel: str,
    kind: str,
    link: str,
    expires_at: datetime,
) -> Message:
    if kind not in KINDS:
        msg = f"unknown message kind {kind!r}"
        raise ValueError(msg)
    words = {"code": dossier_code, "link": link, "expires": local_date(expires_at)}
    subject: str | None = None
    if channel == "sms":
        text = INVITATION_MESSAGES[f"sms_{kind}"].format(**words)
    elif channel == "email":
        subject = INVITATION_MESSAGES[f"email_subject_{kind}"].format(**words)
        outcome_line = INVITATION_MESSAGES[f"outcome_{outcome}"].format(**words)
        text = INVITATION_MESSAGES[f"email_{kind}"].format(outcome_line=outcome_line, **words)
    elif channel == "zalo":
        text = INVITATION_MESSAGES[f"zalo_{kind}"].format(**words)
    else:
        msg = f"no message for channel {channel!r}"
        raise ValueError(msg)
    return Message(invitation_id, dossier_code, channel, kind, link, subject, text)
