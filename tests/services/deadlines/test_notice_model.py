"""The letter notice's pure rules: the channel plan, the fall-back, the texts, what the
sender writes after a try, and the short link's token."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from motcua.delivery import Contact, QuietHours, is_gsm7, sms_segments
from services.deadlines.notices.events import NoticeFacts
from services.deadlines.notices.links import new_token, short_link, token_hash
from services.deadlines.notices.model import (
    GIVE_UP_AFTER,
    RETRY_LATER,
    Due,
    after_failure,
    before_sending,
    channel_plan,
    choose,
    compose,
    next_channel,
)

PHONE, EMAIL = "0912345678", "khai.nguyen@example.vn"
FACTS = NoticeFacts(
    dossier_id="9b2e4d71-5c3a-4f08-b6e1-2a7d9c0f4e58",
    dossier_code="000.00.12.H26-250602-0015",
    unit_code="000.00.12.H26",
    unit_path=("000.00.00.H26", "000.00.12.H26"),
    procedure_code="1.001612",
    episode=1,
    letter_number="15/PXL",
    letter_version=2,
    apology_deadline=datetime(2025, 6, 10, 3, tzinfo=UTC),
)
NEW_DUE = datetime(2025, 6, 16, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
NOW = datetime(2025, 6, 11, 3, tzinfo=UTC)  # 10:00 in Hà Nội
LINK = "https://motcua.test/l/abc"
WARD = Contact(PHONE, None, agency="Công an phường Tây Hồ", agency_phone="024 3835 1185")
SEED = Path(__file__).parents[3] / "services/intake/reference/data/units.json"
LONGEST = max(
    json.loads(SEED.read_text(encoding="utf-8"))["items"], key=lambda unit: len(unit["name"])
)
UNICODE_BUDGET, GSM7_BUDGET = 4, 2
"""SMS messages the notice may cost with the seed's longest unit name (docs/delivery.md)."""


def _due(**changes: object) -> Due:
    fields: dict[str, object] = {
        "notice_id": "0b8e2f4a-3c1d-4e5f-8a9b-0c1d2e3f4a5b",
        "letter_id": 7,
        "state": "queued",
        "channel": None,
        "plan": None,
        "tried": frozenset(),
        "created_at": NOW,
        "sent_at": None,
        "new_due_at": NEW_DUE,
        "facts": FACTS,
    }
    return Due(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("preference", "phone", "email", "plan"),
    [
        ("sms", PHONE, EMAIL, ("sms", "zalo", "post")),
        ("phone", PHONE, None, ("sms", "zalo", "post")),
        ("zalo", PHONE, None, ("zalo", "sms", "post")),
        ("email", PHONE, EMAIL, ("email", "sms", "zalo", "post")),
        ("email", None, EMAIL, ("email", "post")),
        ("email", PHONE, None, ("sms", "zalo", "post")),
        ("sms", None, EMAIL, ("post",)),
        ("post", PHONE, EMAIL, ("post",)),
        ("none", PHONE, EMAIL, ("post",)),
        (None, PHONE, None, ("sms", "zalo", "post")),
    ],
)
def test_the_plan_puts_the_preference_first_when_the_contact_exists(
    preference: str | None, phone: str | None, email: str | None, plan: tuple[str, ...]
) -> None:
    assert channel_plan(Contact(phone, email, preference=preference)) == plan


def test_the_next_channel_skips_what_this_version_already_tried() -> None:
    plan = ("email", "sms", "zalo", "post")
    assert next_channel(plan, frozenset({"email"})) == "sms"
    assert next_channel(plan, frozenset({"email", "sms"})) == "zalo"
    assert next_channel(plan, frozenset({"email", "sms", "zalo"})) == "post"
    assert next_channel(plan, frozenset(plan)) == "post"


def test_a_fixed_channel_and_plan_are_kept() -> None:
    contact = Contact(PHONE, EMAIL, preference="email")
    assert choose(_due(), contact) == ("email", ("email", "sms", "zalo", "post"))
    fixed = _due(channel="zalo", plan=("sms", "zalo", "post"), tried=frozenset({"sms"}))
    assert choose(fixed, contact) == ("zalo", ("sms", "zalo", "post"))
    fallback = _due(plan=("sms", "zalo", "post"), tried=frozenset({"sms"}))
    assert choose(fallback, contact) == ("zalo", ("sms", "zalo", "post"))


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_a_text_message_carries_the_code_the_new_appointment_and_the_link(channel: str) -> None:
    message = compose("n-1", FACTS, channel=channel, new_due_at=NEW_DUE, link=LINK, sender=WARD)
    assert FACTS.dossier_code in message.text
    assert message.text.startswith("Công an phường Tây Hồ xin lỗi ông/bà")
    assert "Hỏi đáp: 024 3835 1185." in message.text
    assert "08 giờ 30 phút, ngày 16/06/2025" in message.text
    assert message.text.endswith(LINK)
    assert "xin lỗi ông/bà" in message.text
    assert (message.reference, message.link, message.attachment) == ("n-1", LINK, None)


def test_the_sms_keeps_its_budget_and_its_alphabet() -> None:
    link = "https://motcua.congan.gov.vn/l/" + "x" * 32  # a real token's length
    sender = Contact(PHONE, None, agency=LONGEST["name"], agency_phone=LONGEST["public_phone"])
    accented = compose("n-1", FACTS, channel="sms", new_due_at=NEW_DUE, link=link, sender=sender)
    assert sms_segments(accented.text) <= UNICODE_BUDGET, len(accented.text)
    plain = compose(
        "n-1", FACTS, channel="sms", new_due_at=NEW_DUE, link=link, sender=sender, alphabet="gsm7"
    )
    assert is_gsm7(plain.text)
    assert "xin loi ong/ba" in plain.text
    assert "08 gio 30 phut, ngay 16/06/2025" in plain.text
    assert plain.text.endswith(link)
    assert sms_segments(plain.text) <= GSM7_BUDGET, len(plain.text)
    zalo = compose(
        "n-1", FACTS, channel="zalo", new_due_at=NEW_DUE, link=link, sender=WARD, alphabet="gsm7"
    )
    assert "xin lỗi ông/bà" in zalo.text, "Zalo carries Unicode whatever the SMS alphabet"


def test_an_email_attaches_the_letter_version_pdf() -> None:
    message = compose(
        "n-1", FACTS, channel="email", new_due_at=NEW_DUE, link=LINK, sender=WARD, pdf=b"%PDF"
    )
    assert message.subject is not None
    assert FACTS.dossier_code in message.subject
    assert "08 giờ 30 phút, ngày 16/06/2025" in message.text
    assert "Công an phường Tây Hồ thành thật xin lỗi ông/bà" in message.text
    assert message.text.endswith("Công an phường Tây Hồ. Hỏi đáp: 024 3835 1185.")
    assert message.attachment is not None
    assert message.attachment.filename == "phieu-xin-loi-15-PXL-v2.pdf"
    assert (message.attachment.content_type, message.attachment.content) == (
        "application/pdf",
        b"%PDF",
    )
    with pytest.raises(ValueError, match="PDF"):
        compose("n-1", FACTS, channel="email", new_due_at=NEW_DUE, link=LINK, sender=WARD)
    with pytest.raises(ValueError, match="post"):
        compose("n-1", FACTS, channel="post", new_due_at=NEW_DUE, link=LINK, sender=WARD)


def test_at_night_the_notice_waits_for_the_morning() -> None:
    quiet = QuietHours.parse("21:00-07:00", "Asia/Ho_Chi_Minh")
    night = datetime(2025, 6, 11, 15, tzinfo=UTC)  # 22:00 in Hà Nội
    waiting = before_sending(_due(), night, quiet)
    assert waiting is not None
    assert waiting.result == "later"
    assert waiting.next_attempt_at == datetime(2025, 6, 12, 0, tzinfo=UTC)
    assert before_sending(_due(), NOW, quiet) is None


def test_a_temporary_failure_is_tried_later_and_for_good_after_a_day() -> None:
    quiet = QuietHours.parse("21:00-07:00", "Asia/Ho_Chi_Minh")
    due = _due(channel="sms")
    failed = after_failure(
        due, NOW, "sms", 5, "SMS gateway answered 503", permanent=False, quiet=quiet
    )
    assert (failed.result, failed.next_attempt_at) == ("failed_temporary", NOW + RETRY_LATER)
    evening = datetime(2025, 6, 11, 13, 50, tzinfo=UTC)  # 20:50: the retry would fall at night
    at_night = after_failure(due, evening, "sms", 5, "busy", permanent=False, quiet=quiet)
    assert at_night.next_attempt_at == datetime(2025, 6, 12, 0, tzinfo=UTC)
    late = NOW + GIVE_UP_AFTER
    gave_up = after_failure(due, late, "sms", 5, "busy", permanent=False, quiet=quiet)
    assert (gave_up.result, gave_up.next_attempt_at) == ("failed_permanent", None)
    assert gave_up.reason == "busy (vẫn lỗi sau một ngày gửi lại)"  # the board shows it
    refused = after_failure(due, NOW, "sms", 1, "refused (400)", permanent=True, quiet=quiet)
    assert (refused.result, refused.reason, refused.attempts_added) == (
        "failed_permanent",
        "refused (400)",
        1,
    )


def test_a_link_token_is_unguessable_and_only_its_hash_is_kept() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) == 32 for token in tokens)
    token = tokens.pop()
    assert token_hash(token) != token.encode()
    assert len(token_hash(token)) == 32
    assert len(token_hash("not/a\udcfftoken")) == 32, "any text hashes, whatever its shape"
    assert short_link("https://motcua.test/", token) == f"https://motcua.test/l/{token}"
