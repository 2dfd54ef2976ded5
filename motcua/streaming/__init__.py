"""Faust-streaming plumbing shared by the stream-processing services."""

from motcua.streaming._app import StreamSettings, create_faust_app, run_worker, table_changelogs
from motcua.streaming._events import as_current_event

__all__ = [
    "StreamSettings",
    "as_current_event",
    "create_faust_app",
    "run_worker",
    "table_changelogs",
]
