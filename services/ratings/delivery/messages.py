"""What each channel says, in Vietnamese (texts in ``motcua.web.strings``). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from motcua.web.strings import INVITATION_MESSAGES, local_date

KINDS = ("invite", "reminder", "followup")


@dataclass(frozen=True)
class Message:
    """One message to one citizen; the destination is added by the channel at send time."""

    invitation_id: str
    dossier_code: str
    channel: str
    kind: str
    link: str
    subject: str | None
    text: str


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


def mask_phone(phone: str) -> str:
    """``0912345678`` → ``09******78``: enough for an officer to tell two apart, no more."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def mask_email(address: str) -> str:
    """``khai.nguyen@example.vn`` → ``k***@e***.vn``."""
    local, _, domain = address.partition("@")
    name, _, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}***.{tld}" if name else f"{tld[:1]}***"
    return f"{local[:1]}***@{masked_domain}"
