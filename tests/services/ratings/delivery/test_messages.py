"""What the citizen receives: an SMS that fits one message with its link, e-mails and Zalo
texts in Vietnamese, and destinations masked before anything keeps them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from motcua.delivery import mask_email, mask_phone
from services.ratings.delivery.messages import compose
from services.ratings.invitations.tokens import new_token, short_link

VN = ZoneInfo("Asia/Ho_Chi_Minh")
GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize("kind", ["invite", "reminder"])
def test_the_sms_is_one_gsm_message_with_the_link(kind: str) -> None:
    link = short_link("https://danhgia.congan.gov.vn", new_token())
    message = compose(
        invitation_id="i-1",
        dossier_code="000.00.12.H26-250610-0007",
        outcome="returned",
        channel="sms",
        kind=kind,
        link=link,
        expires_at=datetime(2025, 7, 27, 8, tzinfo=VN),
    )
    assert link in message.text
    assert "000.00.12.H26-250610-0007" in message.text
    assert "27/07/2025" in message.text
    assert len(message.text) < 160, len(message.text)
    assert set(message.text) <= GSM_7, set(message.text) - GSM_7


def test_the_email_says_why_the_citizen_is_asked() -> None:
    rejected = compose(
        invitation_id="i-1",
        dossier_code="000.00.12.H26-250610-0007",
        outcome="rejected",
        channel="email",
        kind="invite",
        link="http://r.example/r/abc",
        expires_at=datetime(2025, 7, 27, 8, tzinfo=VN),
    )
    assert rejected.subject == "Mời ông/bà đánh giá sự hài lòng – hồ sơ 000.00.12.H26-250610-0007"
    assert "từ chối" in rejected.text
    assert "http://r.example/r/abc" in rejected.text


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
        )


def test_destinations_are_masked() -> None:
    assert mask_phone("0912345678") == "09******78"
    assert mask_phone("+84912345678") == "+8********78"
    assert mask_phone("123") == "***"
    assert mask_email("khai.nguyen@example.vn") == "k***@e***.vn"
