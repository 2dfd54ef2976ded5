"""The shape every Motcua form shares (Thông tư 01/2018 layouts: heading, title, addressee,
body, recipients and signature), with the wording rules of Nghị định 30/2020/NĐ-CP, Phụ lục I
that change the text itself (capitals, the closing "./.", the recipients' punctuation).

The renderer prints exactly :meth:`Document.text`'s lines, so a preview or a test reads what
the paper says.
"""

from __future__ import annotations

from dataclasses import dataclass

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
CLOSING = "./."
TO = "Kính gửi"
RECIPIENTS = "Nơi nhận:"
ADDRESS = "Địa chỉ"
COMMUNE_KINDS = ("phường ", "xã ", "thị trấn ", "đặc khu ")


@dataclass(frozen=True)
class Row:
    """A labelled value: "Mã hồ sơ: 000.00.12.H01-250421-0001"."""

    label: str
    value: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Document:
    agency: str
    title: str
    body: tuple[Row | Paragraph, ...]
    place_and_date: str
    signer_title: str
    """The signer's position ("Trưởng Công an phường"); printed in capitals."""
    parent_agency: str | None = None
    number: str | None = None
    subtitle: str | None = None
    addressee: str | None = None
    """Who "Kính gửi" names; None for a form that has no addressee (the receipt)."""
    addressee_address: str | None = None
    recipients: tuple[str, ...] = ()
    signer_note: str | None = None
    """What the signer adds by hand, under the title: "(Ký, ghi rõ họ tên, đóng dấu)"."""

    def agency_lines(self) -> tuple[str | None, str]:
        """The parent agency and the issuing agency, in capitals as the heading prints them."""
        return (self.parent_agency.upper() if self.parent_agency else None), self.agency.upper()

    def addressee_lines(self) -> list[str]:
        if not self.addressee:
            return []
        lines = [f"{TO}: {self.addressee}"]
        if self.addressee_address:
            lines.append(f"{ADDRESS}: {self.addressee_address}")
        return lines

    def body_lines(self) -> list[tuple[str, bool]]:
        """Each body item as (text, bold); the last one closes with "./."."""
        lines = [
            (f"{item.label}: {item.value}", False)
            if isinstance(item, Row)
            else (item.text, item.bold)
            for item in self.body
        ]
        if lines:
            text, bold = lines[-1]
            lines[-1] = (_closed(text), bold)
        return lines

    def recipient_lines(self) -> list[str]:
        """Each recipient on a dash, a semicolon between, a full stop last ("- Lưu: VT.")."""
        last = len(self.recipients) - 1
        return [
            f"- {recipient.rstrip(';.')}{'.' if index == last else ';'}"
            for index, recipient in enumerate(self.recipients)
        ]

    def signature_lines(self) -> list[str]:
        return [self.signer_title.upper(), *([self.signer_note] if self.signer_note else [])]

    def text(self) -> str:
        """The document as plain text, in reading order (for previews and tests)."""
        parent, agency = self.agency_lines()
        lines = [parent or "", agency, NATION, MOTTO]
        if self.number:
            lines.append(f"Số: {self.number}")
        lines += [self.place_and_date, self.title]
        if self.subtitle:
            lines.append(self.subtitle)
        lines += self.addressee_lines()
        lines += [text for text, _ in self.body_lines()]
        if self.recipients:
            lines.append(RECIPIENTS)
            lines += self.recipient_lines()
        lines += self.signature_lines()
        return "\n".join(line for line in lines if line)


def _closed(text: str) -> str:
    """The text ending in "./." (a final full stop becomes part of it)."""
    text = text.rstrip()
    if text.endswith(CLOSING):
        return text
    return text.removesuffix(".") + CLOSING


def place_name(address: str | None) -> str:
    """The place a document is dated from (địa danh): the commune-level unit when the address
    names one ("phường Tây Hồ, Hà Nội" → "Phường Tây Hồ"), else the address's last part, the
    province ("87 Trần Hưng Đạo, Hà Nội" → "Hà Nội")."""
    if not address:
        return ""
    parts = [part.strip() for part in address.split(",") if part.strip()]
    for part in parts:
        if part.lower().startswith(COMMUNE_KINDS):
            return part[0].upper() + part[1:]
    return parts[-1] if parts else ""
