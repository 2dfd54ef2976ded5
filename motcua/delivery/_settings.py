"""The channels' settings, shared by every service that sends (its settings extend
:class:`DeliverySettings`); an empty endpoint makes the channel record instead of send."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from motcua.delivery._answers import RecordingAnswers, RecordingReceiptsMode
from motcua.delivery._channels import Channel, RecordingChannel, SmsGateway, SmtpMailer, ZaloOA
from motcua.delivery._quiet_hours import QuietHours
from motcua.delivery._retry import RetryPolicy
from motcua.delivery._sms import SmsAlphabet
from motcua.settings import ServiceSettings


class DeliverySettings(ServiceSettings):
    """Channels, quiet hours and retries (every one in docs/settings.md)."""

    sms_gateway_url: str = Field(
        default="", description="SMS gateway endpoint (HTTP POST JSON); empty = record only."
    )
    sms_gateway_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token of the SMS gateway, if it needs one."
    )
    sms_alphabet: SmsAlphabet = Field(
        default="unicode",
        description="`unicode`: SMS in Vietnamese with accents (UCS-2, 70 characters a message); "
        "`gsm7`: accents stripped (160 characters a message, reads worse).",
    )
    smtp_host: str = Field(default="", description="SMTP relay for e-mail; empty = record only.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Port of the SMTP relay.")
    smtp_from: str = Field(
        default="khong-tra-loi@motcua.local", description="Sender address of the e-mails."
    )
    zalo_oa_url: str = Field(
        default="", description="Zalo OA template-message endpoint; empty = record only."
    )
    zalo_oa_token: SecretStr = Field(default=SecretStr(""), description="Zalo OA access token.")
    zalo_template_id: str = Field(default="", description="Approved Zalo template of the messages.")
    quiet_hours: str = Field(
        default="21:00-07:00",
        description="No message is sent in this local time window (`HH:MM-HH:MM`; empty = none).",
    )
    quiet_hours_zone: str = Field(
        default="Asia/Ho_Chi_Minh", description="Time zone of the quiet hours."
    )
    delivery_max_attempts: int = Field(
        default=5, ge=1, description="Tries of one message before it is given up."
    )
    delivery_retry_initial_s: float = Field(
        default=2.0, gt=0, description="First wait between tries (doubles, with jitter)."
    )
    delivery_retry_max_s: float = Field(
        default=60.0, gt=0, description="Longest wait between tries."
    )
    delivery_receipt_secret_sms: SecretStr = Field(
        default=SecretStr(""),
        description="Secret the SMS gateway signs its receipts with; empty = refuse them all.",
    )
    delivery_receipt_secret_zalo: SecretStr = Field(
        default=SecretStr(""),
        description="Secret Zalo OA's receipts are signed with; empty = refuse them all.",
    )
    delivery_receipt_secret_email: SecretStr = Field(
        default=SecretStr(""),
        description="Secret the mail system's bounce processor signs with; empty = refuse all.",
    )
    delivery_callback_base_url: str = Field(
        default="",
        description="This service's public address providers post receipts to "
        "(`<base>/v1/delivery-receipts/<channel>`); empty = the providers are told elsewhere.",
    )
    delivery_lease_s: float = Field(
        default=600.0,
        ge=5.0,
        description="How long a sender's claim on a message lasts: a sender killed holding "
        "it is taken over after this long (the message may then go twice, never zero times).",
    )
    recording_receipts: RecordingReceiptsMode = Field(
        default="none",
        description="How a recording channel answers: `none`, `delivered`, `failed` or `demo`.",
    )

    @model_validator(mode="after")
    def _recording_receipts_can_be_posted(self) -> Self:
        """A recording channel told to answer needs where, and the secret to sign with."""
        if self.recording_receipts == "none":
            return self
        if not self.delivery_callback_base_url:
            raise ValueError("RECORDING_RECEIPTS needs DELIVERY_CALLBACK_BASE_URL")
        for channel in recording_channels(self):
            if not receipt_secret(self, channel):
                name = f"DELIVERY_RECEIPT_SECRET_{channel.upper()}"
                raise ValueError(f"RECORDING_RECEIPTS needs {name} (the {channel} channel records)")
        return self


def recording_channels(settings: DeliverySettings) -> list[str]:
    """The channels whose endpoint is empty: they record instead of sending."""
    endpoints = {
        "sms": settings.sms_gateway_url,
        "email": settings.smtp_host,
        "zalo": settings.zalo_oa_url,
    }
    return [channel for channel, endpoint in endpoints.items() if not endpoint]


def receipt_secret(settings: DeliverySettings, channel: str) -> str:
    """The secret ``channel``'s receipts are signed with ("" for an unknown channel)."""
    secret: SecretStr | None = getattr(settings, f"delivery_receipt_secret_{channel}", None)
    return secret.get_secret_value() if secret is not None else ""


def callback_url(settings: DeliverySettings, channel: str) -> str | None:
    """Where ``channel``'s provider posts its receipts (this service's own webhook)."""
    base = settings.delivery_callback_base_url.rstrip("/")
    return f"{base}/v1/delivery-receipts/{channel}" if base else None


def _recording(settings: DeliverySettings, channel: str) -> RecordingChannel:
    url = callback_url(settings, channel)
    if settings.recording_receipts == "none" or url is None:
        return RecordingChannel(channel)
    answers = RecordingAnswers(settings.recording_receipts, url, receipt_secret(settings, channel))
    return RecordingChannel(channel, answers)


def build_channels(settings: DeliverySettings) -> dict[str, Channel]:
    """The channels the settings make real; the rest record what they would send."""
    return {
        "sms": (
            SmsGateway(
                settings.sms_gateway_url,
                settings.sms_gateway_token.get_secret_value(),
                callback_url=callback_url(settings, "sms"),
            )
            if settings.sms_gateway_url
            else _recording(settings, "sms")
        ),
        "email": (
            SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_from)
            if settings.smtp_host
            else _recording(settings, "email")
        ),
        "zalo": (
            ZaloOA(
                settings.zalo_oa_url,
                settings.zalo_oa_token.get_secret_value(),
                settings.zalo_template_id,
                callback_url=callback_url(settings, "zalo"),
            )
            if settings.zalo_oa_url
            else _recording(settings, "zalo")
        ),
    }


def quiet_hours(settings: DeliverySettings) -> QuietHours | None:
    return QuietHours.parse(settings.quiet_hours, settings.quiet_hours_zone)


def retry_policy(settings: DeliverySettings) -> RetryPolicy:
    return RetryPolicy(
        settings.delivery_max_attempts,
        settings.delivery_retry_initial_s,
        settings.delivery_retry_max_s,
    )
