"""What happens to a letter's notice, decided without any I/O: which channels the citizen
has (their preference first, then SMS → Zalo → post), which comes after a permanent
failure, what each channel says (in Vietnamese), and what the sender writes after a try.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from motcua.delivery import (
    Attachment,
    Contact,
    Message,
    QuietHours,
    SmsAlphabet,
    next_allowed,
    sms_text,
)
from motcua.dossier import LOCAL_ZONE
from motcua.web.strings import sender_words
from services.deadlines.notices.events import NoticeFacts

POST = "post"
FALLBACK_ORDER = ("sms", "zalo", POST)
"""After the preferred channel, every citizen's notice tries these, in this order."""
NEEDS_PHONE = frozenset({"sms", "zalo"})
RETRY_LATER = timedelta(minutes=15)
"""A channel that stayed unreachable through a round's tries is asked again this late."""
GIVE_UP_AFTER = timedelta(hours=24)
"""A channel unreachable this long after the notice was queued counts as failed for good,
so the letter goes on the next channel (the apology deadline will not wait)."""
KIND = "apology"

TEXTS = {
    "sms": (
        "{agency} xin lỗi ông/bà: hồ sơ {code} chậm trả kết quả, hẹn lại {due}."
        "{hotline} Phiếu xin lỗi: {link}"
    ),
    "zalo": (
        "{agency} xin lỗi ông/bà vì hồ sơ {code} chậm trả kết quả. Ngày hẹn trả kết quả "
        "mới: {due}.{hotline} Phiếu xin lỗi số {number}: {link}"
    ),
    "email_subject": "Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
    "email": (
        "Kính gửi ông/bà,\n\n"
        "Hồ sơ {code} của ông/bà chậm trả kết quả so với ngày hẹn. {agency} "
        "thành thật xin lỗi ông/bà và hẹn trả kết quả vào {due}.\n\n"
        "Phiếu xin lỗi số {number} được gửi kèm thư này (tệp PDF); ông/bà cũng có thể "
        "xem tại: {link}\n\n"
        "Thư này được gửi tự động, xin ông/bà không trả lời thư.\n{agency}.{hotline}"
    ),
}
"""In Vietnamese with accents, naming the agency and its public phone (``{agency}``,
``{hotline}``: :func:`motcua.web.strings.sender_words`) so the notice does not read like
a scam; an SMS follows ``SMS_ALPHABET``."""


def _preferred(preference: str | None) -> str | None:
    """Intake's preference as a channel: a ``phone`` preference is reached by SMS."""
    return "sms" if preference == "phone" else preference


def _reachable(channel: str, contact: Contact) -> bool:
    if channel == POST:
        return True
    if channel == "email":
        return bool(contact.email)
    return channel in NEEDS_PHONE and bool(contact.phone)


def channel_plan(contact: Contact) -> tuple[str, ...]:
    """The channels a letter may go out on, in order: the preference first when the
    citizen has the contact for it, then SMS → Zalo → post; ``post`` and ``none`` go
    straight to the print batch."""
    preferred = _preferred(contact.preference)
    if preferred in (POST, "none"):
        return (POST,)
    order = (preferred, *FALLBACK_ORDER) if preferred else FALLBACK_ORDER
    plan = [c for c in dict.fromkeys(order) if c is not None and _reachable(c, contact)]
    return tuple(plan)


def next_channel(plan: tuple[str, ...], tried: frozenset[str]) -> str:
    """The first channel of the plan not yet tried for this letter version; post when
    every other one has failed (a printed letter always reaches an address)."""
    return next((channel for channel in plan if channel not in tried), POST)


def appointment(due: datetime) -> str:
    local = due.astimezone(LOCAL_ZONE)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def pdf_name(letter_number: str, version: int) -> str:
    """The same name the board gives the letter's PDF."""
    return f"phieu-xin-loi-{letter_number.replace('/', '-')}-v{version}.pdf"


def compose(
    notice_id: str,
    facts: NoticeFacts,
    *,
    channel: str,
    new_due_at: datetime,
    link: str,
    sender: Contact,
    alphabet: SmsAlphabet = "unicode",
    pdf: bytes | None = None,
) -> Message:
    """The notice on ``channel``: SMS and Zalo carry the agency, its phone, the code, the
    new appointment and the link; e-mail says the same at more length, with the letter's
    PDF attached. ``sender`` is intake's answer (the agency's name and public phone)."""
    words = {
        "code": facts.dossier_code,
        "due": appointment(new_due_at),
        "link": link,
        "number": facts.letter_number,
        **sender_words(sender.agency, sender.agency_phone),
    }
    if channel in NEEDS_PHONE:
        text = TEXTS[channel].format(**words)
        if channel == "sms":
            text = sms_text(text, alphabet)
        return Message(notice_id, facts.dossier_code, channel, KIND, link, None, text)
    if channel != "email":
        msg = f"no message for channel {channel!r}"
        raise ValueError(msg)
    if pdf is None:
        msg = "an e-mail notice carries the letter's PDF"
        raise ValueError(msg)
    attachment = Attachment(
        pdf_name(facts.letter_number, facts.letter_version), "application/pdf", pdf
    )
    return Message(
        notice_id,
        facts.dossier_code,
        channel,
        KIND,
        link,
        TEXTS["email_subject"].format(**words),
        TEXTS["email"].format(**words),
        attachment,
    )


@dataclass(frozen=True)
class Due:
    """A notice as the sender holds it (its lease keeps other senders off it), or as a
    receipt finds it."""

    notice_id: str
    letter_id: int
    state: str
    """As claimed: the sender's record does not overwrite a state a receipt set since."""
    channel: str | None
    plan: tuple[str, ...] | None
    tried: frozenset[str]
    """Channels of this letter version's other notices."""
    created_at: datetime
    sent_at: datetime | None
    new_due_at: datetime
    facts: NoticeFacts


@dataclass(frozen=True)
class Update:
    """What the sender writes for a notice after this round."""

    notice_id: str
    result: str
    """``later`` (nothing tried), ``to_print``, ``sent``, ``failed_temporary`` or
    ``failed_permanent``."""
    claimed_state: str
    at: datetime
    channel: str | None = None
    plan: tuple[str, ...] | None = None
    next_attempt_at: datetime | None = None
    attempts_added: int = 0
    reason: str | None = None


def later(due: Due, at: datetime, until: datetime, reason: str | None = None) -> Update:
    return Update(due.notice_id, "later", due.state, at, next_attempt_at=until, reason=reason)


def before_sending(due: Due, now: datetime, quiet: QuietHours | None) -> Update | None:
    """None when the notice may go now; at night it waits for the morning."""
    allowed = next_allowed(quiet, now)
    return later(due, now, allowed) if allowed > now else None


def choose(due: Due, contact: Contact) -> tuple[str, tuple[str, ...]]:
    """The notice's channel (fixed once) and the plan it follows."""
    plan = due.plan if due.plan is not None else channel_plan(contact)
    channel = due.channel or next_channel(plan, due.tried)
    return channel, plan


def to_print(due: Due, now: datetime, plan: tuple[str, ...]) -> Update:
    """By post: the notice waits for the unit's print batch, not for the sender."""
    return Update(due.notice_id, "to_print", due.state, now, channel=POST, plan=plan)


def after_sent(due: Due, now: datetime, channel: str, attempts: int) -> Update:
    return Update(due.notice_id, "sent", due.state, now, channel=channel, attempts_added=attempts)


def after_failure(
    due: Due,
    now: datetime,
    channel: str,
    attempts: int,
    reason: str,
    *,
    permanent: bool,
    quiet: QuietHours | None,
) -> Update:
    """A permanent failure hands the letter to the next channel; a temporary one is
    tried again later, until the channel has been unreachable for a day."""
    failed = Update(
        due.notice_id,
        "failed_permanent",
        due.state,
        now,
        channel=channel,
        attempts_added=attempts,
        reason=reason,
    )
    if permanent:
        return failed
    if now - due.created_at >= GIVE_UP_AFTER:
        return replace(failed, reason=f"{reason} (vẫn lỗi sau một ngày gửi lại)")  # shown as is
    retry_at = next_allowed(quiet, now + RETRY_LATER)
    return replace(failed, result="failed_temporary", next_attempt_at=retry_at)
