"""Which event a Faust table write belongs to, when a batch is processed at once."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from faust.streams import _current_event
from faust.types import EventT


@contextmanager
def as_current_event(event: EventT) -> Iterator[None]:
    """Table writes inside the block belong to ``event``.

    Faust writes a table key's changelog record, and its RocksDB row, to the partition of
    the event being processed, which ``take_events`` leaves set to the batch's last: a
    batch spanning partitions would write other events' keys to the wrong partition, and
    a recovery would not find them where the key's next owner looks.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
