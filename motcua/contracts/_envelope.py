"""Build, validate, encode and decode CloudEvents against their contracts.

Producers call ``new_event``/``encode_event``; consumers call ``decode_event``. Both
sides validate, so a bad event is stopped where it is made and, should one slip through
(an older producer, a hand-written message), again where it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

import orjson
from jsonschema.exceptions import best_match

from motcua.contracts._errors import ROOT, ContractError, from_validation_error
from motcua.contracts._registry import Contract, data_contract, envelope_contract
from motcua.contracts._time import format_instant
from motcua.contracts._types import EventType

SPECVERSION = "1.0"
DATACONTENTTYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
"""The CloudEvents Kafka protocol binding's structured mode: the value is the whole event
in the JSON event format. A reader (the official SDKs) picks the mode by this header."""

# (field, the field it must end with): a unit path lists the unit itself last.
_PATH_ENDS_WITH = (("unit_path", "unit_code"), ("to_unit_path", "to_unit_code"))

_CALENDAR_PREFIX = "vn.motcua.calendar."


class History(StrEnum):
    """The envelope's ``history`` extension attribute: an event brought across from an
    agency's previous software by intake's history importer, not something happening now.

    Consumers count history in the period it happened and act on none of it, except that
    deadlines tracks an ``OPEN`` dossier's clock from the moment it arrives.
    """

    CLOSED = "closed"
    """The dossier had ended in the imported record."""
    OPEN = "open"
    """The dossier was still open when it was imported."""


def history_of(event: Mapping[str, Any]) -> History | None:
    """The event's history mark, or None for an event of today's work."""
    mark = event.get("history")
    return None if mark is None else History(mark)


def structured_headers() -> list[tuple[str, str | bytes | None]]:
    """The Kafka headers of a message whose value is an :func:`encode_event` CloudEvent: every
    producer of the platform sends its events with these (a fresh list: clients may keep it)."""
    return [("content-type", STRUCTURED_CONTENT_TYPE.encode())]


def validate_event(event: Mapping[str, Any]) -> None:
    """Check a whole event: envelope, then ``data`` against its type's schema.

    Raises ContractError naming the first field at fault.
    """
    _check(envelope_contract(), event, "")
    event_type = _event_type(event["type"])
    data = event["data"]
    _check(data_contract(event_type), data, "data")
    _check_invariants(event, data)


def validate_data(event_type: EventType, data: Mapping[str, Any]) -> None:
    """Check only a payload, e.g. before it is written to an outbox.

    Field names in errors are prefixed with ``data.`` as in ``validate_event``.
    """
    _check(data_contract(_event_type(event_type)), data, "data")
    _check_unit_paths(data)


def new_event(
    event_type: EventType,
    *,
    source: str,
    subject: str,
    data: Mapping[str, Any],
    time: datetime,
    event_id: str | None = None,
    history: History | None = None,
) -> dict[str, Any]:
    """A validated CloudEvent for ``data``.

    ``time`` is when the fact happened at the desk, and must be timezone-aware.
    ``event_id`` defaults to a fresh UUID; pass the upstream id when relaying one, so
    consumers can deduplicate redeliveries. ``subject`` (the dossier id) is also the
    partition key. ``history`` marks an event the history importer brings across.
    """
    event: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": str(uuid4()) if event_id is None else event_id,
        "source": source,
        "type": str(event_type),
        "time": format_instant(time),
        "subject": subject,
        "partitionkey": subject,
        "datacontenttype": DATACONTENTTYPE,
        "data": dict(data),
    }
    if history is not None:
        event["history"] = history.value
    validate_event(event)
    return event


def encode_event(event: Mapping[str, Any]) -> bytes:
    """Validate, then serialise as compact UTF-8 JSON (Vietnamese text left unescaped).

    orjson would write a non-finite number as ``null``; the contracts refuse one first.
    """
    validate_event(event)
    return orjson.dumps(event, default=_json_default)


def decode_event(raw: bytes) -> dict[str, Any]:
    """Parse and validate a message value.

    Anything that is not a UTF-8 JSON object raises ContractError on field ``$``, never a
    JSON or Unicode error, so consumers need only one ``except`` to dead-letter a message.
    """
    if not raw:
        raise ContractError(ROOT, "empty message")
    try:
        event = orjson.loads(raw.decode("utf-8"))  # NaN and Infinity are not JSON to it
    except UnicodeDecodeError:
        raise ContractError(ROOT, "not UTF-8") from None
    except (ValueError, RecursionError):
        raise ContractError(ROOT, "not valid JSON") from None
    if not isinstance(event, dict):
        raise ContractError(ROOT, "not a JSON object")
    validate_event(event)
    return event


def _check(contract: Contract, instance: Any, prefix: str) -> None:
    if contract.accepts(instance):
        return
    error = best_match(contract.reference.iter_errors(instance))
    if error is not None:
        raise from_validation_error(error, prefix)


def _event_type(value: str) -> EventType:
    try:
        return EventType(value)
    except ValueError:
        raise ContractError("type", "unknown event type (no contract)") from None


def _check_invariants(event: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    # Cross-field rules JSON Schema cannot say. Ordering per dossier relies on the key.
    if event["partitionkey"] != event["subject"]:
        raise ContractError("partitionkey", "must equal subject (the dossier id)")
    if str(event["type"]).startswith(_CALENDAR_PREFIX):
        # Calendar events are about a date, the key of the compacted overrides topic.
        if data.get("date") != event["subject"]:
            raise ContractError("subject", "must equal data.date")
    elif data.get("dossier_id") != event["subject"]:
        raise ContractError("subject", "must equal data.dossier_id")
    _check_unit_paths(data)


def _check_unit_paths(data: Mapping[str, Any]) -> None:
    for path_field, unit_field in _PATH_ENDS_WITH:
        path = data.get(path_field)
        if path and unit_field in data and path[-1] != data[unit_field]:
            raise ContractError(f"data.{path_field}", f"must end with data.{unit_field}")


def _json_default(value: object) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    msg = f"{type(value).__name__} is not JSON serialisable"
    raise TypeError(msg)
