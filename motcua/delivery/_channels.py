"""The channels behind one interface: the SMS gateway and Zalo OA (HTTP), e-mail (SMTP),
and the recording channel of the local stack and the tests, which keeps what it would
have sent for the sender to write to its service's ``recorded_messages`` (so a demo user
can follow the link).

A channel raises :class:`TransientSendError` for what may pass (timeouts, 5xx, 429: the
sender retries) and :class:`PermanentSendError` for what will not (a refused number).
Their reasons are written by this module and never quote the destination or the
provider's answer, which may echo it: they end up in the give-up state and in logs.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Protocol

import aiohttp

from motcua.delivery._answers import Answerer, RecordingAnswers
from motcua.delivery._masking import mask_destination
from motcua.delivery._message import Message


class SendFailed(RuntimeError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(SendFailed):
    """Worth trying again (with backoff)."""


class PermanentSendError(SendFailed):
    """Trying again would fail the same way."""


class Channel(Protocol):
    name: str

    async def send(self, message: Message, destination: str) -> None: ...

    async def close(self) -> None: ...


def _http_failure(service: str, status: int) -> SendFailed:
    if status in (408, 425, 429) or status >= 500:
        return TransientSendError(f"{service} answered {status}")
    return PermanentSendError(f"{service} refused the message ({status})")


class _HttpChannel:
    def __init__(self, timeout_s: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _post(self, service: str, url: str, body: object, headers: dict[str, str]) -> bytes:
        try:
            async with self._client().post(url, json=body, headers=headers) as response:
                if response.status >= 300:
                    raise _http_failure(service, response.status)
                return await response.read()
        except aiohttp.ClientError as exc:
            raise TransientSendError(f"{service} unreachable: {type(exc).__name__}") from None
        except TimeoutError:
            raise TransientSendError(f"{service} did not answer in time") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _with_callback(body: Mapping[str, object], callback_url: str | None) -> dict[str, object]:
    """The request's body, telling the provider where to post its receipt."""
    return {**body, "callback_url": callback_url} if callback_url else dict(body)


class SmsGateway(_HttpChannel):
    """An SMS gateway's HTTP API: ``POST SMS_GATEWAY_URL`` with ``{"to", "text",
    "reference", "callback_url"}`` (and ``Authorization: Bearer SMS_GATEWAY_TOKEN`` when
    set); the gateway posts its receipt of ``reference`` to ``callback_url``."""

    name = "sms"

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        callback_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(timeout_s)
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._callback_url = callback_url

    async def send(self, message: Message, destination: str) -> None:
        body = {"to": destination, "text": message.text, "reference": message.reference}
        await self._post(
            "SMS gateway", self._url, _with_callback(body, self._callback_url), self._headers
        )


class ZaloOA(_HttpChannel):
    """Zalo OA's template message (ZNS) API: ``POST ZALO_OA_URL`` with the OA's access token,
    the phone number in international form, the approved template and its fields; the
    message's reference as ``tracking_id``, which Zalo's delivery callback names."""

    name = "zalo"

    def __init__(
        self,
        url: str,
        token: str,
        template_id: str,
        *,
        callback_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        super().__init__(timeout_s)
        self._url = url
        self._headers = {"access_token": token}
        self._template_id = template_id
        self._callback_url = callback_url

    async def send(self, message: Message, destination: str) -> None:
        phone = "84" + destination[1:] if destination.startswith("0") else destination.lstrip("+")
        body: dict[str, object] = {
            "phone": phone,
            "template_id": self._template_id,
            "template_data": {
                "dossier_code": message.dossier_code,
                "link": message.link,
                "text": message.text,
            },
            "tracking_id": message.reference,
        }
        answer = await self._post(
            "Zalo OA", self._url, _with_callback(body, self._callback_url), self._headers
        )
        try:
            error = json.loads(answer or b"{}").get("error", 0)
        except (ValueError, AttributeError):
            raise TransientSendError("Zalo OA answered something that is not JSON") from None
        if error:
            raise PermanentSendError(f"Zalo OA refused the message (error {error})")


class SmtpMailer:
    """E-mail through an SMTP relay (``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_FROM``); smtplib
    runs in a worker thread so the sender's loop keeps going."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, timeout_s: float = 10.0) -> None:
        self._host = host
        self._port = port
        self._from = sender
        self._timeout_s = timeout_s

    async def send(self, message: Message, destination: str) -> None:
        mail = EmailMessage()
        mail["From"] = self._from
        mail["To"] = destination
        mail["Subject"] = message.subject or ""
        # A bounce quotes it: the bounce processor's way back to the message's receipt.
        mail["Message-ID"] = f"<{message.reference}@{self._from.rpartition('@')[2]}>"
        mail.set_content(message.text)
        if message.attachment is not None:
            maintype, _, subtype = message.attachment.content_type.partition("/")
            mail.add_attachment(
                message.attachment.content,
                maintype=maintype,
                subtype=subtype,
                filename=message.attachment.filename,
            )
        await asyncio.to_thread(self._deliver, mail)

    def _deliver(self, mail: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout_s) as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise PermanentSendError("the SMTP server refused the recipient") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientSendError(f"the SMTP server answered {exc.smtp_code}") from None
            raise PermanentSendError(f"the SMTP server refused ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"SMTP server unreachable: {type(exc).__name__}") from None

    async def close(self) -> None:
        return None


class RecordingChannel:
    """Sends nothing: keeps what ``name`` would have sent, the destination masked, for the
    sender to write to its service's ``recorded_messages`` in the transaction that marks it
    sent (so a message is recorded exactly when its delivery says sent). Given
    ``answers``, it then posts the receipt a provider would (``RECORDING_RECEIPTS``)."""

    def __init__(self, name: str, answers: RecordingAnswers | None = None) -> None:
        self.name = name
        self._rows: list[dict[str, str | None]] = []
        self._answerer = Answerer(name, answers) if answers is not None else None

    async def send(self, message: Message, destination: str) -> None:
        self._rows.append(
            {
                "reference": message.reference,
                "channel": self.name,
                "kind": message.kind,
                "destination_masked": mask_destination(self.name, destination),
                "subject": message.subject,
                "link": message.link,
                "body": message.text,
                "attachment": message.attachment.filename if message.attachment else None,
            }
        )
        if self._answerer is not None:
            self._answerer.answer(message.reference)

    def take(self) -> list[dict[str, str | None]]:
        """The messages recorded since the last call (the sender writes them)."""
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        if self._answerer is not None:
            await self._answerer.close()
