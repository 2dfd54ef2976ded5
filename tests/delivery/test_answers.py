"""The recording channel answers like a provider, when told: a signed receipt posted to
the service's webhook after the message, delivered, failed or the demo's mix; the SMS
gateway and Zalo OA are told where to post theirs; the settings refuse an answer that
could not be posted."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr, ValidationError

from motcua.delivery import (
    SIGNATURE_HEADER,
    DeliverySettings,
    Message,
    RecordingAnswers,
    RecordingChannel,
    SmsGateway,
    SmtpMailer,
    ZaloOA,
    build_channels,
    callback_url,
    sign,
    verify,
)
from motcua.delivery._answers import DEMO_FAILURES, TOLD_TO_FAIL, demo_fails, receipt_body
from tests.conftest import ROOT

SECRET = "s3cret"


class Webhook:
    """A service's webhook: what it was posted, checked against the secret."""

    def __init__(self, *, down_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.down_first = down_first
        self.calls = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.down_first:
            return web.Response(status=503)
        raw = await request.read()
        assert verify(SECRET, request.headers.get(SIGNATURE_HEADER), raw, int(time.time()))
        self.received.append({"path": request.path, **json.loads(raw)})
        return web.json_response({"state": "delivered", "verdict": "applied"})


async def serve(hook: Webhook) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/v1/delivery-receipts/{channel}", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


def message(reference: str) -> Message:
    return Message(reference, "D-1", "sms", "invite", "https://x/r/t", None, "Mời đánh giá")


async def until(predicate: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(
    ("mode", "status", "permanent", "reason"),
    [("delivered", "delivered", False, None), ("failed", "failed", True, TOLD_TO_FAIL)],
)
def test_the_recording_channel_posts_a_signed_receipt_after_recording(
    mode: Any, status: str, permanent: bool, reason: str | None
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        hook = Webhook()
        runner, base = await serve(hook)
        answers = RecordingAnswers(mode, f"{base}/v1/delivery-receipts/sms", SECRET, delay_s=0)
        channel = RecordingChannel("sms", answers)
        try:
            await channel.send(message("m-1"), "0912345678")
            assert channel.take()[0]["reference"] == "m-1"  # recorded first, as before
            await until(lambda: hook.received)
        finally:
            await channel.close()
            await runner.cleanup()
        return hook.received

    (receipt,) = asyncio.run(scenario())
    assert receipt["path"] == "/v1/delivery-receipts/sms"
    assert (receipt["reference"], receipt["status"]) == ("m-1", status)
    assert (receipt["permanent"], receipt["reason"]) == (permanent, reason)
    assert "0912345678" not in json.dumps(receipt)


def test_a_webhook_not_up_yet_gets_the_receipt_on_a_later_try() -> None:
    async def scenario() -> Webhook:
        hook = Webhook(down_first=2)
        runner, base = await serve(hook)
        url = f"{base}/v1/delivery-receipts/zalo"
        answers = RecordingAnswers("delivered", url, SECRET, delay_s=0, retry_wait_s=0.01)
        channel = RecordingChannel("zalo", answers)
        try:
            await channel.send(message("m-2"), "0912345678")
            await until(lambda: hook.received)
        finally:
            await channel.close()
            await runner.cleanup()
        return hook

    hook = asyncio.run(scenario())
    assert hook.calls == 3
    assert [r["reference"] for r in hook.received] == ["m-2"]


def test_told_nothing_the_recording_channel_posts_nothing() -> None:
    async def scenario() -> Webhook:
        hook = Webhook()
        runner, base = await serve(hook)
        answers = RecordingAnswers("none", f"{base}/v1/delivery-receipts/sms", SECRET, delay_s=0)
        channel = RecordingChannel("sms", answers)
        try:
            await channel.send(message("m-3"), "0912345678")
            await asyncio.sleep(0.3)
        finally:
            await channel.close()
            await runner.cleanup()
        return hook

    assert asyncio.run(scenario()).calls == 0


def test_the_demo_fails_about_one_in_ten_the_same_ones_every_time() -> None:
    references = [f"00000000-0000-4000-8000-{n:012d}" for n in range(1000)]
    failing = [r for r in references if demo_fails(r)]
    assert 60 <= len(failing) <= 140
    assert failing == [r for r in references if demo_fails(r)]
    at = datetime(2026, 6, 10, 9, tzinfo=UTC)
    failed = receipt_body("demo", "email", failing[0], at)
    assert failed == {
        "reference": failing[0],
        "status": "failed",
        "permanent": True,
        "reason": DEMO_FAILURES["email"],
        "occurred_at": "2026-06-10T09:00:00+00:00",
    }
    delivered = next(r for r in references if not demo_fails(r))
    assert receipt_body("demo", "sms", delivered, at)["status"] == "delivered"  # type: ignore[index]
    assert receipt_body("none", "sms", delivered, at) is None


def test_the_gateways_are_told_where_to_post_their_receipts() -> None:
    async def scenario() -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []

        async def provider(request: web.Request) -> web.Response:
            bodies.append(await request.json())
            return web.json_response({"error": 0})

        app = web.Application()
        app.router.add_post("/{any}", provider)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        sms = SmsGateway(f"{base}/sms", callback_url="https://svc/v1/delivery-receipts/sms")
        zalo = ZaloOA(
            f"{base}/zns", "t", "tpl", callback_url="https://svc/v1/delivery-receipts/zalo"
        )
        bare = SmsGateway(f"{base}/sms")
        try:
            for channel in (sms, zalo, bare):
                await channel.send(message("m-4"), "0912345678")
        finally:
            for channel in (sms, zalo, bare):
                await channel.close()
            await runner.cleanup()
        return bodies

    sms, zalo, bare = asyncio.run(scenario())
    assert sms["callback_url"] == "https://svc/v1/delivery-receipts/sms"
    assert sms["reference"] == "m-4"
    assert zalo["callback_url"] == "https://svc/v1/delivery-receipts/zalo"
    assert zalo["tracking_id"] == "m-4"
    assert "callback_url" not in bare


def test_the_callback_url_is_the_services_own_webhook() -> None:
    settings = DeliverySettings(delivery_callback_base_url="https://dichvu.example.vn/")
    assert callback_url(settings, "email") == "https://dichvu.example.vn/v1/delivery-receipts/email"
    assert callback_url(DeliverySettings(), "sms") is None


def test_recording_receipts_need_the_base_url_and_each_recording_channels_secret() -> None:
    with pytest.raises(ValidationError, match="DELIVERY_CALLBACK_BASE_URL"):
        DeliverySettings(recording_receipts="demo")
    with pytest.raises(ValidationError, match="DELIVERY_RECEIPT_SECRET_EMAIL"):
        DeliverySettings(
            recording_receipts="demo",
            delivery_callback_base_url="http://127.0.0.1:8003",
            delivery_receipt_secret_sms=SecretStr("a"),
            delivery_receipt_secret_zalo=SecretStr("b"),
        )
    settings = DeliverySettings(
        recording_receipts="demo",
        delivery_callback_base_url="http://127.0.0.1:8003",
        delivery_receipt_secret_sms=SecretStr("a"),
        delivery_receipt_secret_zalo=SecretStr("b"),
        smtp_host="127.0.0.1",  # e-mail really sends: its secret is the relay's business
    )
    assert all(
        isinstance(c, RecordingChannel) for n, c in build_channels(settings).items() if n != "email"
    )


def test_an_email_names_its_reference_in_its_message_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bounce processor finds the message's reference in the bounced mail."""
    sent: list[Any] = []

    class Relay:
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

        def __enter__(self) -> Relay:
            return self

        def __exit__(self, *args: Any) -> None: ...

        def send_message(self, mail: Any) -> None:
            sent.append(mail)

    monkeypatch.setattr("smtplib.SMTP", Relay)
    mailer = SmtpMailer("127.0.0.1", 25, "danhgia@ca.gov.vn")
    reference = "5f0c7a8e-2b1d-4c3e-9f6a-0d1e2f3a4b5c"
    asyncio.run(mailer.send(message(reference), "khai.nguyen@example.vn"))
    assert sent[0]["Message-ID"] == f"<{reference}@ca.gov.vn>"


def test_the_worked_example_of_the_docs_is_what_sign_computes() -> None:
    page = (ROOT / "docs" / "delivery.md").read_text(encoding="utf-8")
    body = re.search(r'^    (\{"reference".*\})$', page, re.MULTILINE)
    header = re.search(rf"^    {SIGNATURE_HEADER}: (t=(\d+),v1=[0-9a-f]+)$", page, re.MULTILINE)
    assert body
    assert header
    assert sign("bi-mat-chung", body.group(1).encode(), int(header.group(2))) == header.group(1)
