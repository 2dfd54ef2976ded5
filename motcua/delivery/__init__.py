"""Message delivery every service shares: the channels (SMS gateway, SMTP, Zalo OA and
the recording channel of the local stack), retries with capped backoff and jitter, quiet
hours, masking of contacts, the SMS alphabet (:func:`sms_text`, :func:`sms_segments`),
the citizen's contact (and the agency's name and phone) asked from intake at send time,
and the sender loop over a service's own table of messages.

A service keeps its texts, its table and its rules: it implements a
:class:`DeliveryStore` over its table, subclasses :class:`SenderLoop` with what one
message's delivery is (compose the text, :func:`send_with_retries`), and its settings
extend :class:`DeliverySettings` (:func:`build_channels`, :func:`quiet_hours`,
:func:`retry_policy`). Providers report back on the webhook of :func:`receipts_router`,
applied by the service's own function. See docs/delivery.md.
"""

from __future__ import annotations

from motcua.delivery._answers import RecordingAnswers, RecordingReceiptsMode
from motcua.delivery._channels import (
    Channel,
    PermanentSendError,
    RecordingChannel,
    SendFailed,
    SmsGateway,
    SmtpMailer,
    TransientSendError,
    ZaloOA,
)
from motcua.delivery._contacts import Contact, ContactDirectory, IntakeContacts, IntakeUnavailable
from motcua.delivery._masking import mask_destination, mask_email, mask_phone
from motcua.delivery._message import Attachment, Message
from motcua.delivery._quiet_hours import QuietHours, next_allowed
from motcua.delivery._receipts import (
    FINAL_STATES,
    RECEIPT_STATES,
    SIGNATURE_HEADER,
    DeliveryState,
    Receipt,
    Verdict,
    judge,
    sign,
    verify,
)
from motcua.delivery._retry import AttemptSeen, RetryPolicy, Sent, send_with_retries
from motcua.delivery._sender import DeliveryStore, RecordedRow, SenderLoop, utc_now
from motcua.delivery._settings import (
    DeliverySettings,
    build_channels,
    callback_url,
    quiet_hours,
    receipt_secret,
    retry_policy,
)
from motcua.delivery._sms import SmsAlphabet, is_gsm7, sms_segments, sms_text
from motcua.delivery._webhooks import (
    ApplyReceipt,
    ReceiptAnswer,
    ReceiptBody,
    ReceiptSecrets,
    receipts_router,
)

__all__ = [
    "FINAL_STATES",
    "RECEIPT_STATES",
    "SIGNATURE_HEADER",
    "ApplyReceipt",
    "Attachment",
    "AttemptSeen",
    "Channel",
    "Contact",
    "ContactDirectory",
    "DeliverySettings",
    "DeliveryState",
    "DeliveryStore",
    "IntakeContacts",
    "IntakeUnavailable",
    "Message",
    "PermanentSendError",
    "QuietHours",
    "Receipt",
    "ReceiptAnswer",
    "ReceiptBody",
    "ReceiptSecrets",
    "RecordedRow",
    "RecordingAnswers",
    "RecordingChannel",
    "RecordingReceiptsMode",
    "RetryPolicy",
    "SendFailed",
    "SenderLoop",
    "Sent",
    "SmsAlphabet",
    "SmsGateway",
    "SmtpMailer",
    "TransientSendError",
    "Verdict",
    "ZaloOA",
    "build_channels",
    "callback_url",
    "is_gsm7",
    "judge",
    "mask_destination",
    "mask_email",
    "mask_phone",
    "next_allowed",
    "quiet_hours",
    "receipt_secret",
    "receipts_router",
    "retry_policy",
    "send_with_retries",
    "sign",
    "sms_segments",
    "sms_text",
    "utc_now",
    "verify",
]
