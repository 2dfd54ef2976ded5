"""How each derived figure is computed. ``RATES`` names the measures each rate is made of
(``/v1/reports/formulas``, for the systems that recompute them); ``EXPLANATIONS`` says the
same in plain Vietnamese with its legal basis — what the leaders' page shows under
"Cách tính" — and ``ON_TIME_VIEWS`` says in one sentence how the three on-time rates differ."""

from __future__ import annotations

RATES: dict[str, str] = {
    "on_time_rate": "(finished_early + finished_on_time) ÷ finished — Nghị định 61 Điều 19: "
    "the appointment in force (restarted by a supplement, moved once by an apology letter)",
    "portal_on_time_rate": "(portal_early + portal_on_time) ÷ finished — the national "
    "portal's view: supplement waiting subtracted, more than one supplement request is late",
    "apology_compliance": "late_letter_in_time ÷ finished_late — late dossiers whose apology "
    "letter went out at the latest one working day before the appointment",
    "apology_delivery_compliance": "late_letter_reached_in_time ÷ finished_late — late "
    "dossiers whose apology letter reached the citizen in time: a notice of the letter (SMS, "
    "Zalo, e-mail, or the printed letter posted) was sent no later than its apology deadline "
    "and has not failed since (a notice failed for good hands the letter to the next "
    "channel, whose notice then decides; one failed for now does not count until it is "
    "delivered)",
    "satisfaction_rate": "ratings_satisfied ÷ ratings_valid — valid answers only; invalid "
    "paper forms (ratings_invalid) are counted apart, never in the denominator",
    "satisfaction_766": "1 − (finished_late + ratings_dissatisfied) ÷ finished — Quyết định "
    "766: a citizen who did not answer counts as satisfied",
    "response_rate": "invited_answered ÷ invited — invited dossiers with a valid answer",
    "criterion_scores": "criterion_n_points ÷ criterion_n_rated, one decimal (Thông tư "
    "01/2018 Điều 13): 2 points very satisfied, 1 satisfied, 0 dissatisfied",
    "agency_total": "the sum of the criterion scores (at most 18); band Xuất sắc ≥ 15, Tốt "
    "12–<15, Khá 9–<12, Trung bình 6–<9, Yếu < 6",
    "officer_score": "the sum of criteria 1, 2, 3, 4 and 7 on the dossiers last assigned to "
    "the officer (at most 10): ≥ 5 is 100% of duties, 3.5–<5 is 70–<100%, < 3.5 under 70%",
    "portal_766": "timeliness 20 = (portal_early + portal_on_time + in_progress_on_time) ÷ "
    "(finished + in_progress) × 20; online service 12 = procedures online (6, full at 80%) + "
    "received_online ÷ received (6, full at 50%); satisfaction 18 = followups_on_time ÷ "
    "followups (6, full at 90%) + satisfaction_766 (6, full at 90%) + satisfaction with "
    "feedback handling (6, not computed: no survey of it); below its threshold a part scores "
    "rate × points ÷ threshold",
}

EXPLANATIONS: dict[str, str] = {
    "on_time_rate": "Số hồ sơ giải quyết trước hạn và đúng hạn chia cho tổng số hồ sơ đã "
    "giải quyết trong kỳ. Hạn là ngày hẹn đang có hiệu lực: tính lại từ khi nhận đủ hồ sơ "
    "bổ sung, và được lùi một lần khi đã gửi phiếu xin lỗi (Nghị định 61/2018/NĐ-CP, "
    "Điều 19, sửa đổi bởi Nghị định 107/2021/NĐ-CP).",
    "portal_on_time_rate": "Số hồ sơ trước hạn và đúng hạn chia cho tổng số hồ sơ đã giải "
    "quyết, nhưng so với ngày hẹn ghi trên giấy tiếp nhận, trừ thời gian chờ bổ sung; hồ sơ "
    "phải bổ sung từ hai lần trở lên bị tính là quá hạn (cách tính của Cổng Dịch vụ công "
    "quốc gia).",
    "timeliness_766": "Số hồ sơ đã giải quyết đúng hạn (theo cách tính của Cổng) cộng số hồ "
    "sơ đang giải quyết còn hạn, chia cho tổng số hồ sơ đã giải quyết và đang giải quyết "
    "(Quyết định 766/QĐ-TTg năm 2022, nhóm chỉ số Tiến độ giải quyết).",
    "apology_compliance": "Số hồ sơ quá hạn có phiếu xin lỗi ban hành chậm nhất một ngày làm "
    "việc trước ngày hẹn, chia cho số hồ sơ giải quyết quá hạn trong kỳ (Nghị định "
    "61/2018/NĐ-CP, Điều 19 khoản 9; Mẫu 04 Thông tư 01/2018/TT-VPCP).",
    "apology_delivery_compliance": "Số hồ sơ quá hạn có phiếu xin lỗi đã đến được công dân "
    "đúng hạn (tin nhắn, Zalo, thư điện tử đã gửi đi, hoặc thư đã gửi bưu điện, không muộn "
    "hơn hạn xin lỗi và không bị lỗi sau đó), chia cho số hồ sơ giải quyết quá hạn trong kỳ "
    "(Nghị định 61/2018/NĐ-CP, Điều 19 khoản 9: phiếu phải được gửi tới công dân).",
    "satisfaction_rate": "Số phiếu hợp lệ đánh giá Rất hài lòng hoặc Hài lòng chia cho tổng "
    "số phiếu hợp lệ; phiếu giấy không hợp lệ được đếm riêng, không tính vào mẫu số "
    "(Nghị định 61/2018/NĐ-CP, Điều 31).",
    "satisfaction_766": "Một trừ đi (số hồ sơ giải quyết quá hạn cộng số phiếu Không hài "
    "lòng) chia cho số hồ sơ đã giải quyết: người không đánh giá được coi là hài lòng "
    "(Quyết định 766/QĐ-TTg năm 2022).",
    "response_rate": "Số hồ sơ được mời đánh giá đã có phiếu hợp lệ chia cho số hồ sơ được "
    "mời đánh giá trong kỳ.",
    "criterion_scores": "Điểm của mỗi tiêu chí là tổng điểm các phiếu (Rất hài lòng 2 điểm, "
    "Hài lòng 1 điểm, Không hài lòng 0 điểm) chia cho số phiếu có trả lời tiêu chí đó, lấy "
    "một chữ số thập phân; tối đa 2 điểm (Thông tư 01/2018/TT-VPCP, Điều 13).",
    "agency_total": "Tổng điểm chín tiêu chí, tối đa 18 điểm: Xuất sắc từ 15 điểm, Tốt từ 12 "
    "đến dưới 15, Khá từ 9 đến dưới 12, Trung bình từ 6 đến dưới 9, Yếu dưới 6 (Thông tư "
    "01/2018/TT-VPCP, Điều 14). Đơn vị chưa đủ số phiếu hợp lệ thì chưa xếp loại.",
    "officer_score": "Tổng điểm các tiêu chí 1, 2, 3, 4 và 7 trên các hồ sơ được giao cho "
    "cán bộ, tối đa 10 điểm: từ 5 điểm là hoàn thành 100% nhiệm vụ, từ 3,5 đến dưới 5 là "
    "từ 70% đến dưới 100%, dưới 3,5 là dưới 70% (Thông tư 01/2018/TT-VPCP, Điều 15).",
    "portal_766": "Tiến độ giải quyết 20 điểm; dịch vụ trực tuyến 12 điểm (thủ tục cung cấp "
    "trực tuyến đủ điểm từ 80%, hồ sơ nộp trực tuyến đủ điểm từ 50%); mức độ hài lòng 18 "
    "điểm (phản ánh xử lý đúng hạn và hài lòng về giải quyết thủ tục đủ điểm từ 90%). Dưới "
    "ngưỡng, điểm bằng tỷ lệ nhân số điểm chia ngưỡng (Quyết định 766/QĐ-TTg năm 2022).",
}

ON_TIME_VIEWS: dict[str, str] = {
    "on_time_rate": "Theo quy định: so với ngày hẹn đang có hiệu lực, nên hồ sơ đã gửi phiếu "
    "xin lỗi và trả kết quả theo ngày hẹn mới vẫn được tính đúng hạn.",
    "portal_on_time_rate": "Theo Cổng Dịch vụ công: so với ngày hẹn ban đầu trừ thời gian "
    "chờ bổ sung, nên phiếu xin lỗi không làm hồ sơ thành đúng hạn và bổ sung nhiều lần "
    "tính là quá hạn.",
    "timeliness_766": "Theo Quyết định 766: tính cả hồ sơ đang giải quyết còn hạn, nên tỷ lệ "
    "phản ánh cả những hồ sơ chưa có kết quả.",
}
