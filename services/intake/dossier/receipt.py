"""The receipt and appointment slip, Mẫu 01 (Thông tư 01/2018 Điều 9). Pure.

It names the citizen, so it is built on request from intake's own tables and handed to
the calling desk system; it is never stored in an event, an outcome or a log.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from motcua.documents import Document, Paragraph, Row, place_name
from motcua.dossier import LOCAL_ZONE

CHANNELS = {"in_person": "trực tiếp", "postal": "qua dịch vụ bưu chính", "online": "trực tuyến"}
UNITS = {"working_days": "ngày làm việc", "working_hours": "giờ làm việc", "calendar_days": "ngày"}
SIGNER_NOTE = "(Ký, ghi rõ họ tên)"
ANONYMISED = "Đã ẩn danh theo quy định lưu trữ"
"""Where the applicant was named, once their data is anonymised (docs/personal-data.md)."""


@dataclass(frozen=True)
class Receipt:
    agency: str
    parent_agency: str | None
    agency_address: str | None
    agency_head_title: str | None
    """The position the agency's head signs with ("Trưởng Công an phường")."""
    agency_phone: str | None
    """The agency's public number for citizens' questions."""
    dossier_code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    applicant_phone: str | None
    applicant_email: str | None
    applicant_address: str | None
    contact_preference: str
    """How the citizen asked to be told (``sms``, ``email``, ``zalo``, ``phone``, ``post``,
    ``none``): the services that write to them read it here, at send time."""
    channel: str
    documents: tuple[str, ...]
    processing_amount: int
    processing_unit: str
    received_at: datetime
    due_at: datetime
    applicant_anonymised: bool = False
    """The applicant's personal data was anonymised after retention: ``applicant_name``
    says so, and their other fields are null."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        # In Vietnam's time, whether built from the request or read back from the tables.
        data["received_at"] = self.received_at.astimezone(LOCAL_ZONE).isoformat()
        data["due_at"] = self.due_at.astimezone(LOCAL_ZONE).isoformat()
        data["documents"] = list(self.documents)
        return data

    def document(self) -> Document:
        received = self.received_at.astimezone(LOCAL_ZONE)
        due = self.due_at.astimezone(LOCAL_ZONE)
        contacts = "; ".join(
            value for value in (self.applicant_phone, self.applicant_email) if value
        )
        body: list[Row | Paragraph] = [
            Row("Mã hồ sơ", self.dossier_code),
            Row("Tiếp nhận hồ sơ của", self.applicant_name),
        ]
        if self.applicant_address:
            body.append(Row("Địa chỉ", self.applicant_address))
        if contacts:
            body.append(Row("Số điện thoại / thư điện tử", contacts))
        body += [
            Row("Nội dung yêu cầu giải quyết", f"{self.procedure_name} ({self.procedure_code})"),
            Row("Hình thức nộp", CHANNELS.get(self.channel, self.channel)),
            Paragraph("Thành phần hồ sơ và số lượng mỗi loại giấy tờ gồm:", bold=True),
            *(Paragraph(f"{n}. {doc}") for n, doc in enumerate(self.documents, 1)),
            Row("Số lượng hồ sơ", "01 bộ"),
            Row(
                "Thời gian giải quyết hồ sơ theo quy định",
                f"{self.processing_amount} {UNITS.get(self.processing_unit, self.processing_unit)}",
            ),
            Row(
                "Thời gian nhận hồ sơ",
                f"{received:%H} giờ {received:%M} phút, ngày {received:%d/%m/%Y}",
            ),
            Row(
                "Thời gian trả kết quả giải quyết hồ sơ",
                f"{due:%H} giờ {due:%M} phút, ngày {due:%d/%m/%Y}",
            ),
            Row("Nhận kết quả tại", self.agency_address or self.agency),
        ]
        place = place_name(self.agency_address)
        date = f"ngày {received:%d} tháng {received:%m} năm {received:%Y}"
        return Document(
            parent_agency=self.parent_agency,
            agency=self.agency,
            title="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            body=tuple(body),
            place_and_date=f"{place}, {date}" if place else date.capitalize(),
            signer_title="NGƯỜI TIẾP NHẬN HỒ SƠ",
            signer_note=SIGNER_NOTE,
            subtitle="(Mẫu số 01)",
        )
