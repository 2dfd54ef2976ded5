"""The e-mail channel against a real SMTP server process: the apology letter's PDF
arrives attached, byte for byte, under the message's own Message-ID."""

from __future__ import annotations

import asyncio
import mailbox
from pathlib import Path

from motcua.delivery import Attachment, Message, SmtpMailer
from tests.integration.conftest import wait_for

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def test_an_email_carries_the_letter_pdf_attached_to_a_real_smtp_server(
    smtp_server: tuple[int, Path],
) -> None:
    port, maildir = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, "khong-tra-loi@congan.hanoi.gov.vn")
    message = Message(
        reference="6a0f3c1e-2b4d-4e8f-8a7b-1c9d0e2f3a4b",
        dossier_code="000.00.01.H01-261205-0001",
        channel="email",
        kind="letter",
        link="",
        subject="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        text="Kính gửi ông/bà, cơ quan giải quyết xin lỗi vì hồ sơ chậm trả kết quả.",
        attachment=Attachment("phieu-xin-loi-15-PXL-v1.pdf", "application/pdf", PDF),
    )
    asyncio.run(mailer.send(message, "thu.nguyen@example.vn"))

    wait_for(lambda: len(mailbox.Maildir(maildir)) == 1, timeout_s=20, what="the mail")
    [mail] = list(mailbox.Maildir(maildir))
    assert mail["To"] == "thu.nguyen@example.vn"
    assert mail["Message-ID"].startswith(f"<{message.reference}@")
    parts = {part.get_filename(): part for part in mail.walk() if part.get_filename()}
    assert list(parts) == ["phieu-xin-loi-15-PXL-v1.pdf"]
    pdf = parts["phieu-xin-loi-15-PXL-v1.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_payload(decode=True) == PDF
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    text = body.get_payload(decode=True)
    assert isinstance(text, bytes)
    assert "xin lỗi" in text.decode(body.get_content_charset() or "utf-8")
