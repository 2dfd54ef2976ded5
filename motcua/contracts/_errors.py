"""One exception for every contract breach, naming the field at fault.

Reasons are built from the schema, never from the offending value: error messages end
up in logs and dead-letter headers, and the value may be exactly the personal data the
contract is there to keep out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError

ROOT = "$"
"""Field name used when the whole message is at fault (not JSON, not an object)."""


class ContractError(ValueError):
    """An event does not satisfy its contract.

    ``field`` is the dotted path of the offending field (``time``, ``data.due_at``,
    ``data.unit_path.1``; ``$`` for the whole message) and ``reason`` says what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[ContractError], tuple[str, str]]:
        # Keeps the error picklable (multiprocessing, Faust agents) despite the 2-arg init.
        return (type(self), (self.field, self.reason))


def join_path(prefix: str, parts: Iterable[str | int]) -> str:
    """Dotted path of a field; ``$`` for the root."""
    names = [prefix] if prefix else []
    names.extend(str(part) for part in parts)
    return ".".join(names) or ROOT


def from_validation_error(error: ValidationError, prefix: str = "") -> ContractError:
    """Translate a jsonschema error into a ContractError on the field really at fault.

    jsonschema reports ``required`` and ``additionalProperties`` on the enclosing object;
    callers want the missing or unexpected property itself.
    """
    path: list[str | int] = list(error.absolute_path)
    keyword = str(error.validator)
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema

    if keyword == "required" and isinstance(instance, Mapping):
        missing = next((name for name in value if name not in instance), None)
        if missing is not None:
            return ContractError(join_path(prefix, [*path, missing]), "required field is missing")
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        extra = _first_extra_property(instance, schema)
        if extra is not None:
            return ContractError(join_path(prefix, [*path, extra]), _NOT_ALLOWED)
    return ContractError(join_path(prefix, path), _reason(keyword, value))


def _first_extra_property(instance: Mapping[str, Any], schema: Any) -> str | None:
    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    patterns = schema.get("patternProperties", {}) if isinstance(schema, Mapping) else {}
    for name in instance:
        if name in properties:
            continue
        if any(re.search(pattern, name) for pattern in patterns):
            continue
        return str(name)
    return None


_NOT_ALLOWED = "field is not allowed by the contract"
_REASONS: Mapping[str, Callable[[Any], str]] = {
    "type": lambda value: f"expected {_or(value)}",
    "enum": lambda value: f"must be one of {_or(value)}",
    "const": lambda value: f"must be {value!r}",
    "pattern": lambda value: f"does not match pattern {value}",
    "format": lambda value: f"is not a valid {value}",
    "minLength": lambda value: f"shorter than {value} characters",
    "maxLength": lambda value: f"longer than {value} characters",
    "minimum": lambda value: f"less than {value}",
    "maximum": lambda value: f"greater than {value}",
    "exclusiveMinimum": lambda value: f"not greater than {value}",
    "exclusiveMaximum": lambda value: f"not less than {value}",
    "minItems": lambda value: f"fewer than {value} items",
    "maxItems": lambda value: f"more than {value} items",
    "uniqueItems": lambda _: "items are not unique",
    "minProperties": lambda value: f"fewer than {value} fields",
    "required": lambda _: "required field is missing",
    "additionalProperties": lambda _: _NOT_ALLOWED,
    "unevaluatedProperties": lambda _: _NOT_ALLOWED,
    "None": lambda _: _NOT_ALLOWED,
}
"""How each broken keyword is said, from the keyword's value in the schema."""


def _reason(keyword: str, value: Any) -> str:
    reason = _REASONS.get(keyword)
    return reason(value) if reason is not None else f"violates '{keyword}'"


def _or(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(repr(item) for item in value)
    return repr(value)
