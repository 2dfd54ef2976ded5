"""The history bench's generator: lines the importer accepts, codes unique, the mix the
bench claims (bench/history_file.py)."""

from __future__ import annotations

import inspect
import re
from collections import Counter
from datetime import date, datetime
from functools import cache
from pathlib import Path

import orjson

from bench.history_file import (
    THANH_HOA,
    Spec,
    Written,
    history_spec,
    open_spec,
    records,
    world,
    write,
)
from motcua.calendar import default_calendar
from motcua.dossier import DOSSIER_CODE_PATTERN, LOCAL_ZONE
from services.intake.history.record import parse_line
from services.intake.reference.national import REFORM_DAY

END = date(2026, 12, 5)


@cache
def history() -> tuple[dict[str, object], ...]:
    return tuple(records(history_spec(3_000, END)))


@cache
def open_ones() -> tuple[dict[str, object], ...]:
    return tuple(records(open_spec(500, END)))


def test_every_line_passes_the_importers_validation(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    written = write(path, history_spec(3_000, END))
    lines = path.read_bytes().splitlines()
    assert len(lines) == written.dossiers == 3_000
    for line in lines + [orjson.dumps(r) for r in open_ones()]:
        record = parse_line(line.decode())
        assert record.applicant.name.startswith(("Người Thử Nghiệm", "Công ty thử nghiệm"))


def test_codes_follow_the_national_pattern_and_never_repeat_across_both_files() -> None:
    codes = [str(r["dossier_code"]) for r in history() + open_ones()]
    assert all(re.match(DOSSIER_CODE_PATTERN, code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(int(code[-4:]) >= 5001 for code in codes[len(history()) :])


def test_the_same_spec_gives_the_same_lines_and_another_seed_others() -> None:
    again = list(records(history_spec(3_000, END)))
    assert tuple(again) == history()
    assert list(records(history_spec(3_000, END, seed=1))) != again


def test_lines_are_streamed_not_built_as_a_list() -> None:
    assert inspect.isgenerator(records(history_spec(10, END)))


def test_desks_are_the_provinces_retired_communes_before_the_reform_and_todays_after() -> None:
    place = world(THANH_HOA)
    departments = set(place.departments.values())
    calendar = default_calendar()
    for line in history():
        received = datetime.fromisoformat(str(line["received_at"])).astimezone(LOCAL_ZONE)
        assert calendar.is_working_day(received.date())
        assert date(2023, 12, 5) <= received.date() < END
        before = received.date() < REFORM_DAY
        communes = place.retired_communes if before else place.communes
        assert line["unit_code"] in departments or line["unit_code"] in communes


def test_the_mix_is_the_one_the_bench_reports() -> None:
    written = Written()
    for line in history():
        written.count(dict(line))
    assert 0.03 <= written.open / written.dossiers <= 0.07  # "about 5% still open"
    assert 0.015 <= written.late / written.finished <= 0.045  # "about 97% on time"
    channels = Counter(line["received_channel"] for line in history())
    assert set(channels) == {"in_person", "postal", "online"}
    outcomes = Counter(line.get("outcome") for line in history())
    assert {"returned", "rejected", "withdrawn", None} <= set(outcomes)
    assert any(line["supplements"] for line in history())
    assert any(line["pauses"] for line in history())


def test_the_open_file_is_all_open_and_recent() -> None:
    assert all("outcome" not in line for line in open_ones())
    assert min(str(line["received_at"])[:10] for line in open_ones()) >= "2026-10-10"


def test_counts_add_up_to_the_dossiers_asked_for() -> None:
    spec = Spec(7, date(2026, 12, 1), date(2026, 12, 5))
    assert len(list(records(spec))) == 7


def test_written_counts_each_event_a_line_makes() -> None:
    written = Written()
    written.count(
        {
            "due_at": "2026-01-10T17:00:00+07:00",
            "supplements": [{"requested_at": "x", "received_at": "y"}, {"requested_at": "z"}],
            "pauses": [{"from": "x", "to": "y"}],
            "outcome": "returned",
            "completed_at": "2026-01-11T09:00:00+07:00",
        }
    )
    written.count({"due_at": "d", "supplements": [], "pauses": [], "outcome": "rejected"})
    written.count({"due_at": "d", "supplements": [], "pauses": []})
    assert (written.dossiers, written.steps, written.events) == (3, 3 + 2 + 2 + 1, 3 + 8)
    assert (written.open, written.finished, written.late) == (1, 1, 1)


def test_a_written_file_read_back_counts_the_same_and_a_range_counts_its_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.jsonl"
    written = write(path, history_spec(300, END))
    assert Written.of(path) == written
    assert Written.of(path, 100, 250).dossiers == 150
    assert Written.of(path, 0, 100).steps + Written.of(path, 100).steps == written.steps
