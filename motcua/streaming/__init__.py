"""Faust-streaming plumbing shared by the stream-processing services."""

from motcua.streaming._app import StreamSettings, create_faust_app, run_worker

__all__ = ["StreamSettings", "create_faust_app", "run_worker"]
