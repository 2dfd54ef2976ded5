"""The working calendar as announced, live in every process that counts working time.

Intake records each announcement in its own table and publishes it, through its outbox,
on the compacted topic ``motcua.calendar-overrides`` (key: the date; the latest record of
a date is its truth, a withdrawal is an explicit record). :class:`CalendarFeed` reads that
topic from the beginning in a thread of its own, on :class:`motcua.kafka.ConsumerLoop`
with every partition assigned — no consumer group, nothing committed, every process reads
everything — and swaps the overrides of a :class:`LiveCalendar`, which callers hold like
any :class:`WorkingCalendar`. Nothing restarts: the next deadline computed uses them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from confluent_kafka import Message

from motcua.calendar import (
    CalendarOverride,
    CalendarOverrides,
    OverrideKind,
    WorkingCalendar,
    WorkingHours,
    overrides_from,
)
from motcua.contracts import ContractError, EventType, decode_event
from motcua.kafka import Assigned, ConsumerLoop, DeadLetters, Topic, from_beginning

_log = logging.getLogger("motcua.calendar_feed")

IN_FORCE = "in_force"
WITHDRAWN = "withdrawn"

# Every public method of WorkingCalendar: a LiveCalendar answers each from one snapshot,
# so a computation never mixes two versions of the calendar (their day ranks differ).
_DELEGATED = (
    "is_working_day",
    "next_working_day",
    "next_working_moment",
    "clock_start",
    "add_working_time",
    "subtract_working_time",
    "add_working_days",
    "add_working_hours",
    "add_calendar_days",
    "due_at",
    "apology_deadline",
    "working_time_between",
)


class LiveCalendar(WorkingCalendar):
    """A :class:`WorkingCalendar` whose overrides can be replaced while it is in use.

    Each call is answered by the snapshot current when it starts (an immutable
    ``WorkingCalendar``); :meth:`replace` swaps the snapshot in one assignment.
    """

    _lock: threading.Lock
    _version: int
    _current: WorkingCalendar

    def __init__(self, hours: WorkingHours | None = None, zone: str = "Asia/Ho_Chi_Minh") -> None:
        # Not the dataclass __init__: ``overrides`` is a property here, not a field value.
        ZoneInfo(zone)
        object.__setattr__(self, "hours", hours or WorkingHours())
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_version", 0)
        object.__setattr__(self, "_current", WorkingCalendar(self.hours, CalendarOverrides(), zone))

    @property
    def overrides(self) -> CalendarOverrides:
        return self.snapshot().overrides

    @property
    def version(self) -> int:
        """Bumped by every change, so a consumer of the calendar can notice one."""
        return self._version

    def snapshot(self) -> WorkingCalendar:
        """The calendar as it is now, immutable."""
        return self._current

    def replace(self, overrides: CalendarOverrides) -> bool:
        """Use ``overrides`` from now on; False when they are the ones in use already."""
        with self._lock:
            if overrides == self._current.overrides:
                return False
            object.__setattr__(self, "_current", WorkingCalendar(self.hours, overrides, self.zone))
            object.__setattr__(self, "_version", self._version + 1)
            return True

    __hash__ = object.__hash__  # mutable: hashed by identity, not by today's overrides

    def __eq__(self, other: object) -> bool:
        return self is other


def _delegate(name: str) -> Callable[..., Any]:
    def method(self: LiveCalendar, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.snapshot(), name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = getattr(WorkingCalendar, name).__doc__
    return method


for _name in _DELEGATED:
    setattr(LiveCalendar, _name, _delegate(_name))


def override_from_event(event: dict[str, Any]) -> tuple[date, CalendarOverride | None]:
    """The date an ``override changed`` event is about, and its announcement if in force."""
    if event["type"] != EventType.CALENDAR_OVERRIDE_CHANGED:
        raise ContractError("type", "not a calendar override event")
    data = event["data"]
    day = date.fromisoformat(data["date"])
    if data["status"] == WITHDRAWN:
        return day, None
    return day, CalendarOverride(day, OverrideKind(data["kind"]), data["legal_basis"], data["note"])


class CalendarFeed:
    """Follows the compacted overrides topic into a :class:`LiveCalendar`."""

    def __init__(
        self,
        bootstrap_servers: str,
        calendar: LiveCalendar,
        *,
        topic: str = Topic.CALENDAR_OVERRIDES.value,
        on_change: Callable[[LiveCalendar], None] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.calendar = calendar
        self.topic = topic
        self.on_change = on_change
        self._announcements: dict[date, CalendarOverride] = {}
        self._loop = ConsumerLoop(
            "calendar-feed",
            bootstrap_servers,
            [topic],
            self.handle,
            Assigned(from_beginning(topic)),
            on_caught_up=self._loaded,
            log=_log,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        """Run in a daemon thread (it holds no group membership and commits nothing)."""
        self._thread = threading.Thread(target=self.run, args=(self._stop,), name="calendar-feed")
        self._thread.daemon = True
        self._thread.start()
        return self._thread

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def caught_up(self) -> bool:
        """Everything on the topic when the feed started has been applied."""
        return self._loop.caught_up

    def wait_caught_up(self, timeout_s: float) -> bool:
        """True once everything on the topic when the feed started has been applied."""
        return self._loop.wait_caught_up(timeout_s)

    def run(self, stop: threading.Event) -> None:
        self._loop.run(stop)

    def handle(self, batch: Sequence[Message], _: DeadLetters) -> None:
        """Apply a batch; swap the calendar's overrides if they changed."""
        changed = False
        for message in batch:
            changed |= self._apply(message)
        if changed and self.calendar.replace(overrides_from(self._announcements.values())):
            if self.caught_up:  # the first load is logged once, when caught up
                _log.info(
                    "calendar overrides changed", extra={"overrides": len(self._announcements)}
                )
            if self.on_change:
                self.on_change(self.calendar)

    def _loaded(self) -> None:
        _log.info("calendar overrides loaded", extra={"overrides": len(self._announcements)})

    def _apply(self, message: Message) -> bool:
        value = message.value()
        try:
            if value is None:  # a tombstone (an operator's cleanup): the date has no override
                day = date.fromisoformat((message.key() or b"").decode())
                return self._announcements.pop(day, None) is not None
            day, announcement = override_from_event(decode_event(value))
        except (ContractError, ValueError) as exc:
            _log.error("unreadable calendar override skipped", extra={"error": str(exc)})
            return False
        if announcement is None:
            return self._announcements.pop(day, None) is not None
        if self._announcements.get(day) == announcement:
            return False
        self._announcements[day] = announcement
        return True
