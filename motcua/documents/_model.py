"""The shape every Motcua form shares (Thông tư 01/2018 layouts: header, title, body, signature)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


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
    parent_agency: str | None = None
    number: str | None = None
    subtitle: str | None = None
    recipients: tuple[str, ...] = ()
    page: Literal["A4", "A5"] = "A4"
    extra_lines: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """The document as plain text, in reading order (for previews and tests)."""
        lines = [self.parent_agency or "", self.agency, NATION, MOTTO]
        if self.number:
            lines.append(f"Số: {self.number}")
        lines += [self.place_and_date, self.title]
        if self.subtitle:
            lines.append(self.subtitle)
        for item in self.body:
            lines.append(f"{item.label}: {item.value}" if isinstance(item, Row) else item.text)
        lines += list(self.extra_lines)
        if self.recipients:
            lines.append("Nơi nhận:")
            lines += [f"- {recipient}" for recipient in self.recipients]
        lines.append(self.signer_title)
        return "\n".join(line for line in lines if line)
