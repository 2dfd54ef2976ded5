"""The apology letter, Mẫu 04 "Phiếu xin lỗi và hẹn lại ngày trả kết quả". Pure.

Nghị định 61/2018 Điều 19 khoản 9: a dossier that will be late gets, no later than one
working day before its due date, a written apology stating the reason and a new
appointment date; the appointment moves once only. The letter names the citizen, so its
content is assembled on request (citizen details come from intake) and rendered to PDF; it
never travels in an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from motcua.calendar import WorkingCalendar
from motcua.documents import Document, Paragraph, Row
from motcua.dossier import LOCAL_ZONE

MAX_EXTENSION_WORKING_DAYS = 60
MAX_REASON_LENGTH = 2000
SIGNER_NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"
HEAD_TITLES = (
    ("Công an phường ", "Trưởng Công an phường"),
    ("Công an xã ", "Trưởng Công an xã"),
    ("Công an đặc khu ", "Trưởng Công an đặc khu"),
    ("Công an thị trấn ", "Trưởng Công an thị trấn"),
    ("Công an tỉnh ", "Giám đốc"),
    ("Phòng ", "Trưởng phòng"),
    ("Cục ", "Cục trưởng"),
    ("Bộ ", "Bộ trưởng"),
)
"""The head's title by the kind of unit its name starts with, for a unit whose data has
none; "Công an thành phố" is left out: a city's police is led by a Giám đốc when the city
is a province, by a Trưởng Công an thành phố when it is not."""
ANY_HEAD = "Thủ trưởng cơ quan"


class LetterRuleError(ValueError):
    """The officer's input breaks a rule of the apology letter; ``field`` names the input,
    ``rule`` the rule (the pages say it in Vietnamese from it, with ``details``)."""

    def __init__(self, field: str, rule: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
        self.details = details


def clean_reason(reason: str) -> str:
    """The reason as it will be printed: required, bounded, whitespace tidied."""
    text = " ".join(reason.split())
    if not text:
        raise LetterRuleError("reason", "reason_required", "the reason for the delay is required")
    if len(text) > MAX_REASON_LENGTH:
        raise LetterRuleError(
            "reason",
            "reason_too_long",
            f"at most {MAX_REASON_LENGTH} characters",
            most=MAX_REASON_LENGTH,
        )
    return text


def new_appointment(
    original_due_at: datetime,
    extension_working_days: int,
    now: datetime,
    calendar: WorkingCalendar,
) -> datetime:
    """The new appointment: ``extension_working_days`` working days after the original due
    date, or after now when the letter comes after the due date (a new date in the past
    would promise nothing)."""
    if not 1 <= extension_working_days <= MAX_EXTENSION_WORKING_DAYS:
        raise LetterRuleError(
            "extension_working_days",
            "extension_out_of_range",
            f"between 1 and {MAX_EXTENSION_WORKING_DAYS} working days",
            most=MAX_EXTENSION_WORKING_DAYS,
        )
    start = max(original_due_at, now.replace(second=0, microsecond=0))
    return calendar.add_working_days(start, extension_working_days).astimezone(LOCAL_ZONE)


def head_title_of(agency: str) -> str:
    """The title a unit's head signs with, read from the kind of unit its name states."""
    for prefix, title in HEAD_TITLES:
        if agency.lower().startswith(prefix.lower()):
            return title
    return ANY_HEAD


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_ZONE)


def _day(moment: datetime) -> str:
    local = _local(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


@dataclass(frozen=True)
class ApologyLetter:
    """Everything Mẫu 04 prints, for one version of one letter."""

    agency: str
    parent_agency: str | None
    place: str
    letter_number: str
    version: int
    citizen_name: str
    citizen_address: str | None
    dossier_code: str
    procedure_name: str
    received_at: datetime
    original_due_at: datetime
    reason: str
    new_due_at: datetime
    issued_at: datetime
    agency_head_title: str | None = None
    """The position the agency's head signs with, as intake's unit data states it."""

    def document(self) -> Document:
        issued = _local(self.issued_at)
        body: tuple[Row | Paragraph, ...] = (
            Paragraph(
                f"Ngày {_local(self.received_at):%d/%m/%Y}, {self.agency} tiếp nhận hồ sơ "
                f"đề nghị giải quyết thủ tục hành chính: {self.procedure_name}, "
                f"mã hồ sơ {self.dossier_code}."
            ),
            Row("Thời gian hẹn trả kết quả giải quyết hồ sơ", _day(self.original_due_at)),
            Paragraph(
                "Tuy nhiên, đến nay cơ quan chưa trả kết quả giải quyết hồ sơ cho ông/bà "
                "đúng thời hạn như đã hẹn trong Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
            ),
            Row("Lý do", self.reason),
            Paragraph(
                f"{self.agency} xin lỗi ông/bà vì sự chậm trễ này và hẹn lại thời gian trả "
                "kết quả như sau:",
            ),
            Row("Thời gian trả kết quả", _day(self.new_due_at)),
            Paragraph("Mong nhận được sự thông cảm của ông/bà. Trân trọng."),
        )
        return Document(
            parent_agency=self.parent_agency,
            agency=self.agency,
            number=self.letter_number,
            title="PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            subtitle="(Mẫu số 04)" if self.version == 1 else f"(Mẫu số 04 — bản {self.version})",
            addressee=self.citizen_name,
            addressee_address=self.citizen_address,
            body=body,
            place_and_date=f"{self.place}, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
            recipients=("Như trên", "Bộ phận Tiếp nhận và Trả kết quả", "Lưu: VT"),
            signer_title=self.agency_head_title or head_title_of(self.agency),
            signer_note=SIGNER_NOTE,
        )
