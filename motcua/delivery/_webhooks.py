"""The receipts webhook every sending service mounts: ``POST
/v1/delivery-receipts/{channel}``, where the SMS gateway, Zalo OA and the mail system's
bounce processor report what became of a message (docs/delivery.md says what a provider
must send).

A receipt is believed only when signed with the channel's shared secret
(``X-Motcua-Signature``, :func:`verify` over the raw body), so nothing is read or applied
before that. The service's own ``apply`` (its table, its transaction; sync, run in
FastAPI's thread pool) decides with :func:`judge`: applied once, a repeat changes nothing,
a final state is never contradicted (409), and a reference it never sent on that channel
is 404. The provider's reason is kept with contact-like runs (numbers, addresses) blanked,
and never logged nor echoed.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations,
and one names a dependency local to :func:`receipts_router`.
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from motcua.delivery._receipts import SIGNATURE_HEADER, DeliveryState, Receipt, Verdict, verify
from motcua.http import Problem

_log = logging.getLogger("motcua.delivery.receipts")

ReceiptChannel = Literal["sms", "zalo", "email"]
ApplyReceipt = Callable[[str, Receipt], Verdict | None]
"""A service's ``apply(channel, receipt)``: the verdict, or None for a reference it never
sent on ``channel``."""
ReceiptSecrets = Mapping[str, str] | Callable[[str], str]
"""The secret of each channel (a mapping, or a function of the channel); empty = none."""

_CONTACT_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d .-]{6,}\d")


class ReceiptBody(BaseModel):
    """What a provider posts about one message."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "5f0c7a8e-2b1d-4c3e-9f6a-0d1e2f3a4b5c",
                    "status": "failed",
                    "permanent": True,
                    "reason": "subscriber unknown",
                    "occurred_at": "2026-06-10T09:15:00+07:00",
                }
            ]
        },
    )

    reference: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="The `reference` (Zalo: `tracking_id`) the message was sent with.",
    )
    status: Literal["delivered", "failed"]
    permanent: bool = Field(
        default=False,
        description="For `failed`: it will never arrive this way (unknown number, bounced).",
    )
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="The provider's words; never a phone number or an address.",
    )
    occurred_at: AwareDatetime = Field(description="When it happened, with its time zone.")

    @model_validator(mode="after")
    def _permanent_only_for_failed(self) -> Self:
        if self.permanent and self.status != "failed":
            raise ValueError("permanent is for a failed message only")
        return self

    def receipt(self) -> Receipt:
        if self.status == "delivered":
            state = DeliveryState.DELIVERED
        elif self.permanent:
            state = DeliveryState.FAILED_PERMANENT
        else:
            state = DeliveryState.FAILED_TEMPORARY
        reason = _CONTACT_LIKE.sub("[…]", self.reason) if self.reason else None
        return Receipt(self.reference.lower(), state, reason, self.occurred_at)


class ReceiptAnswer(BaseModel):
    state: Literal["delivered", "failed_temporary", "failed_permanent"] = Field(
        description="The message's state now."
    )
    verdict: Literal["applied", "repeated"] = Field(
        description="`repeated`: it already was in that state; nothing changed."
    )


_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Missing, wrong or stale signature, or no secret for the channel."},
    404: {"description": "No message was sent with this reference on this channel."},
    409: {"description": "The message's state is final and says otherwise; nothing changed."},
    422: {"description": "Unknown channel or a body that does not follow the schema."},
}


_REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ReceiptBody.model_json_schema()}},
}
"""Documented by hand: the body is parsed only once its signature is checked."""


def _secret_of(secrets: ReceiptSecrets) -> Callable[[str], str]:
    if callable(secrets):
        return secrets
    return lambda channel: secrets.get(channel, "")


def _signed_receipt(
    secret_of: Callable[[str], str], now: Callable[[], float]
) -> Callable[..., Awaitable[ReceiptBody]]:
    """The dependency reading a receipt: its signature over the raw body first (nothing
    unsigned is even parsed), then the body."""

    async def signed_receipt(
        request: Request,
        channel: ReceiptChannel,
        signature: Annotated[
            str | None,
            Header(
                alias=SIGNATURE_HEADER,
                description="`t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + raw body>` "
                "with the channel's shared secret; at most 300 s old.",
            ),
        ] = None,
    ) -> ReceiptBody:
        raw = await request.body()
        if not secret_of(channel):
            raise Problem(401, "Receipts refused", f"no receipt secret is set for {channel}")
        if not verify(secret_of(channel), signature, raw, int(now())):
            raise Problem(401, "Receipts refused", f"missing, wrong or stale {SIGNATURE_HEADER}")
        try:
            return ReceiptBody.model_validate_json(raw)
        except ValidationError as exc:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            raise RequestValidationError(errors) from None

    return signed_receipt


def receipts_router(
    apply: ApplyReceipt, secrets: ReceiptSecrets, *, now: Callable[[], float] = time.time
) -> APIRouter:
    """The webhook, for a service to ``include_router``."""
    signed_receipt = _signed_receipt(_secret_of(secrets), now)
    router = APIRouter(tags=["delivery receipts"])

    @router.post(
        "/v1/delivery-receipts/{channel}",
        summary="A provider reports what became of a message.",
        response_model=ReceiptAnswer,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _REQUEST_BODY},
    )
    def receive(
        channel: ReceiptChannel, body: Annotated[ReceiptBody, Depends(signed_receipt)]
    ) -> ReceiptAnswer:
        receipt = body.receipt()
        verdict = apply(channel, receipt)
        _log.info(
            "delivery receipt",
            extra={
                "channel": channel,
                "reference": receipt.reference,
                "state": receipt.state.value,
                "verdict": verdict.value if verdict else "unknown",
            },
        )
        if verdict is None:
            raise Problem(404, "Unknown message", f"no {channel} message has this reference")
        if verdict is Verdict.OUT_OF_ORDER:
            raise Problem(409, "Receipt out of order", "the message's state is already final")
        return ReceiptAnswer.model_validate({"state": receipt.state, "verdict": verdict})

    return router
