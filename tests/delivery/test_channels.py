"""The recording channel keeps what it would send with the destination masked, the
settings make a channel real only when its endpoint is set, and masking picks the
address or the phone form by channel."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from motcua.delivery import (
    Attachment,
    DeliverySettings,
    Message,
    RecordingChannel,
    SmsGateway,
    SmtpMailer,
    ZaloOA,
    build_channels,
    mask_destination,
    retry_policy,
)


def test_the_recording_channel_keeps_the_message_with_the_destination_masked() -> None:
    channel = RecordingChannel("zalo")
    message = Message("m-1", "D-1", "zalo", "invite", "https://x/r/t", None, "Mời đánh giá")
    asyncio.run(channel.send(message, "0912345678"))
    assert channel.take() == [
        {
            "reference": "m-1",
            "channel": "zalo",
            "kind": "invite",
            "destination_masked": "09******78",
            "subject": None,
            "link": "https://x/r/t",
            "body": "Mời đánh giá",
            "attachment": None,
        }
    ]
    assert channel.take() == []


def test_the_recording_channel_names_an_attachment_and_keeps_none_of_its_bytes() -> None:
    channel = RecordingChannel("email")
    pdf = Attachment("phieu-xin-loi-1-PXL.pdf", "application/pdf", b"%PDF-1.7 ...")
    message = Message("m-2", "D-2", "email", "letter", "https://x/l/t", "Phiếu", "Kính gửi", pdf)
    asyncio.run(channel.send(message, "khai.nguyen@example.vn"))
    (row,) = channel.take()
    assert row["attachment"] == "phieu-xin-loi-1-PXL.pdf"
    assert row["destination_masked"] == "k***@e***.vn"
    assert b"%PDF" not in repr(row).encode()


@pytest.mark.parametrize(
    ("channel", "destination", "masked"),
    [
        ("email", "khai.nguyen@example.vn", "k***@e***.vn"),
        ("sms", "0912345678", "09******78"),
        ("zalo", "0912345678", "09******78"),
    ],
)
def test_a_destination_is_masked_as_its_channel_reaches_the_citizen(
    channel: str, destination: str, masked: str
) -> None:
    assert mask_destination(channel, destination) == masked


def test_a_channel_whose_endpoint_is_empty_records() -> None:
    channels = build_channels(DeliverySettings())
    assert {name: type(channel) for name, channel in channels.items()} == {
        "sms": RecordingChannel,
        "email": RecordingChannel,
        "zalo": RecordingChannel,
    }
    assert [channel.name for channel in channels.values()] == ["sms", "email", "zalo"]


def test_a_channel_whose_endpoint_is_set_sends() -> None:
    settings = DeliverySettings(
        sms_gateway_url="http://127.0.0.1:9/sms",
        smtp_host="127.0.0.1",
        zalo_oa_url="http://127.0.0.1:9/zns",
        zalo_oa_token=SecretStr("t"),
    )
    channels = build_channels(settings)
    assert isinstance(channels["sms"], SmsGateway)
    assert isinstance(channels["email"], SmtpMailer)
    assert isinstance(channels["zalo"], ZaloOA)


def test_the_retry_policy_comes_from_the_settings() -> None:
    settings = DeliverySettings(
        delivery_max_attempts=3, delivery_retry_initial_s=0.5, delivery_retry_max_s=9
    )
    policy = retry_policy(settings)
    assert (policy.max_attempts, policy.initial_s, policy.max_s) == (3, 0.5, 9.0)
