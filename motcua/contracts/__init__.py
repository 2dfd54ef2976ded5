"""Event contracts: CloudEvents 1.0 envelopes with one JSON Schema per event type.

Every service validates what it produces and what it consumes through this package, so
the schemas under ``schemas/`` are the single source of truth for what an event may
carry, and in particular that no citizen personal data ever does.
"""

from motcua.contracts._criteria import Criterion
from motcua.contracts._envelope import (
    STRUCTURED_CONTENT_TYPE,
    History,
    decode_event,
    encode_event,
    history_of,
    new_event,
    structured_headers,
    validate_data,
    validate_event,
)
from motcua.contracts._errors import ContractError
from motcua.contracts._registry import SCHEMAS_DIR_ENV, load_contracts, schema_id, schemas_dir
from motcua.contracts._time import format_instant, parse_instant
from motcua.contracts._types import EventType

__all__ = [
    "SCHEMAS_DIR_ENV",
    "STRUCTURED_CONTENT_TYPE",
    "ContractError",
    "Criterion",
    "EventType",
    "History",
    "decode_event",
    "encode_event",
    "format_instant",
    "history_of",
    "load_contracts",
    "new_event",
    "parse_instant",
    "schema_id",
    "schemas_dir",
    "structured_headers",
    "validate_data",
    "validate_event",
]
