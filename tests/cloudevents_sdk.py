"""A message of the platform read the way the official CloudEvents Python SDK reads it: the
CloudEvents Kafka protocol binding's structured mode, picked by the ``content-type`` header
(the binding's rule: a media type ``application/cloudevents`` + format means structured),
the whole event in the value."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka, from_structured
from cloudevents.core.formats.json import JSONFormat

from motcua.contracts import STRUCTURED_CONTENT_TYPE, parse_instant

KafkaHeaders = Sequence[tuple[str, str | bytes | None]] | Mapping[str, str | bytes | None] | None


def header_map(headers: KafkaHeaders) -> dict[str, bytes]:
    """Kafka headers (as any client gives them) by lower-cased name, values as bytes."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers or []
    return {
        name.lower(): value.encode() if isinstance(value, str) else value or b""
        for name, value in pairs
    }


def structured_event(headers: KafkaHeaders, key: bytes | None, value: bytes) -> dict[str, Any]:
    """The event of a message that says it is one in structured mode, read by the SDK and
    checked against its JSON value (returned). Fails on a message that does not say so."""
    by_name = header_map(headers)
    content_type = by_name.get("content-type", b"").decode()
    assert content_type == STRUCTURED_CONTENT_TYPE, f"content-type {content_type!r}"
    event_format = JSONFormat()
    media_type = content_type.split(";")[0].strip()
    assert media_type == event_format.get_content_type(), "the SDK's JSON event format"
    message = KafkaMessage(headers=by_name, key=key, value=value)
    event = from_structured(message, event_format)
    # The SDK's own detection (binary only with ce_ headers) sees the same structured event.
    assert from_kafka(message, event_format).get_attributes() == event.get_attributes()
    body = json.loads(value)
    attributes = event.get_attributes()
    assert event.get_data() == body["data"]
    assert attributes["time"] == parse_instant(body["time"])
    for name in ("specversion", "id", "source", "type", "subject", "datacontenttype"):
        assert attributes[name] == body[name], name
    return dict(body)
