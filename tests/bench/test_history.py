"""The history bench's arithmetic (bench/history.py): percentiles against the targets,
rates, the periods it samples and the consumer lag it waits on. Never its timings."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import httpx
import pytest

from bench.history import (
    TARGET_S,
    Imported,
    Latency,
    Run,
    Sampling,
    Settled,
    lag,
    periods,
    rate,
    report,
    sample,
)
from bench.history_file import Written


def test_percentiles_and_the_verdict_against_the_target() -> None:
    seconds = [n / 1000 for n in range(1, 201)]  # 1 ms … 200 ms
    latency = Latency("province board", seconds, TARGET_S["province board"])
    assert (latency.p(50), latency.p(95), latency.p(99)) == (0.101, 0.191, 0.199)
    assert latency.verdict == "met"
    slower = Latency("province board", [s * 2 for s in seconds], 0.2)
    assert slower.verdict == "not met"
    assert Latency("untargeted", seconds).verdict == "—"
    assert latency.row() == (
        "| province board | 200 | 101.0 / 191.0 / 199.0 ms | 200.0 ms | p95 ≤ 200 ms | met |"
    )


def test_the_issues_targets() -> None:
    assert TARGET_S == {
        "province summary": 1.0,
        "province leaders' page": 1.0,
        "national summary": 2.0,
        "province board": 0.2,
    }


def test_rates_of_an_import() -> None:
    written = Written(dossiers=1_000_000, steps=2_000_000)
    imported = Imported("history", written, written, 3_100_000, 500.0)
    assert (imported.dossiers_per_s, imported.events_per_s) == (2_000.0, 6_200.0)
    assert rate(5, 0.0) == 0.0


def test_periods_cover_the_years_then_the_last_quarters_and_months() -> None:
    shown = periods(date(2026, 2, 14))
    assert shown[:4] == ["2023", "2024", "2025", "2026"]
    assert shown[4:8] == ["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]
    assert shown[8:11] == ["2026-02", "2026-01", "2025-12"]
    assert shown[-1] == "2025-03"
    assert len(shown) == 20


def test_lag_counts_what_is_left_and_a_partition_never_committed_whole() -> None:
    ends = {("dossier.events", 0): 100, ("dossier.events", 1): 50, ("letters", 0): 7}
    committed = {("dossier.events", 0): 90, ("dossier.events", 1): 60}
    assert lag(ends, committed) == 10 + 0 + 7
    assert lag(ends, dict(ends)) == 0


def test_the_report_names_the_command_the_figures_and_what_was_not_caught_up() -> None:
    written = Written(dossiers=20_000, steps=40_000, open=1_000, late=570, finished=19_000)
    whole, part = Written(dossiers=2_000, open=2_000), Written(dossiers=1_000, open=1_000)
    run = Run(
        imports=[
            Imported("history", written, written, 60_000, 20.0, lines=(0, 20_000)),
            Imported("open", whole, part, 1_500, 5.0, refused=3, lines=(400, 1_400)),
        ],
        settled=Settled(published_s=30.0, counted_s=45.5, dossiers=20_000),
        latencies=[Latency("national summary", [0.5, 0.7], 2.0)],
        deadlines_behind=[1_234, 56],
        deadlines_s=None,
        rebuild_s=12.25,
        load=[(1.0, 2.0, 3.0)],
    )
    text = report(run, ["--dossiers", "20000"], datetime(2026, 12, 5, 23, 0, tzinfo=UTC))
    assert "`python -m bench history --dossiers 20000`, 2026-12-05 23:00 UTC" in text
    assert "20,000 dossiers (1,000 open), 60,000 events in 20.0 s: 1,000 dossiers/s" in text
    assert "3,000 events/s" in text
    assert (
        "| import, open file | — | lines 400–1,400 of 2,000 (resumed where an earlier run "
        "stopped) (stopped: the import's time budget ran out): 1,000 dossiers (1,000 open), "
        "1,500 events in 5.0 s: 200 dossiers/s, 300 events/s; 3 lines refused |"
    ) in text
    assert "45.5 s (20,000 dossiers in intake and reporting alike" in text
    assert "still 56 events behind when the board was timed" in text
    assert "1,234 events behind while the reports were timed" in text
    assert "| `python -m services.reporting.manage rebuild` | — | 12.2 s |" in text
    assert "3.0% of the finished ones late" in text
    assert (
        "| national summary | 2 | 700.0 / 700.0 / 700.0 ms | 700.0 ms | p95 ≤ 2,000 ms | met |"
        in text
    )


def test_sampling_stops_when_its_budget_runs_out_and_refuses_an_error() -> None:
    asked: list[str] = []

    def get(query: str) -> httpx.Response:
        asked.append(query)
        time.sleep(0.02)
        return httpx.Response(200)

    latency = sample("national summary", get, ["a", "b"], Sampling(1_000, budget_s=0.1))
    assert 3 <= len(latency.seconds) <= 7  # a warm-up, then samples until 0.1 s has passed
    assert asked[:4] == ["a", "a", "b", "a"]
    assert len(sample("x", get, ["a"], Sampling(5)).seconds) == 5
    with pytest.raises(RuntimeError, match="x: 500"):
        sample("x", lambda query: httpx.Response(500), ["a"], Sampling(5))
