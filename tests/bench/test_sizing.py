"""The sizing arithmetic: hand-computed cases, consumers never beyond their partitions, and
more dossiers never needing less."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.sizing import (
    BEGIN,
    CONSUMERS,
    DOC,
    END,
    SERVICES,
    Inputs,
    Measured,
    TopicCost,
    Workload,
    average_rate,
    events_per_dossier,
    inputs_from,
    main,
    open_dossiers,
    partitions,
    plan,
    processes,
    topic_bytes,
)

HOUR = 3600
MIB = 2**20


def inputs(**changes: Any) -> Inputs:
    """Round figures, so every derived one can be worked out by hand."""
    made = Inputs(
        cpu_ms_receipt={
            "intake": 1.0,
            "deadlines": 2.0,
            "ratings": 0.0,
            "reporting": 0.5,
            "kafka": 1.0,
            "postgres": 0.5,
        },
        cpu_ms_transition={
            "intake": 1.0,
            "deadlines": 1.0,
            "ratings": 2.0,
            "reporting": 0.5,
            "kafka": 1.0,
            "postgres": 1.0,
        },
        cpu_source="by hand",
        postgres_bytes_open=Measured(1000, "by hand"),
        postgres_bytes_closed=Measured(4000, "by hand"),
        outbox_bytes_per_dossier=Measured(3000, "by hand"),
        deadlines_rss_empty=Measured(100 * MIB, "by hand"),
        deadlines_rss_per_open=Measured(1000, "by hand"),
        rocksdb_bytes_per_open=Measured(500, "by hand"),
        topics={
            "events": TopicCost(
                per_receipt=1, per_transition=1, record_bytes=1000, retention_days=365
            ),
            "clocks": TopicCost(
                per_receipt=1, per_transition=1, record_bytes=500, retention_days=0, compacted=True
            ),
        },
        topics_source="by hand",
        process_rss={"intake": Measured(200 * MIB, "by hand")},
        idle_cores={"intake": 0.02, "kafka": 0.1, "postgres": 0.05},
        idle_source="by hand",
        kafka_ceiling_records_s=Measured(50_000, "by hand"),
        postgres_ceiling_dossiers_s=Measured(20_000, "by hand"),
        rebuild_events_s=Measured(1000, "by hand"),
        import_events_s=Measured(100, "by hand"),
    )
    return replace(made, **changes)


def workload(dossiers_per_year: float, **changes: Any) -> Workload:
    """250 working days of 8 hours: 7,200,000 working seconds a year."""
    made = Workload(
        name="test",
        dossiers_per_year=dossiers_per_year,
        dossiers_source="by hand",
        events_per_dossier=3.0,
        working_days=250,
        working_hours=8,
        peak_factor=3,
        campaign_factor=10,
        mean_open_working_days=5,
        core_utilisation=0.5,
        partition_headroom=2,
        min_partitions=6,
        min_processes=1,
        replication=3,
        broker_cores=4,
        disk_fill=0.5,
        years=2,
    )
    return replace(made, **changes)


def test_a_dossier_life_counts_its_events() -> None:
    plain = events_per_dossier(supplement=0, pause=0, rejected=0, withdrawn=0)
    assert plain == 3  # received, completed, returned
    assert events_per_dossier(supplement=0, pause=0, rejected=1, withdrawn=0) == 2
    assert events_per_dossier(supplement=1, pause=1, rejected=0, withdrawn=0) == 7
    # the history bench's mix: 1 + 2 × 0.10 × 0.985 + 0.015 + 0.005 + 2 × 0.98
    mixed = events_per_dossier(supplement=0.08, pause=0.02, rejected=0.015, withdrawn=0.005)
    assert mixed == pytest.approx(3.177)


def test_a_hand_computed_plan() -> None:
    # 7,200,000 dossiers a year × 3 events over 7,200,000 working seconds: 3 events/s
    load = workload(7_200_000)
    assert average_rate(load) == pytest.approx(3.0)
    result = plan(inputs(), load)
    assert (result.peak_rate, result.campaign_rate) == (pytest.approx(9), pytest.approx(30))
    # deadlines: (2 + 2 × 1) / 3 ms an event; 30 events/s → 0.04 cores, half a core each → 1
    assert result.cpu_ms["deadlines"] == pytest.approx(4 / 3)
    assert result.campaign_cores["deadlines"] == pytest.approx(0.04)
    # ratings: (0 + 2 × 2) / 3 ms; 30/s → 0.04 cores
    assert result.campaign_cores["ratings"] == pytest.approx(0.04)
    assert result.campaign_processes == dict.fromkeys(SERVICES, 1)
    assert result.dossier_partitions == 6  # the minimum, a multiple of 3 copies
    # 6 consumers at half a core each; deadlines and ratings the busiest at 3 events/s
    assert result.partitions_carry == pytest.approx(6 * 0.5 / (3 * 4 / 3 / 1000))
    assert result.brokers == 3
    # 28,800 received a working day × 5 days open
    assert result.open_dossiers == pytest.approx(144_000)
    assert result.deadlines_rss_bytes == pytest.approx(100 * MIB + 144_000 * 1000)
    assert result.rocksdb_bytes == pytest.approx(144_000 * 500)
    # events: 3 a dossier × 7.2 M / 365 a day × 365 days × 1000 B; clocks: one per open
    assert result.topic_bytes["events"] == pytest.approx(21_600_000 * 1000)
    assert result.topic_bytes["clocks"] == pytest.approx(144_000 * 500)
    every_copy = (21_600_000 * 1000 + 144_000 * 500) * 3
    assert result.broker_disk_bytes == pytest.approx(every_copy / 3 / 0.5)
    assert result.postgres_bytes_year == pytest.approx(7_200_000 * 4000)
    assert result.postgres_bytes_open == pytest.approx(144_000 * 1000)
    # a campaign day: 28,800 dossiers × 10, 3,000 B each in the outboxes
    assert result.outbox_bytes == pytest.approx(288_000 * 3000)
    disk = (2 * 7_200_000 * 4000 + 144_000 * 1000 + 288_000 * 3000) / 0.5
    assert result.postgres_disk_bytes == pytest.approx(disk)
    assert result.rebuild_hours == pytest.approx(21_600_000 / 1000 / HOUR)
    assert result.process_memory["intake"] == pytest.approx(250 * MIB)
    # one intake process: 20 m idle + 30 events/s × 1 ms; a broker: 100 m + 30 m / 3
    assert result.process_cpu["intake"] == pytest.approx(0.02 + 0.03)
    assert result.process_cpu["kafka"] == pytest.approx(0.1 + 0.01)
    assert result.process_cpu["postgres"] == pytest.approx(0.05 + 30 * (0.5 + 2) / 3 / 1000)
    # 30 events/s = 10 dossiers/s; 2 records an event (events, clocks) against 50,000/s
    assert result.kafka_ceiling_share == pytest.approx(60 / 50_000)
    assert result.postgres_ceiling_share == pytest.approx(10 / 20_000)


def test_a_busier_workload_spreads_over_more_processes_and_partitions() -> None:
    # 100× the dossiers: campaign 3,000 events/s; deadlines 4 cores at half a core each
    result = plan(inputs(), workload(720_000_000))
    assert result.campaign_cores["deadlines"] == pytest.approx(4.0)
    assert result.campaign_processes["deadlines"] == 8
    assert result.dossier_partitions == 18  # 8 consumers × 2 = 16, up to a multiple of 3 copies
    # the worker's open dossiers are shared between its 8 processes
    assert result.deadlines_rss_bytes == pytest.approx(100 * MIB + 14_400_000 / 8 * 1000)


def test_processes_each_use_at_most_their_share_of_a_core() -> None:
    assert processes(0.0, 0.7) == 1
    assert processes(0.7, 0.7) == 1
    assert processes(0.71, 0.7) == 2
    assert processes(7.0, 0.7) == 10
    assert processes(0.1, 0.7, minimum=2) == 2  # two for availability, however light
    assert processes(7.0, 0.7, minimum=2) == 10


def test_every_service_runs_its_minimum_and_partitions_hold_them() -> None:
    result = plan(inputs(), workload(7_200_000, min_processes=2))
    assert result.peak_processes == dict.fromkeys(SERVICES, 2)
    assert result.dossier_partitions == 6


@given(
    consumers=st.integers(min_value=1, max_value=500),
    headroom=st.floats(min_value=1, max_value=4),
    step=st.integers(min_value=1, max_value=12),
    minimum=st.integers(min_value=1, max_value=48),
)
def test_partitions_hold_the_consumers_in_whole_steps(
    consumers: int, headroom: float, step: int, minimum: int
) -> None:
    made = partitions(consumers, headroom=headroom, step=step, minimum=minimum)
    assert made >= consumers * headroom - 1e-9
    assert made >= minimum
    assert made % step == 0
    assert made - step < max(minimum, consumers * headroom)  # no more than needed
    more = partitions(consumers + 1, headroom=headroom, step=step, minimum=minimum)
    assert more >= made


@given(st.floats(min_value=1_000, max_value=1e10))
def test_no_group_ever_has_more_consumers_than_partitions(dossiers: float) -> None:
    result = plan(inputs(), workload(dossiers))
    for kind in CONSUMERS:
        assert result.campaign_processes[kind] <= result.dossier_partitions
        assert result.peak_processes[kind] <= result.campaign_processes[kind]
    assert result.campaign_processes["intake"] <= result.intake_partitions


@given(st.floats(min_value=1_000, max_value=1e10), st.floats(min_value=1.01, max_value=100))
def test_more_dossiers_never_need_less(dossiers: float, factor: float) -> None:
    smaller, larger = (
        plan(inputs(), workload(dossiers)),
        plan(inputs(), workload(dossiers * factor)),
    )
    assert larger.peak_rate > smaller.peak_rate
    assert larger.open_dossiers > smaller.open_dossiers
    for kind in SERVICES:
        assert larger.campaign_processes[kind] >= smaller.campaign_processes[kind]
        assert larger.campaign_cores[kind] > smaller.campaign_cores[kind]
    assert larger.dossier_partitions >= smaller.dossier_partitions
    assert larger.brokers >= smaller.brokers
    assert larger.brokers * larger.broker_disk_bytes > smaller.brokers * smaller.broker_disk_bytes
    assert larger.postgres_disk_bytes > smaller.postgres_disk_bytes


def test_retention_scales_what_a_topic_keeps_and_compaction_ignores_it() -> None:
    load = workload(7_200_000)
    kept = TopicCost(per_receipt=1, per_transition=0.5, record_bytes=100, retention_days=10)
    # a dossier: 1 + 2 × 0.5 = 2 messages; 7.2 M × 2 / 365 a day
    assert topic_bytes(load, kept, 0) == pytest.approx(7_200_000 * 2 / 365 * 10 * 100)
    assert topic_bytes(load, replace(kept, retention_days=20), 0) == pytest.approx(
        2 * topic_bytes(load, kept, 0)
    )
    compacted = replace(kept, compacted=True)
    assert topic_bytes(load, compacted, open_dossiers(load)) == pytest.approx(144_000 * 100)


def test_the_inputs_are_what_the_footprint_run_measured() -> None:
    def state(rss: int, store: int, schemas: int, events: int, log: int) -> dict[str, Any]:
        return {
            "rss_bytes": {"deadlines": rss},
            "deadlines_store_bytes": store,
            "schema_bytes": {"intake": schemas, "reporting": schemas},
            "outbox_bytes": {"intake": schemas // 10},
            "topic_log_bytes": {"motcua.dossier-events": log},
            "topic_messages": {"motcua.dossier-events": events, "__consumer_offsets": 5},
            "topic_copies": {"motcua.dossier-events": 3},
        }

    footprint = {
        "command": "python -m bench footprint",
        "measured_at": "today",
        "receipts": 100,
        "closed": 50,
        "brokers": 3,
        "idle_cpu_share": {"intake": 0.03, "kafka": 0.3, "deadlines-web": 0.01},
        "receive_cpu_s": {"intake": 0.1, "deadlines": 0.2, "deadlines-web": 0.05},
        "close_cpu_s": {"intake": 0.3, "deadlines": 0.1},
        "empty": state(1000, 0, 10_000, 0, 0),
        "open": state(101_000, 5000, 60_000, 100, 3000),
        "closed_state": {
            **state(111_000, 6000, 80_000, 200, 6000),
            "record_bytes": {"motcua.dossier-events": 200 * 300},
        },
    }
    made = inputs_from(footprint, {"motcua.dossier-events": 400}, events_per_dossier=3.0)
    assert made.cpu_ms_receipt == {"intake": pytest.approx(1.0), "deadlines": pytest.approx(2.0)}
    assert made.cpu_ms_transition == {"intake": pytest.approx(3.0), "deadlines": pytest.approx(1.0)}
    assert made.idle_cores == {
        "intake": pytest.approx(0.03),
        "kafka": pytest.approx(0.1),  # a broker's
        "deadlines-web": pytest.approx(0.01),
    }
    assert made.postgres_bytes_open.value == pytest.approx(1000)  # 2 × 50,000 B over 100
    assert made.postgres_bytes_closed.value == pytest.approx(1400 + 800)
    # outboxes: 5,000 B over 100 receipts; 2,000 B over 100 transitions; 50 + 2 × 20
    assert made.outbox_bytes_per_dossier.value == pytest.approx(90)
    assert made.deadlines_rss_per_open.value == pytest.approx(1000)
    assert made.rocksdb_bytes_per_open.value == pytest.approx(50)
    assert set(made.topics) == {"motcua.dossier-events"}  # Kafka's own topics left out
    events = made.topics["motcua.dossier-events"]
    assert (events.per_receipt, events.per_transition) == (1.0, 1.0)
    assert events.record_bytes == 300
    assert (events.retention_days, events.compacted) == (400, False)


def test_the_page_shows_what_the_cli_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sizing.md's tables are the CLI's output for the measured footprint, so a new
    measurement or a changed formula that is not written there fails here."""
    assert main([]) == 0
    printed = capsys.readouterr().out
    page = DOC.read_text(encoding="utf-8")
    assert page.count(BEGIN) == 1
    assert page.count(END) == 1
    shown = page.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert shown == printed.strip()
    assert "| | one province | the ministry |" in shown
    assert "| dossiers a year | 3,460,000 | 100,000,000 |" in shown
