"""Valid history lines for tests: dossiers over given units and procedures, with every
outcome, supplements and pauses, some still open; deterministic for a seed."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class LineUnit:
    code: str
    retired_on: date | None = None


class _Moments:
    """Instants moving forward in working hours, a few days at a time."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng, self.at = rng, start

    def next(self) -> datetime:
        day = self.at.date() + timedelta(days=self.rng.randint(1, 4))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        at = datetime.combine(day, time(8), LOCAL) + timedelta(minutes=self.rng.randint(0, 480))
        self.at = at
        return at


def _instant(at: datetime) -> str:
    return at.isoformat()


def _received(rng: random.Random, unit: LineUnit, first: date, last: date) -> datetime:
    end = min(last, unit.retired_on - timedelta(days=1)) if unit.retired_on else last
    while True:
        day = first + timedelta(days=rng.randint(0, max(0, (end - first).days)))
        if day.weekday() < 5:
            return datetime.combine(day, time(8), LOCAL) + timedelta(minutes=rng.randint(0, 480))


def _middle(rng: random.Random, moments: _Moments, line: dict[str, Any]) -> bool:
    """Supplements or a pause; True when the dossier is left waiting (no complete then)."""
    roll = rng.random()
    if roll < 0.2:
        requested = moments.next()
        waiting = rng.random() < 0.15
        back = None if waiting else _instant(moments.next())
        reason = "Thiếu bản sao giấy khai sinh"
        line["supplements"] = [
            {"requested_at": _instant(requested), "received_at": back, "reason": reason}
        ]
        return waiting
    if roll < 0.35:
        start = moments.next()
        waiting = rng.random() < 0.15
        end = None if waiting else _instant(moments.next())
        line["pauses"] = [
            {
                "from": _instant(start),
                "to": end,
                "reason_code": "other_agency",
                "reason": "Xác minh",
            }
        ]
        return waiting
    return False


def _outcome(rng: random.Random, moments: _Moments, line: dict[str, Any], waiting: bool) -> None:
    choices = ["withdrawn", None] if waiting else ["returned"] * 9 + ["completed"] * 4
    choices += ["rejected", "withdrawn"] + [None] * 5 if not waiting else []
    outcome = rng.choice(choices)
    line["outcome"] = outcome
    if outcome in ("completed", "returned"):
        line["completed_at"] = _instant(moments.next())
        line["result"] = rng.choice(["granted", "granted", "refused"])
    if outcome == "returned":
        line["returned_at"] = _instant(moments.next())
    if outcome in ("rejected", "withdrawn"):
        line["outcome_at"] = _instant(moments.next())
    if outcome == "rejected":
        line["outcome_reason"] = "Hồ sơ không thuộc thẩm quyền"


def history_lines(
    units: Sequence[LineUnit],
    procedures: Sequence[str],
    count: int,
    *,
    seed: int = 27,
    first: date = date(2024, 1, 2),
    last: date = date(2025, 12, 31),
) -> Iterator[dict[str, Any]]:
    """``count`` dossiers received between ``first`` and ``last`` (a retired unit's before
    it was retired), each with its own code."""
    rng = random.Random(seed)
    numbers: Counter[tuple[str, date]] = Counter()
    for i in range(count):
        unit = rng.choice(units)
        received = _received(rng, unit, first, last)
        numbers[unit.code, received.date()] += 1
        sequence = numbers[unit.code, received.date()]
        line: dict[str, Any] = {
            "dossier_code": f"{unit.code}-{received:%y%m%d}-{sequence:04d}",
            "procedure_code": rng.choice(procedures),
            "unit_code": unit.code,
            "received_channel": rng.choice(["in_person", "online", "postal"]),
            "received_at": _instant(received),
            "due_rule": "law",
            "applicant": {
                "name": f"Nguyễn Văn {i}",
                "id_number": f"{rng.randrange(10**11, 10**12)}",
                "phone": f"09{rng.randrange(10**7, 10**8)}",
                "address": "Số 1 đường Trần Phú",
            },
        }
        if rng.random() < 0.2:
            line["due_rule"] = "recorded"
            line["due_at"] = _instant(received + timedelta(days=10))
        moments = _Moments(rng, received)
        _outcome(rng, moments, line, _middle(rng, moments, line))
        yield line
