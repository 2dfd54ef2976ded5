"""The channels' settings, shared by every service that sends (its settings extend
:class:`DeliverySettings`); an empty endpoint makes the channel record instead of send."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua.delivery._channels import Channel, RecordingChannel, SmsGateway, SmtpMailer, ZaloOA
from motcua.delivery._quiet_hours import QuietHours
from motcua.delivery._retry import RetryPolicy
from motcua.settings import ServiceSettings


class DeliverySettings(ServiceSettings):
    """Channels, quiet hours and retries (every one in docs/settings.md)."""

    sms_gateway_url: str = Field(
        default="", description="SMS gateway endpoint (HTTP POST JSON); empty = record only."
    )
    sms_gateway_token: SecretStr = Field(
        default=SecretStr(""), description="Bearer token of the SMS gateway, if it needs one."
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


def build_channels(settings: DeliverySettings) -> dict[str, Channel]:
    """The channels the settings make real; the rest record what they would send."""
    return {
        "sms": (
            SmsGateway(settings.sms_gateway_url, settings.sms_gateway_token.get_secret_value())
            if settings.sms_gateway_url
            else RecordingChannel("sms")
        ),
        "email": (
            SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_from)
            if settings.smtp_host
            else RecordingChannel("email")
        ),
        "zalo": (
            ZaloOA(
                settings.zalo_oa_url,
                settings.zalo_oa_token.get_secret_value(),
                settings.zalo_template_id,
            )
            if settings.zalo_oa_url
            else RecordingChannel("zalo")
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
