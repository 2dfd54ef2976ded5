"""The board's event stream: what an open page is told, and when."""

from __future__ import annotations

import asyncio

import pytest

from services.deadlines.board.live import BoardFeed
from services.deadlines.board.views import live

CHANGED = b"event: changed\ndata: {}\n\n"


async def _lines(feed: BoardFeed, unit_code: str, count: int) -> list[bytes]:
    stream = live.changes(feed, [unit_code])
    try:
        return [await asyncio.wait_for(anext(stream), 2) for _ in range(count)]
    finally:
        await stream.aclose()


def test_a_new_subscription_is_told_changed_at_once_to_cover_the_gap_since_the_render() -> None:
    assert asyncio.run(_lines(BoardFeed("postgresql://unused"), "000.00.00.H01", 2)) == [
        b"retry: 1000\n\n",
        CHANGED,
    ]


def test_only_changes_inside_the_officers_subtree_wake_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_S", 0.05)
    feed = BoardFeed("postgresql://unused")

    async def scenario() -> list[bytes]:
        # Tuyên Quang's police, carrying on Hà Giang's since the 2025 merger.
        stream = live.changes(feed, ["000.00.00.H08", "000.00.00.H02"])
        try:
            lines = [await anext(stream), await anext(stream)]  # retry hint, first changed
            feed.publish(["000.00.00.H31", "000.00.01.H31"])  # Hải Phòng: not this officer's
            lines.append(await anext(stream))
            feed.publish(["000.00.00.H08", "000.00.01.H08"])  # a Tuyên Quang commune
            lines.append(await anext(stream))
            feed.publish(["000.00.00.H02", "001.10.99.H02"])  # a retired Hà Giang commune
            lines.append(await anext(stream))
            return lines
        finally:
            await stream.aclose()

    assert asyncio.run(scenario())[2:] == [b": keepalive\n\n", CHANGED, CHANGED]
