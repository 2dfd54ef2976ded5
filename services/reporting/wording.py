"""How the leaders' pages and exports write figures and periods in Vietnamese: numbers
with "." thousands and "," decimals, percentages, "chưa có" where nothing was there to
count, the change from the previous period, period names, the period pickers' answer and
ASCII file names. Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from motcua.web import TEXTS
from motcua.web.strings import local_time
from services.reporting.periods import Granularity, InvalidPeriod, Period

NOTHING = TEXTS["reporting_nothing"]
ROMAN = ("I", "II", "III", "IV")
TREE_LABEL = "Cách tính theo đơn vị"
TREE_READINGS: dict[str, str] = {
    "today": "Theo đơn vị hiện nay (đã gộp đơn vị sáp nhập)",
    "then": "Theo đơn vị tại thời điểm tiếp nhận",
}
"""Which tree a page or export reads (``figures.Tree``), in the leaders' words."""


def number(value: float | int | None) -> str:
    """``57.950``; one decimal with a comma for a fraction (``12,5``); ``chưa có`` for None."""
    if value is None:
        return NOTHING
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def percent(value: float | None) -> str:
    """``80,18%``; ``chưa có`` when the share has no denominator (nothing due, no answer)."""
    if value is None:
        return NOTHING
    return f"{value * 100:.2f}%".replace(".", ",")


@dataclass(frozen=True)
class Change:
    """A headline figure against the previous period: its arrow and the difference."""

    arrow: str
    text: str
    words: str


def change(now: float | None, before: float | None, *, rate: bool = False) -> Change | None:
    """▲/▼ with the difference (percentage points for a rate); None when either period
    had nothing to compare."""
    if now is None or before is None:
        return None
    difference = now - before
    arrow = "▲" if difference > 0 else "▼" if difference < 0 else "="
    words = "tăng" if difference > 0 else "giảm" if difference < 0 else "không đổi"
    if rate:
        amount = f"{abs(difference) * 100:.2f}".replace(".", ",") + " điểm %"
    else:
        amount = number(abs(difference))
    return Change(arrow, f"{arrow} {amount}", f"{words} {amount} so với kỳ trước")


def instant(text: str) -> str:
    """An ISO instant as stored in JSON (a month's closing), written ``HH:MM dd/mm/YYYY``."""
    return local_time(datetime.fromisoformat(text))


def previous(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    start = period.start
    match period.granularity:
        case Granularity.DAY:
            return Period(date.fromordinal(start.toordinal() - 1), period.granularity)
        case Granularity.YEAR:
            return Period(date(start.year - 1, 1, 1), period.granularity)
        case _:
            months = 1 if period.granularity is Granularity.MONTH else 3
            index = start.year * 12 + start.month - 1 - months
            return Period(date(index // 12, index % 12 + 1, 1), period.granularity)


def short_period(period: Period) -> str:
    """``11/2026``, ``IV/2026``, ``2026``, ``05/11/2026``: a chart's axis, a table's row."""
    start = period.start
    match period.granularity:
        case Granularity.DAY:
            return f"{start:%d/%m/%Y}"
        case Granularity.MONTH:
            return f"{start.month:02d}/{start.year}"
        case Granularity.QUARTER:
            return f"{ROMAN[(start.month - 1) // 3]}/{start.year}"
        case _:
            return str(start.year)


PERIOD_WORDS = {
    Granularity.DAY: "Ngày",
    Granularity.MONTH: "Tháng",
    Granularity.QUARTER: "Quý",
    Granularity.YEAR: "Năm",
}


def period_name(period: Period) -> str:
    """``Tháng 11/2026``, ``Quý IV/2026``, ``Năm 2026``, ``Ngày 05/11/2026``."""
    return f"{PERIOD_WORDS[period.granularity]} {short_period(period)}"


def period_in_sentence(period: Period) -> str:
    """The period inside a sentence: ``tháng 11/2026``, ``quý IV/2026`` ("Chốt số liệu …")."""
    name = period_name(period)
    return name[0].lower() + name[1:]


class BadPeriod(ValueError):
    """A period the pickers cannot read; the message is the page's inline error."""


_MONTH = re.compile(r"^\d{4}-\d{2}$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_YEAR = re.compile(r"^\d{4}$")
BAD_PERIOD = (
    "Kỳ báo cáo “{text}” không đúng. Chọn tháng (ví dụ tháng 11/2026), quý (ví dụ quý IV/2026) "
    "hoặc năm (ví dụ 2026)."
)


def picked_period(params: Mapping[str, str]) -> Period | None:
    """The period the pickers chose (``kind`` = month, quarter or year, with ``month``
    1–12, ``quarter`` 1–4 and ``year``), or the ``period`` of a link (``2026-11``); None
    when nothing was chosen."""
    kind, year = params.get("kind", ""), params.get("year", "").strip()
    if kind == "month":
        month = params.get("month", "")
        text = f"{year}-{int(month):02d}" if month.isdigit() else f"{year}-{month}"
        return _parsed(text, _MONTH, shown=f"{month}/{year}")
    if kind == "quarter":
        quarter = params.get("quarter", "")
        return _parsed(f"{year}-Q{quarter}", _QUARTER, shown=f"quý {quarter}/{year}")
    if kind == "year":
        return _parsed(year, _YEAR)
    if kind:
        raise BadPeriod(BAD_PERIOD.format(text=kind))
    text = params.get("period", "")
    return _parsed(text, None) if text else None


def _parsed(text: str, form: re.Pattern[str] | None, shown: str | None = None) -> Period:
    if form is not None and not form.match(text):
        raise BadPeriod(BAD_PERIOD.format(text=shown or text))
    try:
        return Period.parse(text)
    except InvalidPeriod:
        raise BadPeriod(BAD_PERIOD.format(text=shown or text)) from None


def slug(text: str) -> str:
    """``Công an phường Tây Hồ`` → ``cong-an-phuong-tay-ho``: a file name every system keeps."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = plain.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
