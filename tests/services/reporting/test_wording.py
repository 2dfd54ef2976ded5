"""How the leaders' pages and exports write figures and periods: Vietnamese numbers,
"chưa có" for a share with nothing to count, the change from the previous period, period
names, the pickers' answer (and their Vietnamese error), ASCII file names."""

from __future__ import annotations

import pytest

from services.reporting.periods import Period
from services.reporting.wording import (
    BadPeriod,
    change,
    instant,
    number,
    percent,
    period_in_sentence,
    period_name,
    picked_period,
    previous,
    short_period,
    slug,
)


def test_numbers_and_shares_read_the_vietnamese_way() -> None:
    assert number(57950) == "57.950"
    assert number(1234.5) == "1.234,5"
    assert number(None) == "chưa có"
    assert percent(0.8018) == "80,18%"
    assert percent(0.0) == "0,00%"
    assert percent(None) == "chưa có"


def test_a_change_says_which_way_and_how_much() -> None:
    rise = change(12, 10)
    assert rise is not None
    assert (rise.text, rise.words) == ("▲ 2", "tăng 2 so với kỳ trước")
    fall = change(0.75, 0.8018, rate=True)
    assert fall is not None
    assert fall.text == "▼ 5,18 điểm %"
    assert change(None, 0.5, rate=True) is None


@pytest.mark.parametrize(
    ("text", "name", "before"),
    [
        ("2026-11", "Tháng 11/2026", "2026-10"),
        ("2026-01", "Tháng 01/2026", "2025-12"),
        ("2026-Q1", "Quý I/2026", "2025-Q4"),
        ("2026-Q4", "Quý IV/2026", "2026-Q3"),
        ("2026", "Năm 2026", "2025"),
        ("2026-11-01", "Ngày 01/11/2026", "2026-10-31"),
    ],
)
def test_periods_are_named_and_have_a_previous_one(text: str, name: str, before: str) -> None:
    period = Period.parse(text)
    assert period_name(period) == name
    assert str(previous(period)) == before


@pytest.mark.parametrize(
    ("text", "short", "in_sentence"),
    [
        ("2026-11", "11/2026", "tháng 11/2026"),
        ("2026-Q4", "IV/2026", "quý IV/2026"),
        ("2026", "2026", "năm 2026"),
        ("2026-11-05", "05/11/2026", "ngày 05/11/2026"),
    ],
)
def test_a_period_shown_to_a_person_is_never_iso(text: str, short: str, in_sentence: str) -> None:
    period = Period.parse(text)
    assert short_period(period) == short
    assert period_in_sentence(period) == in_sentence


@pytest.mark.parametrize(
    ("params", "period"),
    [
        ({"kind": "month", "month": "3", "year": "2026"}, "2026-03"),
        ({"kind": "quarter", "quarter": "4", "year": "2026"}, "2026-Q4"),
        ({"kind": "year", "year": " 2025 "}, "2025"),
        ({"period": "2026-11"}, "2026-11"),
    ],
)
def test_the_pickers_choose_a_month_a_quarter_or_a_year(
    params: dict[str, str], period: str
) -> None:
    assert str(picked_period(params)) == period


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"period": "11/2026"}, "11/2026"),
        ({"kind": "month", "month": "13", "year": "2026"}, "13/2026"),
        ({"kind": "quarter", "quarter": "5", "year": "2026"}, "quý 5/2026"),
        ({"kind": "year", "year": "20x6"}, "20x6"),
        ({"kind": "week", "year": "2026"}, "week"),
    ],
)
def test_a_bad_period_is_told_in_vietnamese(params: dict[str, str], shown: str) -> None:
    with pytest.raises(BadPeriod, match=f"Kỳ báo cáo “{shown}” không đúng"):
        picked_period(params)


def test_an_instant_reads_in_vietnam_time() -> None:
    assert instant("2026-12-02T03:00:00+00:00") == "10:00 02/12/2026"


def test_nothing_picked_is_no_period() -> None:
    assert picked_period({}) is None


def test_file_names_keep_only_ascii() -> None:
    assert slug("Công an phường Tây Hồ") == "cong-an-phuong-tay-ho"
    assert slug("Đội Cảnh sát QLHC về TTXH") == "doi-canh-sat-qlhc-ve-ttxh"
