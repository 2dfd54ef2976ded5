"""Receipts: which ones move a message, and the callbacks' signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from motcua.delivery import DeliveryState, Receipt, Verdict, judge, sign, verify

S = DeliveryState


@pytest.mark.parametrize(
    ("current", "reported", "verdict"),
    [
        (S.SENT, S.DELIVERED, Verdict.APPLIED),
        (S.SENT, S.FAILED_PERMANENT, Verdict.APPLIED),
        (S.SENT, S.FAILED_TEMPORARY, Verdict.APPLIED),
        (S.QUEUED, S.DELIVERED, Verdict.APPLIED),  # the provider answered before our record
        (S.FAILED_TEMPORARY, S.DELIVERED, Verdict.APPLIED),
        (S.FAILED_TEMPORARY, S.FAILED_PERMANENT, Verdict.APPLIED),
        (S.DELIVERED, S.DELIVERED, Verdict.REPEATED),
        (S.FAILED_TEMPORARY, S.FAILED_TEMPORARY, Verdict.REPEATED),
        (S.DELIVERED, S.FAILED_PERMANENT, Verdict.OUT_OF_ORDER),
        (S.FAILED_PERMANENT, S.DELIVERED, Verdict.OUT_OF_ORDER),
        (S.DELIVERED, S.FAILED_TEMPORARY, Verdict.OUT_OF_ORDER),
        (S.POSTED, S.DELIVERED, Verdict.OUT_OF_ORDER),
    ],
)
def test_a_receipt_moves_a_message_once_and_never_out_of_a_final_state(
    current: DeliveryState, reported: DeliveryState, verdict: Verdict
) -> None:
    assert judge(current, reported) == verdict


@pytest.mark.parametrize("state", [S.QUEUED, S.SENT, S.POSTED])
def test_a_receipt_reports_only_delivered_or_failed(state: DeliveryState) -> None:
    with pytest.raises(ValueError, match="cannot report"):
        Receipt("m-1", state, None, datetime(2026, 12, 5, tzinfo=UTC))
    with pytest.raises(ValueError, match="cannot report"):
        judge(S.SENT, state)


BODY = b'{"reference": "m-1", "status": "delivered"}'


def test_a_signature_verifies_its_body_with_its_secret_only() -> None:
    header = sign("bi-mat", BODY, 1_764_900_000)
    assert verify("bi-mat", header, BODY, 1_764_900_010)
    assert not verify("bi-mat-khac", header, BODY, 1_764_900_010)
    assert not verify("bi-mat", header, BODY.replace(b"delivered", b"failed"), 1_764_900_010)
    forged = header.replace("t=1764900000", "t=1764900005")  # same digest, another time
    assert not verify("bi-mat", forged, BODY, 1_764_900_010)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=soon,v1=abc", "t=1764900000", "garbage"])
def test_a_missing_or_malformed_signature_is_refused(header: str | None) -> None:
    assert not verify("bi-mat", header, BODY, 1_764_900_000)


def test_an_old_or_far_future_signature_is_refused_and_no_secret_refuses_all() -> None:
    header = sign("bi-mat", BODY, 1_764_900_000)
    assert not verify("bi-mat", header, BODY, 1_764_900_000 + 301)
    assert not verify("bi-mat", header, BODY, 1_764_900_000 - 301)
    assert not verify("", sign("", BODY, 1_764_900_000), BODY, 1_764_900_000)
