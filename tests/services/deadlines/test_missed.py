"""Where the deadlines worker is on each partition, and what that says it must read back or
acknowledge again (no Kafka: a Faust consumer never started keeps its bookkeeping in
plain dicts)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import faust
from faust.types import TP

from services.deadlines.missed import STORE_EVERY, Positions, acknowledge, drop_duplicate_acks


def test_only_offsets_after_a_known_position_and_before_the_event_are_skipped() -> None:
    positions = Positions()
    assert positions.skipped(0, 10) == range(0), "a partition not known yet shows nothing"
    positions.passed(0, 10)
    assert positions.skipped(0, 11) == range(0)
    assert positions.skipped(0, 8) == range(0), "an event seen again is no gap"
    assert positions.skipped(0, 15) == range(11, 15)
    positions.passed(0, 8)
    assert positions.last[0] == 10, "a position never goes back"


def test_offsets_committed_past_the_position_are_behind() -> None:
    positions = Positions()
    positions.passed(1, 30)
    positions.passed(2, 7)
    behind = positions.behind({1: 40, 2: 8, 3: 100})
    assert behind == {1: range(31, 40)}, "2 is caught up, 3 is not this worker's"
    positions.hand(1, 39)
    assert positions.behind({1: 40}) == {}, "handed to the checks: not read again"
    assert positions.behind({1: 45}) == {1: range(40, 45)}
    assert positions.skipped(1, 41) == range(31, 41), "the next event reads them again"
    positions.forget()
    positions.restore(1, 30)
    assert positions.behind({1: 40}) == {1: range(31, 40)}, "a rebalance lost the checks"


def test_a_commit_standing_before_the_position_twice_is_stalled() -> None:
    positions = Positions()
    positions.passed(4, 3600)
    assert positions.stalled({4: 2643}) == {}, "one look is no stall: Faust commits every few s"
    assert positions.stalled({4: 2643}) == {4: range(2643, 3601)}
    assert positions.stalled({4: 3601}) == {}, "moved on"
    assert positions.stalled({4: 3601}) == {}, "at the position: nothing to acknowledge"


def test_the_table_gets_a_position_at_first_then_every_so_often() -> None:
    positions = Positions()
    positions.passed(0, 100)
    assert positions.to_store(0) == 100
    positions.passed(0, 100 + STORE_EVERY - 1)
    assert positions.to_store(0) is None
    positions.passed(0, 100 + STORE_EVERY)
    assert positions.to_store(0) == 100 + STORE_EVERY
    positions.forget()
    positions.restore(0, 90)
    assert positions.last == {0: 90}
    assert positions.to_store(0) is None, "what the table holds is not written back"


def _faust_consumer(topic: str) -> Any:
    """A Faust consumer, never started: its acknowledgement and commit bookkeeping is plain
    Python over dicts, and that is what the repair works on."""
    app = faust.App(f"test-{uuid.uuid4().hex[:8]}", broker="kafka://127.0.0.1:1", store="memory://")
    conductor: Any = app.topics
    conductor._acking_topics.add(topic)  # as it does once an agent subscribes
    consumer: Any = app.consumer
    consumer.assignment = lambda: {TP(topic, 4)}
    return consumer


def test_acknowledging_again_moves_a_commit_faust_lost_the_acks_of() -> None:
    topic = "motcua.dossier-events"
    consumer, tp = _faust_consumer(topic), TP(topic, 4)
    consumer._committed_offset[tp] = 2643
    consumer._acked[tp] = [2645]  # 2643 and 2644 lost: Faust will not commit past the hole
    assert consumer._new_offset(tp) is None
    consumer._acked[tp] = [2645]
    seen = acknowledge(consumer, topic, 4, range(2643, 2646))
    assert seen["faust_committed"] == 2643
    assert consumer._new_offset(tp) == 2646


def test_acknowledging_again_puts_faust_back_on_the_groups_committed_offset() -> None:
    """As a chaos run left it: Faust read the committed offset (1830) just before the
    leaving worker's last commit (1838) landed, its stream started at 1838, and it waited
    for 1830–1837 for good, every later offset acknowledged."""
    topic = "motcua.dossier-events"
    consumer, tp = _faust_consumer(topic), TP(topic, 4)
    consumer._committed_offset[tp] = 1830
    consumer._acked[tp] = list(range(1838, 3360))
    consumer._acked_index[tp] = set(range(1838, 3360))
    assert consumer._new_offset(tp) is None, "the stall, as Faust's own code has it"
    seen = acknowledge(consumer, topic, 4, range(1838, 3360))
    assert seen == {
        "faust_committed": 1830,
        "faust_acked": 1522,
        "faust_first_acked": 1838,
        "assigned": True,
    }
    assert consumer._new_offset(tp) == 3360
    assert consumer._should_commit(tp, 3360)


def test_acknowledging_again_lowers_a_record_ahead_of_the_group() -> None:
    """Ahead of the group, Faust would refuse every acknowledgement below its record."""
    topic = "motcua.dossier-events"
    consumer, tp = _faust_consumer(topic), TP(topic, 4)
    consumer._committed_offset[tp] = 3360
    acknowledge(consumer, topic, 4, range(1838, 3360))
    assert consumer._new_offset(tp) == 3360


def test_acknowledging_again_takes_the_offsets_out_of_a_gap_faust_recorded() -> None:
    """As a chaos run left it: the stream jumped from 2450 to 3064 after a rebalance, so
    Faust recorded 2451–3064 as a gap; the repair then acknowledged 2497–3064, and the gap
    merged over them would hold each of those offsets twice."""
    topic = "motcua.dossier-events"
    consumer, tp = _faust_consumer(topic), TP(topic, 4)
    consumer._committed_offset[tp] = 2497
    asyncio.run(consumer._add_gap(tp, 2451, 3064))
    consumer._acked[tp] = [3064]
    consumer._acked_index[tp] = {3064}
    acknowledge(consumer, topic, 4, range(2497, 3065))
    assert consumer._new_offset(tp) == 3065
    assert consumer._acked[tp] == []


def test_offsets_faust_holds_twice_are_dropped_and_the_commit_moves_in_one_go() -> None:
    """Each repeat ends a run of consecutive offsets, and Faust commits one run per commit
    interval: a chaos run's commit crawled 800 offsets this way (~450 repeats)."""
    topic = "motcua.dossier-events"
    held = [100, 101, 101, 102, 103, 103, 104]
    crawling, healed, tp = _faust_consumer(topic), _faust_consumer(topic), TP(topic, 4)
    for consumer in (crawling, healed):
        consumer._committed_offset[tp] = 100
        consumer._acked[tp] = list(held)
        consumer._acked_index[tp] = set(held)
    assert crawling._new_offset(tp) == 102, "the crawl, as Faust's own code has it"
    assert drop_duplicate_acks(healed, topic, 4) == 2
    assert healed._new_offset(tp) == 105
    assert drop_duplicate_acks(healed, topic, 4) == 0
