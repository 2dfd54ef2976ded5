"""The settings every confluent-kafka client of ours starts from."""

from __future__ import annotations

import logging
from typing import Any

#: librdkafka's own log lines arrive here, on the thread that polls the client, so they pass
#: the services' JSON formatter and :class:`motcua.logging.RepeatFilter`. On stderr a
#: refused connection is one line every ``reconnect.backoff.ms`` per client and broker:
#: its backoff does not grow while the broker refuses, and a minute's outage cost a
#: service with seven clients 1.6 MB of log.
LIBRDKAFKA_LOGGER = logging.getLogger("librdkafka")


def client_config(bootstrap_servers: str, **settings: Any) -> dict[str, Any]:
    """``bootstrap.servers``, errors only and logged through Python logging; ``settings``
    on top. A client's queued log lines are delivered when it is polled (``poll``,
    ``consume``, ``flush``), so a client that is never polled must call ``poll(0)``."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "log_level": 3,
        "logger": LIBRDKAFKA_LOGGER,
        **settings,
    }


def consumer_config(bootstrap_servers: str, group_id: str, **settings: Any) -> dict[str, Any]:
    """A group member that commits only what it has finished (never automatically) and,
    new, starts from the beginning of what the topics keep."""
    return client_config(
        bootstrap_servers,
        **{
            "group.id": group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **settings,
        },
    )


def idempotent_producer_config(bootstrap_servers: str, **settings: Any) -> dict[str, Any]:
    """A producer that neither loses (``acks=all``) nor doubles (idempotent) what it sends."""
    return client_config(
        bootstrap_servers, **{"enable.idempotence": True, "acks": "all"}, **settings
    )
