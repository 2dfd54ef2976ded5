"""RFC 3339 instants for events.

Deadlines are computed from these values, so a timestamp without an offset is refused
rather than guessed: a naive 08:00 could be Hanoi time or UTC, seven hours apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_MINUTE = timedelta(minutes=1)


def format_instant(moment: datetime) -> str:
    """RFC 3339 text of an aware datetime, keeping its offset (e.g. ``+07:00``).

    Raises ValueError for a naive datetime.
    """
    if not isinstance(moment, datetime):
        msg = f"expected a datetime, got {type(moment).__name__}"
        raise TypeError(msg)
    offset = moment.utcoffset()
    if offset is None:
        msg = "naive datetime: give a timezone (e.g. ZoneInfo('Asia/Ho_Chi_Minh') or UTC)"
        raise ValueError(msg)
    if offset % _MINUTE:
        # RFC 3339 offsets have no seconds (historic LMT zones do); say it in UTC instead.
        moment = moment.astimezone(UTC)
    return moment.isoformat()


def parse_instant(text: str) -> datetime:
    """Aware datetime from an event's RFC 3339 text; ValueError if it carries no offset."""
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        msg = f"instant without offset: {text!r}"
        raise ValueError(msg)
    return moment
