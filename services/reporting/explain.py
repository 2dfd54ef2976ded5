"""How each derived figure is computed, in words, from the measures beside it: what the
page shows under "Cách tính" and ``/v1/reports/formulas`` returns."""

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
