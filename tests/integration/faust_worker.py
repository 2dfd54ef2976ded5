"""A minimal Faust worker built on ``motcua.streaming``, run as a subprocess by the tests.

It records, per key, every sequence number it has seen, in a RocksDB table with a
changelog. The set semantics make it idempotent, the way every Motcua consumer must be,
so at-least-once redelivery after a crash cannot inflate what it reports.
"""

from __future__ import annotations

import json
import os
from typing import Any

from motcua.streaming import StreamSettings, create_faust_app, run_worker

settings = StreamSettings()
app = create_faust_app(os.environ["TEST_APP_ID"], settings)
source = app.topic(os.environ["TEST_INPUT_TOPIC"], key_serializer="raw", value_serializer="raw")
seen = app.Table("seen", default=list, partitions=settings.topic_partitions)


@app.agent(source)
async def record(stream: Any) -> None:
    async for raw_key, value in stream.items():
        key = raw_key.decode()
        sequence = json.loads(value)["seq"]
        if sequence not in seen[key]:
            seen[key] = [*seen[key], sequence]


@app.page("/seen")
async def seen_view(web: Any, request: Any) -> Any:
    return web.json({key: sorted(value) for key, value in seen.items()})


if __name__ == "__main__":
    run_worker(app, settings, "faust-test-worker")
