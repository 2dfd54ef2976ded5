"""The receipts webhook: only a receipt signed with its channel's secret is read, and the
service's apply decides — applied once, repeated harmlessly, an unknown reference 404, a
final state never contradicted (409). A refused receipt applies nothing; the routes and
their schemas are in the service's OpenAPI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from motcua.delivery import (
    SIGNATURE_HEADER,
    DeliveryState,
    Receipt,
    Verdict,
    judge,
    receipts_router,
    sign,
)
from motcua.http import create_service_app

KNOWN = "5f0c7a8e-2b1d-4c3e-9f6a-0d1e2f3a4b5c"
SECRETS = {"sms": "sms-secret", "zalo": "zalo-secret", "email": ""}
NOW = 1_780_000_000


class FakeMessages:
    """One service's messages: a state per (channel, reference), and what was applied."""

    def __init__(self) -> None:
        self.states = {("sms", KNOWN): DeliveryState.SENT}
        self.applied: list[Receipt] = []

    def apply(self, channel: str, receipt: Receipt) -> Verdict | None:
        current = self.states.get((channel, receipt.reference))
        if current is None:
            return None
        verdict = judge(current, receipt.state)
        if verdict is Verdict.APPLIED:
            self.states[(channel, receipt.reference)] = receipt.state
            self.applied.append(receipt)
        return verdict


@pytest.fixture
def messages() -> FakeMessages:
    return FakeMessages()


@pytest.fixture
def client(messages: FakeMessages) -> Iterator[TestClient]:
    app = create_service_app(service="test", version="0", checks=[])
    app.include_router(receipts_router(messages.apply, SECRETS, now=lambda: NOW))
    with TestClient(app) as client:
        yield client


def body(**changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "reference": KNOWN,
        "status": "delivered",
        "occurred_at": "2026-06-10T09:15:00+07:00",
    }
    return json.dumps(fields | changes).encode()


def post(
    client: TestClient,
    raw: bytes,
    *,
    channel: str = "sms",
    secret: str = "sms-secret",  # noqa: S107 (a test secret)
    at: int = NOW,
    signature: str | bytes | None = "",
) -> Any:
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if signature == "":
        headers[SIGNATURE_HEADER] = sign(secret, raw, at)
    elif signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return client.post(f"/v1/delivery-receipts/{channel}", content=raw, headers=headers)


def test_a_signed_receipt_is_applied_once_then_repeated(
    client: TestClient, messages: FakeMessages
) -> None:
    first = post(client, body())
    assert first.status_code == 200
    assert first.json() == {"state": "delivered", "verdict": "applied"}
    again = post(client, body())
    assert again.status_code == 200
    assert again.json() == {"state": "delivered", "verdict": "repeated"}
    assert [r.state for r in messages.applied] == [DeliveryState.DELIVERED]


def test_a_permanent_failure_keeps_the_reason_without_contact_like_runs(
    client: TestClient, messages: FakeMessages
) -> None:
    raw = body(status="failed", permanent=True, reason="0912345678 unknown, a@b.vn too")
    answer = post(client, raw)
    assert answer.json() == {"state": "failed_permanent", "verdict": "applied"}
    (receipt,) = messages.applied
    assert receipt.reason == "[…] unknown, […] too"
    assert "0912345678" not in answer.text


def test_a_failure_not_said_permanent_is_temporary(
    client: TestClient, messages: FakeMessages
) -> None:
    answer = post(client, body(status="failed", reason="handset off"))
    assert answer.json() == {"state": "failed_temporary", "verdict": "applied"}


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("missing", {"signature": None}),
        ("forged", {"secret": "not-the-secret"}),
        ("another channel's", {"secret": "zalo-secret"}),
        ("old", {"at": NOW - 301}),
        ("from the future", {"at": NOW + 301}),
        ("garbled", {"signature": "v1=abc"}),
        ("not ASCII", {"signature": f"t={NOW},v1=\u00e9\u00e9".encode("latin-1")}),
    ],
)
def test_an_unsigned_or_badly_signed_receipt_is_401_and_applies_nothing(
    client: TestClient, messages: FakeMessages, kind: str, options: dict[str, Any]
) -> None:
    answer = post(client, body(), **options)
    assert answer.status_code == 401, kind
    assert answer.headers["content-type"] == "application/problem+json"
    assert messages.applied == []
    assert messages.states[("sms", KNOWN)] == DeliveryState.SENT


def test_a_channel_without_a_secret_refuses_everything(
    client: TestClient, messages: FakeMessages
) -> None:
    answer = post(client, body(), channel="email", secret="")
    assert answer.status_code == 401
    assert "no receipt secret" in answer.json()["detail"]
    assert messages.applied == []


def test_the_signature_is_checked_before_the_body(client: TestClient) -> None:
    assert post(client, b"{not json", signature=None).status_code == 401


def test_an_unknown_reference_is_404(client: TestClient, messages: FakeMessages) -> None:
    raw = body(reference="00000000-0000-4000-8000-000000000000")
    answer = post(client, raw)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert messages.applied == []


def test_a_reference_sent_on_another_channel_is_unknown_here(client: TestClient) -> None:
    assert post(client, body(), channel="zalo", secret="zalo-secret").status_code == 404


def test_a_receipt_contradicting_a_final_state_is_409_and_changes_nothing(
    client: TestClient, messages: FakeMessages
) -> None:
    assert post(client, body()).status_code == 200
    late = post(client, body(status="failed", permanent=True, reason="bounced"))
    assert late.status_code == 409
    assert late.headers["content-type"] == "application/problem+json"
    assert messages.states[("sms", KNOWN)] == DeliveryState.DELIVERED
    assert len(messages.applied) == 1


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (body(status="read"), "status"),
        (body(reference="not-a-uuid"), "reference"),
        (body(occurred_at="2026-06-10T09:15:00"), "occurred_at"),
        (body(reason="x" * 501), "reason"),
        (body(to="0912345678"), "to"),
        (body(permanent=True), "body"),
        (b"{not json", "body"),
    ],
)
def test_a_bad_body_is_422_and_applies_nothing(
    client: TestClient, messages: FakeMessages, raw: bytes, field: str
) -> None:
    answer = post(client, raw)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in answer.json()["detail"]
    assert messages.applied == []


def test_an_unknown_channel_is_422(client: TestClient, messages: FakeMessages) -> None:
    answer = post(client, body(), channel="fax", secret="sms-secret")
    assert answer.status_code == 422
    assert "channel" in answer.json()["detail"]
    assert messages.applied == []


def test_secrets_may_be_a_function_of_the_channel(messages: FakeMessages) -> None:
    app = create_service_app(service="test", version="0", checks=[])
    secrets = {"sms": "from-settings"}.get
    app.include_router(receipts_router(messages.apply, lambda c: secrets(c) or ""))
    with TestClient(app) as client:
        answer = post(client, body(), secret="from-settings", at=int(time.time()))
    assert answer.status_code == 200


def test_the_webhook_is_in_the_openapi_with_its_schemas_and_header(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/v1/delivery-receipts/{channel}"]["post"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["channel"]["schema"]["enum"] == ["sms", "zalo", "email"]
    assert parameters[SIGNATURE_HEADER]["in"] == "header"
    assert "HMAC-SHA256" in parameters[SIGNATURE_HEADER]["description"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["title"] == "ReceiptBody"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"reference", "status", "occurred_at"}
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/ReceiptAnswer")
    for status in ("401", "404", "409", "422"):
        assert "application/problem+json" in operation["responses"][status]["content"]
