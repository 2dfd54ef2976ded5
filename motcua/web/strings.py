"""Every Vietnamese text the officers' pages show, in one place, and the filters that put
dates and durations into words — so the board, ratings and reporting read alike.

Templates see the texts as ``t`` (``{{ t.board_title }}``); a missing key is an error at
render time, never an empty label. Identifiers stay English; only values are Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType

from motcua.contracts import Criterion
from motcua.dossier import LOCAL_ZONE

TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "app_title": "Motcua — cán bộ trực",
        "skip_to_content": "Bỏ qua, đến nội dung chính",
        "main_nav": "Các phân hệ",
        "nav_board": "Bảng theo dõi",
        "nav_ratings": "Đánh giá",
        "nav_reporting": "Báo cáo",
        "nav_audit": "Nhật ký thao tác",
        "signed_in_as": "Cán bộ",
        "unit": "Đơn vị",
        "logout": "Đăng xuất",
        "login_title": "Đăng nhập Motcua — cán bộ",
        "login_for_board": "Đăng nhập để vào Bảng theo dõi hạn giải quyết hồ sơ.",
        "login_for_ratings": "Đăng nhập để vào trang Đánh giá sự hài lòng.",
        "login_for_reporting": "Đăng nhập để vào trang Báo cáo.",
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "login": "Đăng nhập",
        "login_missing": "Nhập tên đăng nhập và mật khẩu.",
        "login_wrong": "Sai tên đăng nhập hoặc mật khẩu.",
        "login_throttled": (
            "Đăng nhập sai quá nhiều lần. Vì an toàn, vui lòng thử lại sau {minutes} phút "
            "hoặc liên hệ quản trị hệ thống để mở khóa."
        ),
        "forbidden_title": "Không có quyền",
        "signin_unavailable_title": "Chưa cấu hình đăng nhập",
        "signin_unavailable_text": "Dịch vụ chưa có khóa công khai để kiểm tra đăng nhập "
        "(OFFICER_TOKEN_PUBLIC_KEY_FILE).",
        "ratings_staff_title": "Đánh giá sự hài lòng",
        "ratings_staff_only": "Trang này dành cho cán bộ nhập phiếu, thủ trưởng và lãnh đạo "
        "đơn vị.",
        "reporting_title": "Báo cáo kết quả giải quyết hồ sơ",
        "reporting_leaders_only": "Trang này dành cho lãnh đạo và thủ trưởng đơn vị.",
        "reporting_766": "Chỉ số theo Quyết định 766/QĐ-TTg (phần Motcua tính được)",
        "reporting_agency_total": "Điểm của cơ quan (Thông tư 01/2018)",
        "reporting_answers": "Số phiếu hợp lệ",
        "reporting_apology": "Xin lỗi khi trễ hạn",
        "reporting_apology_compliance": "Tỷ lệ xin lỗi đúng hạn",
        "reporting_apology_delivery": "Xin lỗi đến được công dân đúng hạn",
        "reporting_back": "← Về báo cáo",
        "reporting_band": "Xếp loại",
        "reporting_by_field": "Theo lĩnh vực",
        "reporting_by_procedure": "Theo thủ tục",
        "reporting_close": "Chốt số liệu",
        "reporting_closed": "Số liệu tháng này đã chốt",
        "reporting_closed_at": "Đã chốt số liệu {period} lúc {time}.",
        "reporting_closed_by": "Chốt bởi",
        "reporting_corrections": "Điều chỉnh sau khi chốt (sự kiện đến muộn)",
        "reporting_counter": "tại quầy",
        "reporting_criteria": "Điểm từng tiêu chí (Nghị định 61 Điều 31)",
        "reporting_criterion": "Tiêu chí",
        "reporting_difference": "Chênh lệch",
        "reporting_dossiers": "hồ sơ",
        "reporting_early": "trước hạn",
        "reporting_ended": "Từ chối, rút hồ sơ",
        "reporting_exports": "Tải số liệu",
        "reporting_filters": "Chọn phạm vi báo cáo",
        "reporting_finished": "Đã giải quyết",
        "unit_retired": "{name} (trước {day})",
        "reporting_finished_late": "Giải quyết quá hạn",
        "reporting_open_overdue": "Đang quá hạn",
        "reporting_formula_version": "Phiên bản công thức",
        "reporting_frozen": "Đã chốt",
        "reporting_group": "Nhóm chỉ số",
        "reporting_how": "Cách tính",
        "reporting_in_person": "trực tiếp",
        "reporting_in_time": "còn hạn",
        "reporting_itself": "hồ sơ của chính đơn vị",
        "reporting_late": "quá hạn",
        "reporting_levels": "Mức độ hài lòng chung",
        "reporting_live": "số liệu cập nhật trực tiếp",
        "reporting_measure": "Chỉ tiêu",
        "reporting_no_corrections": "Chưa có điều chỉnh nào sau khi chốt.",
        "reporting_no_data": "Chưa có số liệu của đơn vị này.",
        "reporting_no_measure": "Không có chỉ tiêu này.",
        "reporting_no_rows": "Không có số liệu.",
        "reporting_not_computed": "chưa tính được",
        "reporting_not_ranked": "Chưa đủ phiếu",
        "reporting_now": "Hiện tại",
        "reporting_officers": "Điểm cán bộ",
        "reporting_on_time": "đúng hạn",
        "reporting_on_time_rate": "Tỷ lệ đúng hạn (theo quy định)",
        "reporting_online": "trực tuyến",
        "reporting_outside": "Đơn vị này không thuộc phạm vi của bạn.",
        "reporting_overdue": "quá hạn",
        "reporting_parts": "Thành phần",
        "reporting_period": "Kỳ",
        "reporting_points": "Điểm",
        "reporting_portal_rate": "Tỷ lệ đúng hạn (cách tính của Cổng DVC)",
        "reporting_postal": "bưu chính",
        "reporting_rank": "Hạng",
        "reporting_ranking": "Xếp hạng đơn vị",
        "reporting_ranking_caption": "Đơn vị có dưới %d phiếu hợp lệ không được xếp hạng",
        "reporting_rated": "Số phiếu",
        "reporting_received": "Tiếp nhận",
        "reporting_response_rate": "Tỷ lệ phản hồi",
        "reporting_satisfaction": "Sự hài lòng",
        "reporting_satisfaction_766": "Hài lòng theo QĐ 766 (im lặng tính là hài lòng)",
        "reporting_satisfaction_valid": "Hài lòng (phiếu hợp lệ)",
        "reporting_scope": "Phạm vi",
        "reporting_score": "Điểm",
        "reporting_summary": "Tổng hợp",
        "reporting_timeliness": "Tiến độ giải quyết",
        "reporting_trend": "Diễn biến 12 tháng",
        "reporting_trend_chart": "Biểu đồ theo tháng; số liệu ở bảng phía trên",
        "reporting_trend_table": "Số liệu theo tháng",
        "reporting_units": "Theo đơn vị trực thuộc",
        "reporting_units_caption": "Bấm tên đơn vị để xem chi tiết",
        "reporting_code": "Mã",
        "public_title": "Công khai kết quả giải quyết thủ tục hành chính",
        "public_intro": (
            "Số liệu đã chốt của từng đơn vị theo tháng, quý và năm: số hồ sơ tiếp nhận, tỷ lệ "
            "giải quyết đúng hạn, tỷ lệ xin lỗi đúng hạn, mức độ hài lòng và tỷ lệ phản hồi. "
            "Số liệu đã chốt không thay đổi; không có thông tin của người dân hay mã hồ sơ."
        ),
        "public_units": "Đơn vị và kỳ đã công khai",
        "public_periods": "Kỳ số liệu đã chốt",
        "public_none": "Chưa có kỳ số liệu nào được chốt và công khai.",
        "public_all_json": "Tải danh sách (JSON)",
        "public_back": "← Tất cả đơn vị đã công khai",
        "public_closed_at": "Số liệu chốt lúc {time}.",
        "public_figures": "Kết quả {unit}, {period}",
        "public_download": "Tải dữ liệu mở",
        "public_csv": "Tải về (CSV)",
        "public_json": "Tải về (JSON)",
        "public_rank": "Xếp hạng trong các đơn vị cùng cấp đã công khai",
        "public_rank_value": "Hạng {rank}/{of}",
        "public_not_ranked": "Chưa đủ phiếu để xếp hạng (cần ít nhất {minimum} phiếu hợp lệ)",
        "public_not_found_title": "Không có số liệu công khai",
        "public_not_found": (
            "Không có số liệu công khai cho đơn vị và kỳ này: kỳ chưa chốt số liệu, hoặc đơn vị "
            "không thuộc diện công khai."
        ),
        "reporting_nothing": "chưa có",
        "reporting_value": "Giá trị",
        "reporting_officer": "Cán bộ xử lý",
        "reporting_no_officer": "Chưa giao cán bộ",
        "reporting_officer_score": "Điểm cán bộ (tối đa 10)",
        "reporting_officer_band": "Mức hoàn thành nhiệm vụ",
        "reporting_officer_band_100": "Hoàn thành 100% nhiệm vụ",
        "reporting_officer_band_70_100": "Từ 70% đến dưới 100%",
        "reporting_officer_band_under_70": "Dưới 70%",
        "reporting_dossier_code": "Mã hồ sơ",
        "reporting_received_on": "Ngày tiếp nhận",
        "reporting_due": "Hạn giải quyết",
        "reporting_days_late": "Số ngày quá hạn",
        "reporting_letter": "Văn bản xin lỗi",
        "reporting_letter_none": "Không cần",
        "reporting_letter_owed": "Chưa ban hành",
        "reporting_letter_issued_in_time": "Đã ban hành đúng hạn",
        "reporting_letter_issued_late": "Ban hành muộn",
        "reporting_letter_reached": "Đã đến công dân",
        "reporting_letter_undelivered": "Không gửi được",
        "reporting_dossiers_sheet": "Hồ sơ",
        "reporting_period_kind": "Loại kỳ",
        "reporting_kind_month": "Theo tháng",
        "reporting_kind_quarter": "Theo quý",
        "reporting_kind_year": "Theo năm",
        "reporting_month": "Tháng",
        "reporting_quarter": "Quý",
        "reporting_year": "Năm",
        "reporting_period_error": "Chưa xem được kỳ này; đang hiển thị kỳ trước đó.",
        "reporting_attention": "Cần chú ý ngay",
        "reporting_worst_units": "Đơn vị có tỷ lệ đúng hạn thấp nhất",
        "reporting_oldest_overdue": "Hồ sơ quá hạn lâu nhất",
        "reporting_letters_owed": "Hồ sơ đang quá hạn chưa có văn bản xin lỗi",
        "reporting_followups_due": "Phản ánh, kiến nghị sắp đến hạn hoặc quá hạn xử lý",
        "reporting_nothing_now": "Không có.",
        "reporting_see_list": "Xem danh sách",
        "reporting_followups_link": "Mở trang xử lý phản ánh",
        "reporting_followup_due": "Hạn xử lý",
        "reporting_cannot_close": "Chỉ chốt được số liệu của một tháng đã kết thúc, và mỗi "
        "tháng chỉ chốt một lần.",
        "reporting_on_time_views": "Ba cách tính tỷ lệ đúng hạn",
        "reporting_how_differs": "Khác nhau ở đâu",
        "reporting_766_rate": "Tỷ lệ đúng hạn theo QĐ 766",
        "reporting_max": "Tối đa",
        "reporting_change": "So với kỳ trước",
        "reporting_timeline": "Diễn biến hồ sơ",
        "reporting_first_due": "Hẹn trả ban đầu",
        "reporting_current_due": "Hẹn trả hiện tại",
        "reporting_no_dossier": "Không có hồ sơ này trong phạm vi của bạn.",
        "reporting_step_received": "Tiếp nhận hồ sơ",
        "reporting_step_assigned": "Giao xử lý",
        "reporting_step_supplement_requested": "Yêu cầu bổ sung hồ sơ",
        "reporting_step_supplement_received": "Nhận hồ sơ bổ sung",
        "reporting_step_paused": "Tạm dừng giải quyết",
        "reporting_step_resumed": "Tiếp tục giải quyết",
        "reporting_step_rescheduled": "Hẹn lại ngày trả kết quả",
        "reporting_step_completed": "Có kết quả giải quyết",
        "reporting_step_returned": "Trả kết quả",
        "reporting_step_rejected": "Từ chối giải quyết",
        "reporting_step_withdrawn": "Công dân rút hồ sơ",
        "reporting_step_letter_in_time": "Ban hành văn bản xin lỗi đúng hạn",
        "reporting_step_letter_late": "Ban hành văn bản xin lỗi muộn",
        "reporting_step_notice_sent": "Đã gửi thông báo xin lỗi",
        "reporting_step_notice_delivered": "Thông báo xin lỗi đã đến công dân",
        "reporting_step_notice_failed_temporary": "Gửi thông báo xin lỗi chưa được, sẽ gửi lại",
        "reporting_step_notice_failed_permanent": "Không gửi được thông báo xin lỗi qua kênh này",
        "reporting_step_notice_posted": "Đã gửi thư xin lỗi qua bưu điện",
        "reporting_step_rated": "Công dân đánh giá",
        "reporting_step_followup_opened": "Mở phản ánh cần xử lý",
        "reporting_step_followup_closed": "Đã xử lý phản ánh",
        "reporting_detail_in_person": "trực tiếp",
        "reporting_detail_online": "trực tuyến",
        "reporting_detail_postal": "bưu chính",
        "reporting_detail_counter": "tại quầy",
        "reporting_detail_early": "trước hạn",
        "reporting_detail_on_time": "đúng hạn",
        "reporting_detail_late": "quá hạn",
        "reporting_detail_granted": "chấp thuận",
        "reporting_detail_refused": "không chấp thuận",
        "reporting_detail_external_verification": "chờ xác minh",
        "reporting_detail_other_agency": "chờ cơ quan khác",
        "reporting_detail_force_majeure": "bất khả kháng",
        "reporting_detail_other": "lý do khác",
        "reporting_detail_very_satisfied": "Rất hài lòng",
        "reporting_detail_satisfied": "Hài lòng",
        "reporting_detail_dissatisfied": "Không hài lòng",
        "reporting_detail_sms": "tin nhắn SMS",
        "reporting_detail_zalo": "Zalo",
        "reporting_detail_email": "thư điện tử",
        "reporting_detail_post": "bưu điện",
        "reporting_when": "Thời điểm",
        "reporting_what": "Sự việc",
        "reporting_print": "Báo cáo in",
        "reporting_print_link": "Bản in khổ A4",
        "reporting_print_button": "In báo cáo",
        "reporting_printed_at": "Lập lúc",
        "reporting_chart_received": "Hồ sơ tiếp nhận",
        "reporting_chart_finished": "Hồ sơ đã giải quyết và quá hạn",
        "reporting_chart_finished_label": "Giải quyết",
        "reporting_chart_late_label": "Quá hạn",
        "not_acknowledged": "Chưa ai nhận biết",
        "letter_owed": "Chưa ban hành phiếu",
        "letter_not_yet_owed": "Chưa cần (chưa quá hạn)",
        "forbidden_text": "Tài khoản của bạn không có vai trò được dùng chức năng này.",
        "forbidden_other_account": "Đăng nhập bằng tài khoản khác",
        "back_to_board": "← Bảng theo dõi",
        "board_title": "Bảng theo dõi hạn giải quyết hồ sơ",
        "board_hint": "Cập nhật trực tiếp; sắp xếp theo thời gian còn lại.",
        "board_refresh": "Làm mới",
        "letters_link": "Phiếu xin lỗi đã ban hành",
        "letters_title": "Phiếu xin lỗi đã ban hành",
        "letters_filter": "Chọn đơn vị và tháng",
        "letters_month": "Tháng ban hành",
        "letters_month_option": "Tháng {month}/{year}",
        "letters_error_month": "Chọn một tháng (tháng/năm) hợp lệ.",
        "letters_show": "Xem",
        "letters_heading": "Tháng {month}: {count} phiếu",
        "letters_more": "Chỉ hiện 500 phiếu mới nhất; hãy chọn đơn vị nhỏ hơn.",
        "letters_none": "Không có phiếu xin lỗi nào được ban hành trong tháng này.",
        "letters_issued_at": "Ban hành lúc",
        "letters_issued_by": "Người ban hành",
        "letters_reprint": "In lại",
        "letters_correct": "Đính chính",
        "board_empty": "Không có hồ sơ sắp đến hạn hay quá hạn.",
        "board_invalid": "Bộ lọc chưa hợp lệ; sửa lại rồi bấm Lọc.",
        "counts_label": "Số hồ sơ theo tình trạng",
        "count_total": "Đang theo dõi (sắp đến hạn + quá hạn)",
        "counts_note": "Chỉ gồm hồ sơ sắp đến hạn hoặc đã quá hạn — không phải số hồ sơ "
        "“đang giải quyết” của trang Báo cáo.",
        "count_letters_to_issue": "Phiếu xin lỗi cần ban hành",
        "count_letters_undelivered": "Phiếu chưa đến công dân đúng hạn",
        "filter_legend": "Lọc hồ sơ",
        "filter_unit": "Đơn vị",
        "filter_unit_provinces": "Tỉnh, thành phố",
        "filter_unit_by_province": "Chọn tỉnh, thành phố rồi bấm Lọc để chọn đơn vị cấp xã.",
        "filter_status": "Trạng thái",
        "filter_procedure": "Thủ tục",
        "filter_field": "Lĩnh vực",
        "filter_letter": "Phiếu xin lỗi cần ban hành",
        "filter_dossier_code": "Mã hồ sơ",
        "filter_dossier_code_hint": "Cả mã hoặc phần đầu của mã.",
        "live_new_overdue": "{n} hồ sơ mới quá hạn",
        "live_new_due_soon": "{n} hồ sơ mới sắp đến hạn",
        "live_left_board": "{n} hồ sơ đã rời bảng",
        "live_changed": "{n} hồ sơ được cập nhật",
        "filter_any": "Tất cả",
        "audit_title": "Nhật ký thao tác",
        "audit_intro": (
            "Nhật ký thao tác của dịch vụ {service}: ai đã làm gì, với hồ sơ hay bản ghi "
            "nào, lúc nào, từ địa chỉ nào và kết quả. Nhật ký chỉ được ghi thêm, không sửa "
            "được, và không chứa dữ liệu cá nhân của công dân."
        ),
        "audit_filter": "Lọc nhật ký",
        "audit_logs": "Nhật ký của từng dịch vụ",
        "audit_actor": "Người thực hiện",
        "audit_action": "Thao tác",
        "audit_record": "Bản ghi",
        "audit_at": "Thời điểm",
        "audit_address": "Địa chỉ truy cập",
        "audit_outcome": "Kết quả",
        "audit_show": "Xem nhật ký",
        "audit_csv": "Tải về (CSV)",
        "audit_caption": "{count} mục gần nhất, mới nhất trước",
        "audit_older": "Các mục cũ hơn",
        "audit_none": "Không có mục nào khớp bộ lọc.",
        "audit_inspectors_only": "Nhật ký thao tác chỉ dành cho cán bộ thanh tra.",
        "filter_submit": "Lọc",
        "filter_reset": "Bỏ lọc",
        "next_page": "Trang sau",
        "previous_page": "Trang trước",
        "first_page": "Về trang đầu",
        "pages_label": "Chuyển trang",
        "page_number": "Trang {number}",
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
        "csv_acknowledged_by": "Người đã nhận biết",
        "csv_expected_late": "Đánh dấu sẽ trễ hạn",
        "csv_delivery": "Gửi đến công dân",
        "post_title": "Thư gửi bưu điện",
        "post_link": "Thư gửi bưu điện",
        "post_hint": "Phiếu xin lỗi của công dân nhận qua bưu điện (không có điện thoại, thư "
        "điện tử, hoặc các kênh khác gửi không thành công). Tạo đợt in trong ngày, tải tệp PDF "
        "(mỗi phiếu có trang địa chỉ cho phong bì cửa sổ DL), gửi bưu điện rồi đánh dấu đã gửi.",
        "post_waiting": "Phiếu chờ in",
        "post_waiting_none": "Không có phiếu nào chờ in.",
        "post_create": "Tạo đợt in hôm nay",
        "post_nothing_waiting": "Không có phiếu nào chờ in để tạo đợt mới.",
        "post_batches": "Các đợt in gần đây",
        "post_batches_none": "Chưa có đợt in nào.",
        "post_batch": "Đợt in số",
        "post_batch_title": "Đợt in thư gửi bưu điện số {id}",
        "post_created": "Tạo lúc",
        "post_created_by": "Người tạo",
        "post_letters": "Số phiếu",
        "post_state": "Tình trạng",
        "post_not_posted": "Chưa gửi",
        "post_posted": "Đã gửi bưu điện {at} — {by}",
        "post_queued_since": "Chờ từ",
        "post_citizen": "Công dân",
        "post_address": "Địa chỉ",
        "post_no_address": "Không có địa chỉ trên hồ sơ: không in nhãn được, phiếu này không "
        "gửi bưu điện được — liên hệ công dân. Khi đánh dấu đã gửi, phiếu được ghi là gửi "
        "không thành công.",
        "post_intake_down": "Chưa lấy được tên và địa chỉ công dân từ hệ thống tiếp nhận "
        "({detail}); thử lại sau.",
        "post_none_printable": "Không phiếu nào trong đợt này có địa chỉ để in.",
        "post_download": "Tải tệp PDF để in",
        "post_mark": "Đã gửi bưu điện",
        "post_mark_hint": "Bấm sau khi đã gửi các thư của đợt này ở bưu điện.",
        "post_not_found": "Không có đợt in này trong phạm vi bạn theo dõi.",
        "post_label_reference": "Hồ sơ {dossier} — Phiếu xin lỗi số {number} (bản {version})",
        "csv_delivery_flag": "Cảnh báo gửi phiếu",
        "overdue_again": "Quá hạn lần hai — báo cáo lãnh đạo",
        "write_letter": "Lập phiếu xin lỗi",
        "letter_due": "Hạn gửi",
        "letter_short": "Phiếu",
        "letter_version": "bản",
        "acknowledge": "Xác nhận đã nhận biết",
        "acknowledged_by": "Đã nhận biết bởi",
        "expect_late": "Sẽ trễ hạn",
        "expect_late_hint": "Đánh dấu để lập phiếu xin lỗi trước hạn",
        "expected_late_by": "Sẽ trễ hạn — đánh dấu bởi",
        "expect_late_undo": "Bỏ đánh dấu",
        "late_not_due_soon": "Hồ sơ này không còn ở trạng thái sắp đến hạn với phiếu xin lỗi "
        "chưa ban hành trên bảng của bạn.",
        "late_bad_form_title": "Yêu cầu không hợp lệ",
        "late_bad_form": "Biểu mẫu đánh dấu “Sẽ trễ hạn” không hợp lệ; hãy mở lại bảng theo dõi.",
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
        "letter_applicant": "Người nộp hồ sơ:",
        "letter_applicant_unknown": "chưa lấy được tên từ hệ thống tiếp nhận",
        "letter_preview": "Nếu phát hành lúc này, gia hạn {days} ngày làm việc, ngày hẹn mới là",
        "letter_preview_button": "Xem trước ngày hẹn mới",
        "letter_issued": "Đã phát hành phiếu số",
        "letter_new_due": "ngày hẹn mới",
        "letter_open_pdf": "Mở / in phiếu",
        "letter_correction_rule": "Đính chính tạo bản mới của cùng phiếu; ngày hẹn mới giữ nguyên.",
        "letter_correct": "Phát hành bản đính chính",
        "letter_reprint_title": "In lại phiếu xin lỗi",
        "letter_anonymised": (
            "Dữ liệu cá nhân của người nộp hồ sơ {code} đã được ẩn danh theo quy định lưu "
            "trữ, nên phiếu xin lỗi đã ban hành (có họ tên và địa chỉ của họ) không còn "
            "được in lại. Số phiếu, ngày ban hành và lịch sử hồ sơ vẫn được giữ."
        ),
        "letter_reprint_intake_down": (
            "Chưa kiểm tra được với hệ thống tiếp nhận ({detail}) rằng dữ liệu cá nhân của "
            "người nộp hồ sơ còn được phép lưu, nên chưa in lại phiếu; hãy thử lại sau."
        ),
        "letter_intake_down": "Chưa lấy được thông tin công dân từ hệ thống tiếp nhận ({detail}); "
        "phiếu vẫn là bản nháp, hãy thử lại.",
        "not_found": "Không tìm thấy",
        "page_not_found": "Không có trang này: địa chỉ có thể bị gõ sai hoặc đã cũ.",
        "not_on_board": "Hồ sơ không có trên bảng của đơn vị bạn.",
        "no_letter_here": "Hồ sơ này không có phiếu xin lỗi trên bảng của bạn.",
        "error_summary": "Có lỗi cần sửa",
        "time_overdue": "Quá hạn",
        "time_left": "Còn",
        "days": "ngày",
        "hours": "giờ",
        "minutes": "phút",
        "rate_title": "Phiếu đánh giá sự hài lòng",
        "rate_intro": "Ông/bà vui lòng cho biết mức độ hài lòng với việc giải quyết hồ sơ dưới "
        "đây. Mỗi nội dung chọn một mức. Ý kiến của ông/bà giúp cơ quan phục vụ tốt hơn.",
        "rate_basis": "Theo Nghị định số 61/2018/NĐ-CP, Điều 31.",
        "rate_dossier": "Hồ sơ",
        "rate_procedure": "Thủ tục",
        "rate_unit": "Cơ quan giải quyết",
        "rate_criteria_heading": "Các nội dung đánh giá",
        "rate_optional": "(không bắt buộc)",
        "rate_overall": "Đánh giá chung về việc giải quyết hồ sơ",
        "rate_comment": "Ý kiến khác, góp ý hoặc phản ánh (không bắt buộc)",
        "rate_comment_hint": "Tối đa 2.000 ký tự. Không ghi số giấy tờ tùy thân hay số điện thoại.",
        "rate_chars_left": "Còn lại {n} ký tự",
        "rate_submit": "Gửi đánh giá",
        "rate_thanks_title": "Cảm ơn ông/bà đã đánh giá",
        "rate_thanks_text": "Đánh giá của ông/bà đã được ghi nhận lúc {at}.",
        "rate_reference": "Mã đánh giá của ông/bà",
        "rate_call_us": "Nếu cần phản ánh thêm, gọi {phone}.",
        "rate_followup_text": "Ý kiến chưa hài lòng của ông/bà đã được chuyển đến thủ trưởng "
        "đơn vị để xem xét, trả lời trong 15 ngày làm việc.",
        "rate_already_title": "Hồ sơ đã được đánh giá",
        "rate_already_text": "Hồ sơ này đã được đánh giá lúc {at}. Mỗi hồ sơ chỉ được đánh giá "
        "một lần.",
        "rate_expired_title": "Đường dẫn đánh giá đã hết hạn",
        "rate_expired_text": "Thời hạn đánh giá hồ sơ này đã kết thúc lúc {at}.",
        "rate_unknown_title": "Không tìm thấy phiếu đánh giá",
        "rate_unknown_text": "Đường dẫn không đúng hoặc không còn hiệu lực. Vui lòng kiểm tra lại "
        "tin nhắn hoặc mã QR trên giấy hẹn.",
        "rate_csrf_title": "Phiên làm việc đã hết hạn",
        "rate_csrf_text": "Trang đánh giá đã mở quá lâu hoặc không hợp lệ. Vui lòng mở lại trang "
        "và gửi lại.",
        "rate_reload": "Mở lại trang đánh giá",
        "rate_limited_title": "Quá nhiều yêu cầu",
        "rate_limited_text": "Vui lòng thử lại sau {seconds} giây.",
        "rate_errors_intro": "Phiếu chưa đầy đủ. Vui lòng xem lại các nội dung sau:",
        "handling_title": "Đánh giá việc xử lý ý kiến",
        "handling_intro": "Ý kiến của ông/bà đã được xử lý lúc {at}. Ông/bà có hài lòng với việc "
        "tiếp nhận và xử lý ý kiến không?",
        "handling_legend": "Mức độ hài lòng với việc xử lý ý kiến",
        "handling_done": "Cảm ơn ông/bà. Đánh giá về việc xử lý ý kiến đã được ghi nhận.",
        "staff_home_links": "Công việc",
        "kiosk_title": "Kiosk đánh giá tại quầy",
        "kiosk_staff_step": "Dành cho cán bộ: nhập mã hồ sơ trên giấy hẹn (hoặc quét mã QR), "
        "bấm “Tìm hồ sơ”, rồi trao máy cho công dân.",
        "kiosk_citizen_intro": "Cán bộ đã mở phiếu cho hồ sơ của ông/bà. Sau khi gửi đánh giá, "
        "ông/bà vui lòng trả máy cho cán bộ.",
        "paper_title": "Nhập phiếu đánh giá giấy",
        "phone_title": "Nhập đánh giá qua điện thoại",
        "phone_intro": "Cán bộ hỏi ý kiến công dân qua điện thoại và nhập thay; đánh giá được "
        "đánh dấu là nhập qua điện thoại.",
        "phone_number": "Số điện thoại của công dân",
        "phone_reveal": "Hiện số",
        "phone_revealed_note": "Lần hiện số này đã được ghi lại (người xem, thời điểm).",
        "phone_none": "Công dân không để lại số điện thoại.",
        "phone_unavailable": "Chưa lấy được số điện thoại từ hệ thống tiếp nhận; vui lòng thử "
        "lại sau.",
        "phone_outcome": "Kết quả cuộc gọi (không đánh giá)",
        "phone_outcome_hint": "Nếu công dân đồng ý, điền phiếu bên dưới; nếu không, ghi kết "
        "quả cuộc gọi ở đây. Cuộc gọi không thành được đếm riêng, không tính là đánh giá.",
        "phone_record": "Ghi kết quả cuộc gọi",
        "phone_call_saved": "Đã ghi kết quả cuộc gọi hồ sơ {code}: {outcome}.",
        "phone_answers": "Phiếu đánh giá qua điện thoại",
        "find_dossier": "Mã hồ sơ",
        "find_submit": "Tìm hồ sơ",
        "dossier_not_found": "Không tìm thấy hồ sơ có mã này trong phạm vi đơn vị của bạn. "
        "Vui lòng kiểm tra lại mã trên giấy hẹn.",
        "dossier_not_returned": "Hồ sơ này chưa trả kết quả nên chưa đánh giá được. Mời "
        "ông/bà đánh giá sau khi nhận kết quả.",
        "kiosk_back": "Quay về màn hình nhập mã",
        "kiosk_return_in": "Màn hình sẽ quay về sau {seconds} giây.",
        "kiosk_return_now": "Quay về ngay",
        "kiosk_stay": "Giữ màn hình này",
        "kiosk_open": "Mở phiếu cho công dân",
        "kiosk_done": "Đã ghi nhận. Vui lòng trả máy cho cán bộ.",
        "kiosk_next": "Phiếu cho hồ sơ khác",
        "paper_serial": "Số sê-ri của phiếu",
        "paper_validity": "Tình trạng phiếu",
        "paper_valid": "Phiếu hợp lệ",
        "paper_invalid": "Phiếu không hợp lệ, vì:",
        "paper_invalid_hint": "Phiếu không hợp lệ không cần nhập các nội dung đánh giá.",
        "serial_used_title": "Số sê-ri đã được dùng",
        "serial_used_intro": "Phiếu chưa được lưu: số sê-ri này đã được nhập cho một phiếu "
        "khác. Vui lòng kiểm tra lại số in trên phiếu.",
        "paper_staff_present": "Phiếu được điền tại quầy, có cán bộ bên cạnh",
        "comment_is_complaint": "Ý kiến là phản ánh, kiến nghị: chuyển thủ trưởng đơn vị xử lý",
        "entry_save": "Lưu phiếu",
        "entry_saved": "Đã lưu phiếu của hồ sơ {code}.",
        "entry_saved_invalid": "Đã lưu phiếu không hợp lệ của hồ sơ {code} (không tính vào "
        "kết quả).",
        "serial_used": "Số sê-ri {serial} đã được nhập cho một phiếu khác của đơn vị.",
        "followups_title": "Theo dõi xử lý ý kiến không hài lòng",
        "ratings_list_title": "Đánh giá đã nhận",
        "ratings_list_intro": "Các đánh giá mới nhất của đơn vị và các đơn vị trực thuộc, qua "
        "mọi kênh (100 đánh giá gần nhất).",
        "ratings_list_empty": "Chưa có đánh giá nào.",
        "ratings_col_time": "Thời điểm",
        "ratings_col_dossier": "Hồ sơ",
        "ratings_col_unit": "Đơn vị",
        "ratings_col_channel": "Kênh",
        "ratings_col_overall": "Đánh giá chung",
        "ratings_col_entered": "Người nhập",
        "ratings_entered_citizen": "Công dân tự đánh giá",
        "ratings_staff_present": "có cán bộ bên cạnh",
        "ratings_invalid": "Phiếu không hợp lệ",
        "followups_empty": "Không có ý kiến nào cần xử lý.",
        "followup_due": "Hạn trả lời",
        "followup_reasons": "Nội dung",
        "followup_opened": "Ngày ghi nhận",
        "followup_comment": "Ý kiến của công dân",
        "followup_action": "Kết quả xử lý (đã làm gì)",
        "followup_close": "Đóng, đã xử lý",
        "followup_closed_by": "Người xử lý",
        "followup_handling": "Công dân đánh giá việc xử lý",
        "followup_heads_only": "Chỉ thủ trưởng đơn vị đóng được ý kiến.",
        "followup_action_required": "Nhập kết quả xử lý.",
        "followup_action_too_long": "Kết quả xử lý dài tối đa 2.000 ký tự.",
        "followup_already_closed": "Ý kiến này đã được đóng.",
        "followups_triage_title": "Ý kiến cần quyết định",
        "followups_triage_intro": "Ý kiến công dân viết kèm đánh giá, chưa ai xem xét. Đọc "
        "từng ý kiến: nếu là phản ánh, kiến nghị thì chuyển thủ trưởng đơn vị xử lý.",
        "followups_open_title": "Ý kiến đang chờ xử lý",
        "followups_closed_title": "Ý kiến đã xử lý",
        "followups_counts_label": "Số ý kiến chưa xử lý theo hạn trả lời",
        "followups_filter_legend": "Lọc danh sách",
        "followups_filter_state": "Tình trạng",
        "followups_filter_unit": "Đơn vị",
        "followups_filter_reason": "Nội dung không hài lòng",
        "followups_filter_apply": "Lọc",
        "followups_filter_clear": "Bỏ lọc",
        "followups_state_all": "Tất cả ý kiến chưa xử lý",
        "followups_state_overdue": "Quá hạn trả lời",
        "followups_state_due_soon": "Sắp đến hạn (trong 3 ngày làm việc)",
        "followups_state_open": "Còn hạn",
        "followups_state_closed": "Đã xử lý",
        "followups_unit_all": "Mọi đơn vị trong phạm vi",
        "followups_reason_all": "Mọi nội dung",
        "followups_refused_state": "Tình trạng đã chọn không có trong danh sách.",
        "followups_refused_unit": "Đơn vị đã chọn không thuộc phạm vi của bạn.",
        "followups_refused_reason": "Nội dung đã chọn không có trong danh sách.",
        "followups_filtered_empty": "Không có ý kiến nào khớp bộ lọc.",
        "followup_closed_notice": "Đã đóng phản ánh về hồ sơ {code}: công dân sẽ được báo "
        "kết quả xử lý và được mời đánh giá việc xử lý.",
        "followup_closed_view": "Xem ý kiến đã đóng",
        "followup_back": "Về danh sách ý kiến",
        "col_channel": "Kênh",
        "col_serial": "Số phiếu",
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

AGENCY_BAND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "xuat_sac": "Xuất sắc",
        "tot": "Tốt",
        "kha": "Khá",
        "trung_binh": "Trung bình",
        "yeu": "Yếu",
    }
)
"""An agency's band by its Thông tư 01/2018 total (reporting)."""

PORTAL_766_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "timeliness": "Tiến độ giải quyết",
        "online_service": "Mức độ cung cấp dịch vụ trực tuyến",
        "satisfaction": "Mức độ hài lòng",
        "transparency": "Công khai, minh bạch",
        "online_payment": "Thanh toán trực tuyến",
        "digitisation": "Số hoá hồ sơ",
        "on_time": "Hồ sơ đúng hạn",
        "procedures_online": "Thủ tục cung cấp trực tuyến",
        "online_dossiers": "Hồ sơ nộp trực tuyến",
        "feedback_on_time": "Phản ánh, kiến nghị xử lý đúng hạn",
        "handling": "Hài lòng về giải quyết thủ tục",
        "feedback_satisfaction": "Hài lòng về xử lý phản ánh, kiến nghị",
    }
)
"""Quyết định 766's indicator groups and their parts, as the national portal names them."""

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

DELIVERY_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "none": "Chưa gửi đến công dân",
        "queued": "Chờ gửi",
        "queued_on": "Chờ gửi ({channel})",
        "post_waiting": "Chờ in gửi bưu điện",
        "post_printing": "Đã vào đợt in, chờ gửi bưu điện",
        "sent": "Đã gửi, chờ xác nhận ({channel})",
        "delivered": "Đã đến công dân {at} ({channel})",
        "failed_temporary": "Gửi chưa được ({channel}): {reason} — sẽ gửi lại",
        "failed_permanent": "Gửi không thành công ({channel}): {reason}",
        "moved_on": "Gửi không thành công ({channel}): {reason} — chuyển {next}",
        "posted": "Đã gửi bưu điện {at}",
        "no_reason": "không rõ lý do",
        "flag_missing": "Chưa đến công dân — đã quá hạn gửi phiếu {deadline}",
        "flag_late": "Đến công dân sau hạn gửi phiếu {deadline}",
    }
)
"""Where an issued apology letter stands with the citizen, as the board says it
(:mod:`services.deadlines.board.delivery`)."""

CHANNEL_LABELS: Mapping[str, str] = MappingProxyType(
    {"sms": "SMS", "zalo": "Zalo", "email": "thư điện tử", "post": "bưu điện"}
)
"""A notice's channel, as the board names it."""

LOCAL_FORMAT = "%H:%M %d/%m/%Y"
SHORT_FORMAT = "%H:%M %d/%m"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def field_label(field_code: str) -> str:
    return FIELD_LABELS.get(field_code, field_code)


def local_time(moment: datetime) -> str:
    """``HH:MM dd/mm/YYYY`` in Hà Nội time, how dates are written on Vietnamese papers."""
    return moment.astimezone(LOCAL_ZONE).strftime(LOCAL_FORMAT)


def short_time(moment: datetime) -> str:
    """``HH:MM dd/mm`` in Hà Nội time: when a notice reached the citizen, at a glance."""
    return moment.astimezone(LOCAL_ZONE).strftime(SHORT_FORMAT)


def unit_label(name: str, retired_on: date | None) -> str:
    """A unit's name, and for one a merger retired the day it stopped, so a reader who
    meets a name no longer in service (a picker, an old dossier's row) is told why."""
    if retired_on is None:
        return name
    return TEXTS["unit_retired"].format(name=name, day=f"{retired_on:%d/%m/%Y}")


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


AUDIT_ACTION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "signin.ok": "Đăng nhập",
        "signin.failed": "Đăng nhập sai",
        "signin.throttled": "Đăng nhập bị chặn tạm thời",
        "signout": "Đăng xuất",
        "session.revoked": "Thu hồi phiên đăng nhập",
        "account.unlocked": "Mở khoá tài khoản",
        "officer.registered": "Tạo hoặc đặt lại tài khoản cán bộ",
        "board.acknowledged": "Xác nhận đã nhận biết cảnh báo",
        "board.late_marked": "Đánh dấu sẽ trễ hạn",
        "board.late_unmarked": "Bỏ đánh dấu sẽ trễ hạn",
        "letter.drafted": "Soạn phiếu xin lỗi",
        "letter.issued": "Ban hành phiếu xin lỗi",
        "letter.corrected": "Đính chính phiếu xin lỗi",
        "rating.kiosk": "Đánh giá tại quầy",
        "rating.paper": "Nhập phiếu đánh giá giấy",
        "rating.phone": "Ghi đánh giá qua điện thoại",
        "followup.closed": "Đóng việc xử lý phản ánh",
        "calendar.announced": "Công bố ngày nghỉ, ngày làm bù",
        "procedure.changed": "Thay đổi thủ tục",
        "unit.changed": "Thay đổi đơn vị",
        "key.registered": "Cấp khoá hệ thống",
        "key.revoked": "Thu hồi khoá hệ thống",
        "period.closed": "Chốt số liệu kỳ báo cáo",
        "subject.access": "Yêu cầu xem dữ liệu cá nhân",
        "subject.correct": "Yêu cầu chỉnh sửa dữ liệu cá nhân",
        "subject.erase": "Yêu cầu xoá dữ liệu cá nhân",
        "subject.restrict": "Yêu cầu hạn chế xử lý dữ liệu cá nhân",
        "hold.set": "Đặt lưu giữ theo yêu cầu pháp lý",
        "hold.lifted": "Gỡ lưu giữ theo yêu cầu pháp lý",
        "anonymisation.run": "Ẩn danh hoá dữ liệu hết hạn lưu trữ",
        "history.imported": "Nhập hồ sơ lịch sử",
    }
)
"""Every action the audit trails record (``motcua.audit``), as inspectors read them."""

AUDIT_SERVICE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "intake": "Tiếp nhận hồ sơ",
        "deadlines": "Theo dõi hạn và thư xin lỗi",
        "ratings": "Đánh giá sự hài lòng",
        "reporting": "Báo cáo",
    }
)
"""Whose audit trail a page shows, for the links between the four."""

AUDIT_CSV_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "seq": "Số thứ tự",
        "at": "Thời điểm (UTC)",
        "actor": "Người thực hiện",
        "actor_kind": "Loại người thực hiện",
        "action": "Mã thao tác",
        "action_label": "Thao tác",
        "record_type": "Loại bản ghi",
        "record_id": "Bản ghi",
        "unit_path": "Đơn vị (từ cấp trên xuống)",
        "address": "Địa chỉ truy cập",
        "outcome": "Kết quả",
        "details": "Chi tiết",
        "hash": "Mã băm (SHA-256)",
    }
)
"""The audit trail's CSV download: Vietnamese headers over the entries' own values."""

AUDIT_ACTOR_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "officer": "cán bộ",
        "system": "hệ thống",
        "admin": "quản trị",
        "scheduler": "tác vụ định kỳ",
        "anonymous": "chưa xác định",
    }
)

AUDIT_OUTCOME_LABELS: Mapping[str, str] = MappingProxyType(
    {"ok": "Thành công", "refused": "Bị từ chối", "failed": "Không thực hiện được"}
)

ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "duty_officer": "Cán bộ trực",
        "unit_head": "Thủ trưởng đơn vị",
        "leader": "Lãnh đạo",
        "staff_entry": "Cán bộ nhập phiếu",
        "inspector": "Thanh tra",
    }
)


MESSAGE_SENDER: Mapping[str, str] = MappingProxyType(
    {
        "agency_unknown": "Cơ quan giải quyết hồ sơ",
        "hotline": "Hỏi đáp: {phone}.",
    }
)
"""Who a citizen's message comes from: the agency's name and its public phone."""


def sender_words(agency: str | None, phone: str | None) -> dict[str, str]:
    """``{agency}`` and ``{hotline}`` of a message: the unit's name (a neutral name when
    intake gave none) and " Hỏi đáp: <phone>." (nothing without a public phone)."""
    hotline = " " + MESSAGE_SENDER["hotline"].format(phone=phone) if phone else ""
    return {"agency": agency or MESSAGE_SENDER["agency_unknown"], "hotline": hotline}


INVITATION_MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        # SMS in Vietnamese with accents, naming the agency and its phone so the text does
        # not read like a scam; SMS_ALPHABET=gsm7 strips the accents (docs/delivery.md).
        "sms_invite": "{agency} mời ông/bà đánh giá việc giải quyết hồ sơ {code} (đến "
        "{expires}).{hotline} Đánh giá tại: {link}",
        "sms_reminder": "Nhắc lại: {agency} mời ông/bà đánh giá hồ sơ {code} (đến "
        "{expires}).{hotline} Đánh giá tại: {link}",
        "email_subject_invite": "Mời ông/bà đánh giá sự hài lòng – hồ sơ {code}",
        "email_subject_reminder": "Nhắc lại: mời ông/bà đánh giá sự hài lòng – hồ sơ {code}",
        "email_invite": "Kính gửi ông/bà,\n\n{outcome_line}\n\n{agency} mời ông/bà dành một "
        "phút đánh giá mức độ hài lòng về việc giải quyết hồ sơ (Nghị định 61/2018/NĐ-CP, "
        "Điều 31) tại:\n{link}\n\nĐường dẫn dùng một lần, có hiệu lực đến {expires}.\n\n"
        "Trân trọng cảm ơn.\n{agency}.{hotline}",
        "email_reminder": "Kính gửi ông/bà,\n\nÔng/bà chưa đánh giá việc giải quyết hồ sơ "
        "{code}. Ý kiến của ông/bà giúp {agency} phục vụ tốt hơn:\n{link}\n\nĐường dẫn có "
        "hiệu lực đến {expires}.\n\nTrân trọng cảm ơn.\n{agency}.{hotline}",
        "outcome_returned": "Hồ sơ {code} của ông/bà đã được trả kết quả.",
        "outcome_rejected": "Hồ sơ {code} của ông/bà đã được trả lời từ chối giải quyết.",
        "zalo_invite": "{agency} mời ông/bà đánh giá sự hài lòng về hồ sơ {code}.{hotline}",
        "zalo_reminder": "Nhắc lại: {agency} mời ông/bà đánh giá sự hài lòng về hồ sơ "
        "{code}.{hotline}",
        "sms_followup": "{agency} đã xử lý ý kiến của ông/bà về hồ sơ {code}.{hotline} Đánh "
        "giá việc xử lý tại: {link}",
        "email_subject_followup": "Ý kiến của ông/bà về hồ sơ {code} đã được xử lý",
        "email_followup": "Kính gửi ông/bà,\n\n{outcome_line}\n\nÝ kiến chưa hài lòng của "
        "ông/bà đã được thủ trưởng {agency} xem xét và xử lý. Mời ông/bà cho biết mức độ hài "
        "lòng về việc xử lý ý kiến tại:\n{link}\n\nTrân trọng cảm ơn.\n{agency}.{hotline}",
        "zalo_followup": "{agency} đã xử lý ý kiến của ông/bà về hồ sơ {code}.{hotline}",
    }
)
"""What a citizen receives: ``{code}`` the dossier code, ``{link}`` the short link,
``{expires}`` the last day it works (dd/mm/yyyy), ``{agency}`` and ``{hotline}`` who
sends it (:func:`sender_words`)."""

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
        "col_state": "Trạng thái",
        "state_queued": "Đang gửi",
        "state_sent": "Đã gửi",
        "state_delivered": "Đã nhận",
        "state_failed_temporary": "Chưa nhận được",
        "state_failed_permanent": "Gửi không thành công",
        "col_link_state": "Đường dẫn",
        "link_unopened": "Chưa mở",
        "link_opened": "Đã mở",
        "link_used": "Đã dùng để đánh giá",
        "kind_invite": "Lời mời",
        "kind_reminder": "Nhắc lại",
        "kind_followup": "Báo kết quả xử lý ý kiến",
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

RATING_CRITERIA: Mapping[str, str] = MappingProxyType(
    {
        Criterion.PROCESSING_TIME: "Thời gian giải quyết hồ sơ so với thời hạn quy định",
        Criterion.AGENCIES_CONTACTED: "Số lượng cơ quan, đơn vị mà ông/bà phải liên hệ để "
        "giải quyết hồ sơ",
        Criterion.VISITS: "Số lần ông/bà phải đi lại hoặc liên hệ với cơ quan để giải quyết hồ sơ",
        Criterion.PROCEDURE_INFORMATION: "Tính chính xác, đầy đủ của thông tin về thủ tục hành "
        "chính được công khai",
        Criterion.STAFF_CONDUCT: "Thái độ, tác phong, sự hướng dẫn của cán bộ tiếp nhận và "
        "giải quyết hồ sơ",
        Criterion.LAWFUL_COST: "Kết quả giải quyết đúng quy định; chi phí ông/bà phải trả "
        "(kể cả chi phí không chính thức)",
        Criterion.FEEDBACK_HANDLING: "Việc tiếp nhận, xử lý ý kiến phản ánh, kiến nghị của ông/bà",
        Criterion.ONLINE_SERVICE: "Chất lượng dịch vụ công trực tuyến",
        Criterion.OTHER: "Các nội dung khác",
    }
)
"""The nine criteria of Nghị định 61/2018 Điều 31, as the rating form prints them: one
label for each of the contract's criteria (``motcua.contracts.Criterion``), in its order."""

RATING_LEVELS: Mapping[int, str] = MappingProxyType(
    {2: "Rất hài lòng", 1: "Hài lòng", 0: "Không hài lòng"}
)
"""A level by its score."""

INVALID_FORM_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "unreadable": "Không đọc được",
        "several_levels": "Đánh dấu nhiều mức ở một nội dung",
        "unsigned": "Không có chữ ký",
        "wrong_dossier": "Không đúng hồ sơ",
    }
)
"""Why a paper form does not count."""

RATING_CHANNELS: Mapping[str, str] = MappingProxyType(
    {
        "web": "Trực tuyến",
        "kiosk": "Kiosk tại quầy",
        "paper": "Phiếu giấy",
        "phone": "Điện thoại (cán bộ nhập thay)",
        "api": "Cổng dịch vụ công / VNeID",
    }
)

CALL_OUTCOMES: Mapping[str, str] = MappingProxyType(
    {
        "answered": "Đã đánh giá qua điện thoại",
        "unreachable": "Không liên lạc được",
        "declined": "Từ chối đánh giá",
    }
)
"""How a call to ask for a rating ended (``services.ratings.counter.rules.CallOutcome``)."""

FOLLOWUP_STANDINGS: Mapping[str, str] = MappingProxyType(
    {"open": "Còn hạn", "due_soon": "Sắp đến hạn", "overdue": "Quá hạn", "closed": "Đã xử lý"}
)

FOLLOWUP_REASONS: Mapping[str, str] = MappingProxyType(
    {**RATING_CRITERIA, "overall": "Đánh giá chung", "complaint": "Phản ánh, kiến nghị"}
)

RATING_ERRORS: Mapping[str, str] = MappingProxyType(
    {
        "level_required": "Chọn một mức.",
        "level_invalid": "Chọn một trong ba mức.",
        "not_asked": "Nội dung này không được hỏi với hồ sơ này.",
        "comment_too_long": "Ý kiến dài tối đa 2.000 ký tự.",
        "text_invalid": "Nội dung có ký tự không hợp lệ.",
        "serial_required": "Nhập số sê-ri in trên phiếu.",
        "serial_invalid": "Số sê-ri chỉ gồm chữ, số và các dấu - / . (tối đa 40 ký tự).",
        "reason_required": "Chọn lý do phiếu không hợp lệ.",
        "serial_used": "Số sê-ri này đã được nhập cho một phiếu khác của đơn vị.",
        "outcome_required": "Chọn kết quả cuộc gọi.",
    }
)
"""What to tell the citizen (or staff) about an answer the rules refuse, per rule."""
