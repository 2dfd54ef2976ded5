"""Every Vietnamese text the officers' pages show, in one place, and the filters that put
dates and durations into words — so the board, ratings and reporting read alike.

Templates see the texts as ``t`` (``{{ t.board_title }}``); a missing key is an error at
render time, never an empty label. Identifiers stay English; only values are Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from motcua.dossier import LOCAL_ZONE

TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "app_title": "Motcua — cán bộ trực",
        "skip_to_content": "Bỏ qua, đến nội dung chính",
        "main_nav": "Các phân hệ",
        "nav_board": "Bảng theo dõi",
        "nav_ratings": "Đánh giá",
        "nav_reporting": "Báo cáo",
        "signed_in_as": "Cán bộ",
        "unit": "Đơn vị",
        "logout": "Đăng xuất",
        "login_title": "Đăng nhập cán bộ trực",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "login": "Đăng nhập",
        "login_missing": "Nhập tên đăng nhập và mật khẩu.",
        "login_wrong": "Sai tên đăng nhập hoặc mật khẩu.",
        "forbidden_title": "Không có quyền",
        "signin_unavailable_title": "Chưa cấu hình đăng nhập",
        "signin_unavailable_text": "Dịch vụ chưa có khóa công khai để kiểm tra đăng nhập "
        "(OFFICER_TOKEN_PUBLIC_KEY_FILE).",
        "ratings_staff_title": "Đánh giá sự hài lòng",
        "ratings_staff_only": "Trang này dành cho cán bộ nhập phiếu, thủ trưởng và lãnh đạo "
        "đơn vị.",
        "reporting_title": "Báo cáo kết quả giải quyết hồ sơ",
        "reporting_leaders_only": "Trang này dành cho lãnh đạo và thủ trưởng đơn vị.",
        "not_acknowledged": "Chưa ai xem",
        "letter_owed": "Chưa ban hành phiếu",
        "forbidden_text": "Tài khoản của bạn không có vai trò được dùng chức năng này.",
        "back_to_board": "← Bảng theo dõi",
        "board_title": "Bảng theo dõi hạn giải quyết hồ sơ",
        "board_hint": "Cập nhật trực tiếp; sắp xếp theo thời gian còn lại.",
        "board_refresh": "Làm mới",
        "board_empty": "Không có hồ sơ sắp đến hạn hay quá hạn.",
        "board_invalid": "Bộ lọc chưa hợp lệ; sửa lại rồi bấm Lọc.",
        "counts_label": "Số hồ sơ theo tình trạng",
        "count_total": "Tất cả",
        "count_letters_to_issue": "Phiếu xin lỗi cần ban hành",
        "filter_legend": "Lọc hồ sơ",
        "filter_unit": "Đơn vị",
        "filter_status": "Trạng thái",
        "filter_procedure": "Thủ tục",
        "filter_field": "Lĩnh vực",
        "filter_letter": "Phiếu xin lỗi cần ban hành",
        "filter_any": "Tất cả",
        "filter_submit": "Lọc",
        "filter_reset": "Bỏ lọc",
        "next_page": "Trang sau",
        "first_page": "Về trang đầu",
        "download_csv": "Tải CSV",
        "col_dossier": "Mã hồ sơ",
        "col_procedure": "Thủ tục",
        "col_unit": "Đơn vị",
        "col_due": "Hẹn trả",
        "col_left": "Thời gian",
        "col_status": "Tình trạng",
        "col_letter": "Phiếu xin lỗi",
        "col_actions": "Thao tác",
        "csv_procedure_code": "Mã thủ tục",
        "csv_unit_code": "Mã đơn vị",
        "csv_letter_deadline": "Hạn gửi phiếu xin lỗi",
        "csv_letter_number": "Số phiếu",
        "csv_acknowledged_by": "Người đã xem",
        "overdue_again": "Quá hạn lần hai — báo cáo lãnh đạo",
        "write_letter": "Lập phiếu xin lỗi",
        "letter_due": "Hạn gửi",
        "letter_short": "Phiếu",
        "letter_version": "bản",
        "acknowledge": "Đã xem",
        "acknowledged_by": "Đã xem:",
        "dossier": "hồ sơ",
        "letter_title": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "letter_facts_dossier": "Hồ sơ",
        "letter_facts_procedure": "thủ tục",
        "letter_facts_due": "hẹn trả",
        "letter_reason": "Lý do chậm trễ",
        "letter_extension": "Gia hạn thêm (ngày làm việc)",
        "letter_rule": "Ngày hẹn mới được tính theo ngày làm việc (trừ thứ Bảy, Chủ nhật, "
        "ngày lễ) và chỉ được hẹn lại một lần.",
        "letter_issue": "Xác nhận và phát hành phiếu xin lỗi",
        "letter_issued": "Đã phát hành phiếu số",
        "letter_new_due": "ngày hẹn mới",
        "letter_open_pdf": "Mở / in phiếu",
        "letter_correction_rule": "Đính chính tạo bản mới của cùng phiếu; ngày hẹn mới giữ nguyên.",
        "letter_correct": "Phát hành bản đính chính",
        "letter_intake_down": "Chưa lấy được thông tin công dân từ hệ thống tiếp nhận ({detail}); "
        "phiếu vẫn là bản nháp, hãy thử lại.",
        "not_found": "Không tìm thấy",
        "not_on_board": "Hồ sơ không có trên bảng của đơn vị bạn.",
        "no_letter_here": "Hồ sơ này không có phiếu xin lỗi trên bảng của bạn.",
        "error_summary": "Có lỗi cần sửa",
        "time_overdue": "Quá hạn",
        "time_left": "Còn",
        "days": "ngày",
        "hours": "giờ",
        "minutes": "phút",
    }
)

STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {"due_soon": "Sắp đến hạn", "overdue": "Quá hạn", "rescheduled": "Đã hẹn lại"}
)
"""A dossier's status on the board, as an officer says it."""

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "residence": "Cư trú",
        "identity": "Căn cước",
        "exit_entry": "Xuất nhập cảnh",
        "vehicle_registration": "Đăng ký xe",
        "fire_safety": "Phòng cháy chữa cháy",
    }
)
"""The procedure catalogue's fields (lĩnh vực), in the catalogue's order."""

LETTER_STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {"draft": "Chưa ban hành", "issued": "Đã ban hành"}
)

FILTER_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "unit": "Chọn một đơn vị thuộc phạm vi bạn theo dõi.",
        "status": "Chọn một trạng thái trong danh sách.",
        "procedure": "Chọn một thủ tục trong danh sách.",
        "field": "Chọn một lĩnh vực trong danh sách.",
        "letter": "Giá trị không hợp lệ.",
        "dossier_code": "Mã hồ sơ quá dài hoặc có ký tự không hợp lệ.",
        "cursor": "Liên kết trang không hợp lệ; hãy về trang đầu.",
        "limit": "Số dòng mỗi trang không hợp lệ.",
    }
)
"""What to tell an officer about a filter the board refused, per URL parameter."""

LETTER_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "reason_required": "Nhập lý do chậm trả kết quả.",
        "reason_too_long": "Lý do dài tối đa {most} ký tự.",
        "extension_not_a_number": "Nhập số ngày làm việc gia hạn (một số nguyên).",
        "extension_out_of_range": "Số ngày làm việc gia hạn từ 1 đến {most}.",
        "appointment_fixed": "Ngày hẹn mới đã được ấn định một lần ({date}); bản đính chính "
        "giữ nguyên ngày này.",
    }
)
"""What to tell an officer about a letter the rules refuse, per rule (LetterRuleError)."""

LOCAL_FORMAT = "%H:%M %d/%m/%Y"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def field_label(field_code: str) -> str:
    return FIELD_LABELS.get(field_code, field_code)


def local_time(moment: datetime) -> str:
    """``HH:MM dd/mm/YYYY`` in Hà Nội time, how dates are written on Vietnamese papers."""
    return moment.astimezone(LOCAL_ZONE).strftime(LOCAL_FORMAT)


def local_date(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%d/%m/%Y")


def duration_words(seconds: float) -> str:
    """Time left (or overdue) in words an officer reads at a glance: days and hours beyond
    a day, hours and minutes within one."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} {TEXTS['days']} {hours} {TEXTS['hours']}"
    else:
        text = f"{hours} {TEXTS['hours']} {mins} {TEXTS['minutes']}"
    return f"{TEXTS['time_overdue' if seconds < 0 else 'time_left']} {text}"


def time_left(moment: datetime, now: datetime) -> str:
    """The ``time_left`` filter: ``{{ item.due_at | time_left(now) }}``."""
    return duration_words((moment - now).total_seconds())


ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "duty_officer": "Cán bộ trực",
        "unit_head": "Thủ trưởng đơn vị",
        "leader": "Lãnh đạo",
        "staff_entry": "Cán bộ nhập phiếu",
    }
)


INVITATION_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        # SMS: without diacritics, so it stays in the GSM alphabet and one 160-character
        # message with the link (a Vietnamese text with accents is UCS-2: 70 characters).
        "sms_invite": "Moi ong/ba danh gia su hai long ve ho so {code}: {link} (den {expires})",
        "sms_reminder": "Nhac: ong/ba chua danh gia ho so {code}. Danh gia tai {link} "
        "(den {expires})",
        "email_subject_invite": "Mời ông/bà đánh giá sự hài lòng – hồ sơ {code}",
        "email_subject_reminder": "Nhắc lại: mời ông/bà đánh giá sự hài lòng – hồ sơ {code}",
        "email_invite": "Kính gửi ông/bà,\n\n{outcome_line}\n\nMời ông/bà dành một phút đánh giá "
        "mức độ hài lòng về việc giải quyết hồ sơ (Nghị định 61/2018/NĐ-CP, Điều 31) tại:\n"
        "{link}\n\nĐường dẫn dùng một lần, có hiệu lực đến {expires}.\n\nTrân trọng cảm ơn.",
        "email_reminder": "Kính gửi ông/bà,\n\nÔng/bà chưa đánh giá việc giải quyết hồ sơ "
        "{code}. Ý kiến của ông/bà giúp cơ quan phục vụ tốt hơn:\n{link}\n\nĐường dẫn có "
        "hiệu lực đến {expires}.\n\nTrân trọng cảm ơn.",
        "outcome_returned": "Hồ sơ {code} của ông/bà đã được trả kết quả.",
        "outcome_rejected": "Hồ sơ {code} của ông/bà đã được trả lời từ chối giải quyết.",
        "zalo_invite": "Mời ông/bà đánh giá sự hài lòng về hồ sơ {code}",
        "zalo_reminder": "Nhắc lại: mời ông/bà đánh giá sự hài lòng về hồ sơ {code}",
    }
)
"""What a citizen receives: ``{code}`` the dossier code, ``{link}`` the short link,
``{expires}`` the last day it works (dd/mm/yyyy)."""

INVITATION_PAGE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "messages_title": "Lời mời đánh giá đã gửi",
        "messages_intro": "Tin nhắn mời đánh giá mà các kênh ghi lại (môi trường thử: không tin "
        "nào thật sự được gửi). Bấm đường dẫn để mở phiếu đánh giá như công dân.",
        "messages_empty": "Chưa có tin nhắn nào.",
        "col_recorded_at": "Thời điểm",
        "col_dossier": "Hồ sơ",
        "col_channel": "Kênh",
        "col_kind": "Loại",
        "col_destination": "Người nhận",
        "col_link": "Đường dẫn",
        "col_text": "Nội dung",
        "col_error": "Lỗi cuối cùng",
        "col_attempts": "Số lần thử",
        "kind_invite": "Lời mời",
        "kind_reminder": "Nhắc lại",
        "channel_sms": "SMS",
        "channel_email": "Thư điện tử",
        "channel_zalo": "Zalo",
        "channel_qr": "Mã QR",
        "given_up_title": "Lời mời không gửi được",
        "given_up_empty": "Không có lời mời nào bị bỏ dở.",
        "next_page": "Trang sau",
        "qr_label": "Mã QR",
    }
)
