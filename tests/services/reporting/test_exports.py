"""The exports as a leader forwards them: Vietnamese headers, names beside codes,
percentages as "80,18%", bands in words, no score or band for a unit with too few answers,
and file names saying what, which unit and which period. Also: every "Cách tính" in plain
Vietnamese with its legal basis, never the measures' code names."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from services.reporting.explain import EXPLANATIONS, ON_TIME_VIEWS
from services.reporting.exports import (
    Naming,
    csv_response,
    of_groups,
    of_officers,
    of_ranking,
    of_summary,
)
from services.reporting.figures import derive
from services.reporting.measures import MEASURES

NAMING = Naming("Công an phường Tây Hồ", "2026-11")


def _row(key: str, name: str, **counts: int) -> dict[str, Any]:
    all_counts = {name_: 0 for name_ in MEASURES} | counts
    return {"key": key, "name": name, "counts": all_counts, "figures": derive(all_counts)}


def _graded(key: str, name: str, valid: int) -> dict[str, Any]:
    """A unit whose every answer scored 2 on criteria 1–9: 18 points, Xuất sắc."""
    points = {f"criterion_{n}_points": 2 * valid for n in range(1, 10)}
    rated = {f"criterion_{n}_rated": valid for n in range(1, 10)}
    return _row(
        key,
        name,
        finished=5,
        finished_early=1,
        finished_on_time=3,
        finished_late=1,
        ratings_valid=valid,
        ratings_satisfied=valid,
        **points,
        **rated,
    )


def _read(table: Any) -> list[list[str]]:
    text = csv_response(table).body.decode("utf-8-sig")  # type: ignore[union-attr]
    return list(csv.reader(io.StringIO(text)))


def test_the_summary_reads_down_in_vietnamese_with_percentages_and_the_band() -> None:
    body = {
        **_graded("P", "Công an phường Tây Hồ", 40),
        "unit": {"code": "P", "name": "Công an phường Tây Hồ"},
        "period": "2026-11",
        "tree": "then",
    }
    table = of_summary(NAMING, body, minimum=30)
    assert table.name == "bao-cao_cong-an-phuong-tay-ho_2026-11"
    rows = _read(table)
    assert rows[0] == ["Chỉ tiêu", "Giá trị"]
    values = dict((r[0], r[1]) for r in rows[1:])
    assert values["Đơn vị"] == "Công an phường Tây Hồ"
    assert values["Kỳ"] == "Tháng 11/2026"
    assert values["Cách tính theo đơn vị"] == "Theo đơn vị tại thời điểm tiếp nhận"
    assert values["Tỷ lệ đúng hạn (theo quy định)"] == "80,00%"
    assert values["Tỷ lệ phản hồi"] == "chưa có"
    assert values["Xếp loại"] == "Xuất sắc"
    assert values["Hồ sơ đã giải quyết trong kỳ (theo thời điểm có kết quả)"] == "5"
    assert not any(re.search(r"[a-z]+_[a-z]+", cell) for row in rows for cell in row)


def test_a_unit_with_too_few_answers_gets_no_score_and_no_band() -> None:
    rows = [_graded("A", "Công an xã A", 40), _graded("B", "Công an xã B", 12)]
    read = _read(of_groups(NAMING, "theo-don-vi", "Đơn vị", rows, minimum=30))
    header = read[0]
    total, band = header.index("Điểm của cơ quan (Thông tư 01/2018)"), header.index("Xếp loại")
    assert (read[1][total], read[1][band]) == ("18", "Xuất sắc")
    assert (read[2][total], read[2][band]) == ("Chưa đủ phiếu (12/30)", "")
    ranked = [{**rows[0], "rank": 1, "ranked": True}, {**rows[1], "rank": None, "ranked": False}]
    read = _read(of_ranking(NAMING, ranked, minimum=30))
    assert read[2][:5] == ["Chưa đủ phiếu", "B", "Công an xã B", "Chưa đủ phiếu (12/30)", ""]


def test_officers_are_listed_with_their_band_in_words() -> None:
    rows = [
        {
            "handler_ref": "can-bo-a",
            "answers": 3,
            "criterion_scores": {"1": 2.0, "2": 1.5, "3": 1.0, "4": 1.0, "7": 0.5},
            "score": 6.0,
            "band": "100",
        }
    ]
    table = of_officers(NAMING, rows)
    assert table.name == "diem-can-bo_cong-an-phuong-tay-ho_2026-11"
    read = _read(table)
    assert read[0][0] == "Cán bộ xử lý"
    assert read[1] == [
        "can-bo-a",
        "3",
        "2",
        "1,5",
        "1",
        "1",
        "0,5",
        "6",
        "Hoàn thành 100% nhiệm vụ",
    ]


def test_every_explanation_is_plain_vietnamese_with_its_basis() -> None:
    for name, text in EXPLANATIONS.items():
        assert not re.search(r"[a-z]+_[a-z]+", text), name
        assert "÷" not in text, name
    for name in ("on_time_rate", "apology_compliance", "satisfaction_rate", "agency_total"):
        assert re.search(r"(Nghị định|Thông tư) \d+/2018", EXPLANATIONS[name]), name
    assert "Quyết định 766" in EXPLANATIONS["timeliness_766"]
    assert set(ON_TIME_VIEWS) == {"on_time_rate", "portal_on_time_rate", "timeliness_766"}
    assert all(text.count(".") == 1 for text in ON_TIME_VIEWS.values())  # one sentence each
