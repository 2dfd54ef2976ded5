"""Every counted figure, defined once: which facts it counts, which instant places them in
a period, and what it means in words. The summary counts them, the drill-down lists the
dossiers behind one, and the page and the exports explain it from here, so a figure and
its explanation cannot drift apart.

Sources and their instants (a fact is in a period when its instant is; an "in progress"
figure is a snapshot at the period's end, or now for the current period):

- ``received`` — dossiers by their receipt (``received_at``);
- ``finished`` — dossiers by their result (``dossier.completed``);
- ``open`` — dossiers received and neither finished nor ended at the snapshot;
- ``ended`` — rejected or withdrawn, by that event;
- ``returned`` — results handed back, by that event;
- ``letters`` — apology letters by ``issued_at``;
- ``invited`` — rating invitations by their event;
- ``rated`` — ratings by their submission;
- ``followups`` — follow-ups of unhappy answers by their opening.
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.contracts import Criterion


@dataclass(frozen=True)
class Source:
    name: str
    table: str
    alias: str
    instant: str
    """SQL for the instant that places a fact in a period; empty for a snapshot."""
    dossier_id: str
    procedure: str = ""
    """SQL for the fact's procedure code (default: the table's own column)."""

    @property
    def procedure_code(self) -> str:
        return self.procedure or f"{self.alias}.procedure_code"


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("received", "dossiers", "d", "d.received_at", "d.dossier_id"),
        Source("finished", "dossiers", "d", "d.finished_at", "d.dossier_id"),
        Source("open", "dossiers", "d", "", "d.dossier_id"),
        Source("ended", "dossiers", "d", "d.ended_at", "d.dossier_id"),
        Source("returned", "dossiers", "d", "d.returned_at", "d.dossier_id"),
        Source("letters", "apologies", "a", "a.issued_at", "a.dossier_id"),
        Source("invited", "invitations", "i", "i.invited_at", "i.dossier_id"),
        Source("rated", "ratings", "r", "r.submitted_at", "r.dossier_id"),
        Source(
            "followups",
            "followups",
            "f",
            "f.opened_at",
            "f.dossier_id",
            # A follow-up's event names no procedure: its dossier's.
            "(SELECT x.procedure_code FROM dossiers x WHERE x.dossier_id = f.dossier_id)",
        ),
    )
}

CLOSED_AT = "coalesce(least(d.finished_at, d.ended_at), 'infinity')"
"""When a dossier stopped being in progress (its result, rejection or withdrawal; never
for one still open): the expression index ``dossiers_closed_at`` is built on it."""
OPEN_AT = f"d.received_at < %(at)s AND {CLOSED_AT} >= %(at)s"
"""A dossier in progress at the snapshot instant ``at``: received before it, neither
finished nor ended before it."""

_HAS_LETTER = "EXISTS (SELECT 1 FROM apologies x WHERE x.dossier_id = d.dossier_id)"
_HAS_LETTER_IN_TIME = (
    "EXISTS (SELECT 1 FROM apologies x WHERE x.dossier_id = d.dossier_id AND x.in_time)"
)
_REACHED_IN_TIME = (
    "EXISTS (SELECT 1 FROM apology_notices n WHERE n.dossier_id = d.dossier_id "
    "AND n.reached_in_time)"
)
"""A notice of one of the dossier's letters was sent (or posted) by the letter's apology
deadline and has not failed (``formulas.timeliness.notice_reached_in_time``)."""
_UNDELIVERED = (
    "EXISTS (SELECT 1 FROM apology_notices n WHERE n.dossier_id = a.dossier_id "
    "AND n.episode = a.episode GROUP BY n.letter_version "
    "HAVING bool_and(n.state = 'failed_permanent'))"
)
"""A version of the letter whose every notice failed for good: no channel has carried it
(a fall-back to post counts once the letter is posted)."""
_ANSWERED = "EXISTS (SELECT 1 FROM ratings y WHERE y.dossier_id = i.dossier_id AND y.valid)"
_SATISFIED = "r.valid AND r.overall IN ('very_satisfied', 'satisfied')"


@dataclass(frozen=True)
class Measure:
    name: str
    source: str
    predicate: str
    meaning: str
    """What it counts, in the leaders' words (Vietnamese, shown on the page and exports)."""
    summed: str = ""
    """SQL summed over the facts counted; empty to count them."""
    listable: bool = True

    def column(self) -> str:
        """The aggregate for a SELECT over the measure's source."""
        if self.summed:
            return f"coalesce(sum({self.summed}) FILTER (WHERE {self.predicate}), 0)"
        return f"count(*) FILTER (WHERE {self.predicate})"


_m = Measure  # the tables below read as rows


_BASE: tuple[Measure, ...] = (
    _m("received", "received", "true", "Hồ sơ tiếp nhận trong kỳ (theo thời điểm tiếp nhận)"),
    _m("received_in_person", "received", "d.channel = 'in_person'", "Tiếp nhận trực tiếp"),
    _m("received_online", "received", "d.channel = 'online'", "Tiếp nhận trực tuyến"),
    _m("received_postal", "received", "d.channel = 'postal'", "Tiếp nhận qua bưu chính"),
    _m(
        "supplement_requests",
        "received",
        "d.supplement_requests > 0",
        "Số lần yêu cầu bổ sung của các hồ sơ tiếp nhận trong kỳ",
        summed="d.supplement_requests",
    ),
    _m("finished", "finished", "true", "Hồ sơ đã giải quyết trong kỳ (theo thời điểm có kết quả)"),
    _m("finished_early", "finished", "d.legal_finish = 'early'", "Giải quyết trước hạn"),
    _m("finished_on_time", "finished", "d.legal_finish = 'on_time'", "Giải quyết đúng hạn"),
    _m("finished_late", "finished", "d.legal_finish = 'late'", "Giải quyết quá hạn"),
    _m(
        "portal_early",
        "finished",
        "d.portal_finish = 'early'",
        "Trước hạn theo cách tính của Cổng DVC quốc gia (trừ thời gian chờ bổ sung)",
    ),
    _m("portal_on_time", "finished", "d.portal_finish = 'on_time'", "Đúng hạn theo Cổng DVC"),
    _m(
        "portal_late",
        "finished",
        "d.portal_finish = 'late'",
        "Quá hạn theo Cổng DVC (bổ sung quá một lần cũng tính là quá hạn)",
    ),
    _m(
        "late_letter_in_time",
        "finished",
        f"d.legal_finish = 'late' AND {_HAS_LETTER_IN_TIME}",
        "Hồ sơ quá hạn đã có văn bản xin lỗi gửi đúng hạn (chậm nhất 1 ngày làm việc trước hạn)",
    ),
    _m(
        "late_letter_reached_in_time",
        "finished",
        f"d.legal_finish = 'late' AND {_REACHED_IN_TIME}",
        "Hồ sơ quá hạn có văn bản xin lỗi đến được công dân đúng hạn (đã gửi chậm nhất 1 ngày "
        "làm việc trước hạn, không bị lỗi)",
    ),
    _m(
        "late_without_letter",
        "finished",
        f"d.legal_finish = 'late' AND NOT {_HAS_LETTER}",
        "Hồ sơ giải quyết quá hạn mà không có văn bản xin lỗi",
    ),
    _m("in_progress", "open", "true", "Hồ sơ đang giải quyết (tại cuối kỳ)"),
    _m(
        "in_progress_on_time",
        "open",
        "NOT (d.due_at IS NOT NULL AND d.due_at < %(at)s)",
        "Đang giải quyết, còn hạn",
    ),
    _m(
        "in_progress_overdue",
        "open",
        "d.due_at IS NOT NULL AND d.due_at < %(at)s",
        "Đang giải quyết, đã quá hạn",
    ),
    _m(
        "overdue_without_letter",
        "open",
        f"d.due_at IS NOT NULL AND d.due_at < %(at)s AND NOT {_HAS_LETTER}",
        "Đang quá hạn mà chưa có văn bản xin lỗi",
    ),
    _m("rejected", "ended", "d.state = 'rejected'", "Hồ sơ bị từ chối"),
    _m("withdrawn", "ended", "d.state = 'withdrawn'", "Hồ sơ công dân rút"),
    _m("returned", "returned", "true", "Kết quả đã trả"),
    _m("returned_counter", "returned", "d.returned_channel = 'counter'", "Trả tại bộ phận một cửa"),
    _m("returned_postal", "returned", "d.returned_channel = 'postal'", "Trả qua bưu chính"),
    _m("returned_online", "returned", "d.returned_channel = 'online'", "Trả trực tuyến"),
    _m("apology_letters", "letters", "true", "Văn bản xin lỗi đã phát hành"),
    _m("apology_letters_in_time", "letters", "a.in_time", "Văn bản xin lỗi phát hành đúng hạn"),
    _m(
        "apology_letters_undelivered",
        "letters",
        _UNDELIVERED,
        "Văn bản xin lỗi không gửi được đến công dân (mọi kênh đã gửi đều lỗi hẳn)",
    ),
    _m("invited", "invited", "true", "Hồ sơ được mời đánh giá"),
    _m("invited_answered", "invited", _ANSWERED, "Hồ sơ được mời đã có đánh giá hợp lệ"),
    _m("ratings_valid", "rated", "r.valid", "Phiếu đánh giá hợp lệ"),
    _m("ratings_invalid", "rated", "NOT r.valid", "Phiếu giấy không hợp lệ (không tính mẫu số)"),
    _m("ratings_satisfied", "rated", _SATISFIED, "Hài lòng hoặc rất hài lòng (phiếu hợp lệ)"),
    _m(
        "ratings_very_satisfied",
        "rated",
        "r.valid AND r.overall = 'very_satisfied'",
        "Rất hài lòng",
    ),
    _m("ratings_satisfied_only", "rated", "r.valid AND r.overall = 'satisfied'", "Hài lòng"),
    _m(
        "ratings_dissatisfied",
        "rated",
        "r.valid AND r.overall = 'dissatisfied'",
        "Không hài lòng",
    ),
    *(
        _m(f"ratings_{channel}", "rated", f"r.valid AND r.channel = '{channel}'", text)
        for channel, text in (
            ("web", "Đánh giá qua đường dẫn"),
            ("kiosk", "Đánh giá tại máy tại quầy"),
            ("paper", "Đánh giá bằng phiếu giấy"),
            ("phone", "Đánh giá qua điện thoại"),
            ("api", "Đánh giá qua Cổng DVC, VNeID"),
        )
    ),
    _m("followups", "followups", "true", "Phản ánh, kiến nghị phải xử lý"),
    _m(
        "followups_on_time",
        "followups",
        "f.closed_at IS NOT NULL AND f.on_time",
        "Phản ánh, kiến nghị xử lý đúng hạn",
    ),
)

_CRITERIA: tuple[Measure, ...] = tuple(
    measure
    for number in (criterion.number for criterion in Criterion)
    for measure in (
        _m(
            f"criterion_{number}_points",
            "rated",
            f"r.valid AND r.scores[{number}] IS NOT NULL",
            f"Tổng điểm tiêu chí {number}",
            summed=f"r.scores[{number}]",
            listable=False,
        ),
        _m(
            f"criterion_{number}_rated",
            "rated",
            f"r.valid AND r.scores[{number}] IS NOT NULL",
            f"Số phiếu đánh giá tiêu chí {number}",
        ),
    )
)

MEASURES: dict[str, Measure] = {m.name: m for m in (*_BASE, *_CRITERIA)}
