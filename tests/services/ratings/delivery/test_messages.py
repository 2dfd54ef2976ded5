"""What the citizen receives: an SMS in Vietnamese naming the agency and its phone, with
its link, within its budget of messages (and GSM-7 only when ``SMS_ALPHABET=gsm7``),
e-mails and Zalo texts in Vietnamese, and destinations masked before anything keeps them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from motcua.delivery import (
    Contact,
    Message,
    SmsAlphabet,
    mask_email,
    mask_phone,
    sms_segments,
)
from services.intake.reference.national import iter_national_units
from services.ratings.delivery.messages import compose
from services.ratings.invitations.tokens import new_token, short_link

VN = ZoneInfo("Asia/Ho_Chi_Minh")
GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
WARD = Contact("0912345678", None, agency="Công an phường Tây Hồ", agency_phone="024 3835 1185")
SEED = Path(__file__).parents[4] / "services/intake/reference/data/units.json"
UNITS = [
    *json.loads(SEED.read_text(encoding="utf-8"))["items"],
    *(unit.model_dump() for unit in iter_national_units()),
]
LONGEST = max(UNITS, key=lambda unit: len(unit["name"]))
LONGEST_PHONE = max((unit["public_phone"] or "" for unit in UNITS), key=len)
UNICODE_BUDGET, GSM7_BUDGET = 4, 2
"""SMS messages a text may cost with the seed's longest unit name (docs/delivery.md); the
seed is the seed file and the national tree, and the longest phone number of any unit is
printed with it."""


def _sms(kind: str, sender: Contact, alphabet: SmsAlphabet, link: str) -> Message:
    return compose(
        invitation_id="i-1",
        dossier_code="000.00.12.H26-250610-0007",
        outcome="returned",
        channel="sms",
        kind=kind,
        link=link,
        expires_at=datetime(2025, 7, 27, 8, tzinfo=VN),
        sender=sender,
        alphabet=alphabet,
    )


@pytest.mark.parametrize("kind", ["invite", "reminder", "followup"])
def test_the_sms_is_vietnamese_and_names_who_sends_it(kind: str) -> None:
    link = short_link("https://danhgia.congan.gov.vn", new_token())
    message = _sms(kind, WARD, "unicode", link)
    assert message.text.endswith(f" {link}")
    assert "000.00.12.H26-250610-0007" in message.text
    assert message.text.startswith(("Công an phường Tây Hồ ", "Nhắc lại: Công an phường Tây Hồ "))
    assert "Hỏi đáp: 024 3835 1185." in message.text
    assert "ông/bà" in message.text
    if kind != "followup":
        assert "27/07/2025" in message.text
    assert sms_segments(message.text) <= 3, len(message.text)


@pytest.mark.parametrize("kind", ["invite", "reminder", "followup"])
def test_every_seed_unit_keeps_the_sms_within_its_budget(kind: str) -> None:
    link = short_link("https://danhgia.congan.gov.vn", new_token())
    sender = Contact("09", None, agency=LONGEST["name"], agency_phone=LONGEST_PHONE)
    accented = _sms(kind, sender, "unicode", link)
    assert LONGEST["name"] in accented.text
    assert sms_segments(accented.text) <= UNICODE_BUDGET, len(accented.text)
    plain = _sms(kind, sender, "gsm7", link)
    assert set(plain.text) <= GSM_7, set(plain.text) - GSM_7
    assert "Phong Canh sat phong chay, chua chay va cuu nan, cuu ho" in plain.text
    assert plain.text.endswith(link)
    assert sms_segments(plain.text) <= GSM7_BUDGET, len(plain.text)


def test_without_an_agency_from_intake_the_text_still_says_who_sends_it() -> None:
    message = _sms("invite", Contact("09", None), "unicode", "http://r.example/r/abc")
    assert message.text.startswith("Cơ quan giải quyết hồ sơ mời ông/bà")
    assert "Hỏi đáp" not in message.text


def test_the_email_says_why_the_citizen_is_asked() -> None:
    rejected = compose(
        invitation_id="i-1",
        dossier_code="000.00.12.H26-250610-0007",
        outcome="rejected",
        channel="email",
        kind="invite",
        link="http://r.example/r/abc",
        expires_at=datetime(2025, 7, 27, 8, tzinfo=VN),
        sender=WARD,
    )
    assert rejected.subject == "Mời ông/bà đánh giá sự hài lòng – hồ sơ 000.00.12.H26-250610-0007"
    assert "từ chối" in rejected.text
    assert "http://r.example/r/abc" in rejected.text
    assert rejected.text.endswith("Công an phường Tây Hồ. Hỏi đáp: 024 3835 1185.")


@pytest.mark.parametrize("kind", ["invite", "reminder", "followup"])
def test_zalo_names_the_agency_and_its_phone_with_accents(kind: str) -> None:
    message = compose(
        invitation_id="i-1",
        dossier_code="000.00.12.H26-250610-0007",
        outcome="returned",
        channel="zalo",
        kind=kind,
        link="http://r.example/r/abc",
        expires_at=datetime(2025, 7, 27, 8, tzinfo=VN),
        sender=WARD,
        alphabet="gsm7",
    )
    assert "Công an phường Tây Hồ" in message.text
    assert message.text.endswith("Hỏi đáp: 024 3835 1185.")
    assert message.link == "http://r.example/r/abc"


def test_a_channel_without_a_message_is_refused() -> None:
    with pytest.raises(ValueError, match="qr"):
        compose(
            invitation_id="i",
            dossier_code="c",
            outcome="returned",
            channel="qr",
            kind="invite",
            link="l",
            expires_at=datetime(2025, 7, 27, tzinfo=VN),
            sender=WARD,
        )


def test_destinations_are_masked() -> None:
    assert mask_phone("0912345678") == "09******78"
    assert mask_phone("+84912345678") == "+8********78"
    assert mask_phone("123") == "***"
    assert mask_email("khai.nguyen@example.vn") == "k***@e***.vn"
