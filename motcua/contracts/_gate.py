"""A yes/no check compiled to native code (jsonschema-rs), in front of jsonschema.

jsonschema walks the schema in Python for every event (about 0.15 ms for a dossier
event here, and every event is validated where it is made and where it is read). A
first gate generated Python code (fastjsonschema): 52 µs for a received-dossier event,
envelope and data. jsonschema-rs validates the same schema in Rust; with our formats and
patterns checked by the reference's own Python functions, 2.5 times faster again.
Neither names the field the way ``ContractError`` must, so the gate only ever says
"valid"; on anything else the caller asks jsonschema, which stays the reference and
writes the error. A gate that rejects wrongly costs time, never a verdict.

The gate must never accept what the reference refuses. It is built only for schemas
made of keywords the property test (``tests/contracts/test_gate.py``) covers, and not
for a schema with ``"type": "number"``: our reference refuses NaN and infinities there.
Formats are checked by the reference's own format functions and patterns by
``re.search`` as the reference does: a Rust regular expression's ``$``, ``\\d`` or
``\\w`` need not match what Python's do, nor its RFC 3339 what rfc3339-validator accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
from jsonschema import FormatChecker

Gate = Callable[[Any], bool]

# Keywords the property test covers (``items`` with one schema).
_COVERED = frozenset(
    {"type", "properties", "required", "additionalProperties", "enum", "const", "format"}
    | {"pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    | {"minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "items"}
    | {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$schema", "$id"}
)
_DATA_KEYWORDS = frozenset({"enum", "const"})
_SUBSCHEMA_MAPS = frozenset({"properties"})


_PLAIN_KEYWORDS = _DATA_KEYWORDS | {"type", "$schema", "$id", "required", "format"}
"""Keywords whose value holds no subschema."""


def _subschemas(schema: dict[str, Any]) -> Iterator[Any]:
    """The schemas directly inside ``schema``: under ``properties``, in lists, or alone."""
    for key, value in schema.items():
        if key in _PLAIN_KEYWORDS:
            continue
        if key in _SUBSCHEMA_MAPS:
            yield from value.values()
        elif isinstance(value, list):
            yield from value
        elif isinstance(value, dict | bool):
            yield value


def _translatable(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not schema.keys() <= _COVERED:
        return False
    kind = schema.get("type")
    if kind == "number" or (isinstance(kind, list) and "number" in kind):
        return False
    if isinstance(schema.get("items"), list):
        return False  # not a 2020-12 schema (prefixItems' job)
    return all(_translatable(sub) for sub in _subschemas(schema))


def _patterns_as_formats(schema: Any, checks: dict[str, Callable[[str], bool]]) -> Any:
    """A copy of ``schema`` with each ``pattern`` turned into a format of its own."""
    if isinstance(schema, list):
        return [_patterns_as_formats(item, checks) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DATA_KEYWORDS or key == "pattern":
            out[key] = value
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {name: _patterns_as_formats(sub, checks) for name, sub in value.items()}
        else:
            out[key] = _patterns_as_formats(value, checks)
    pattern = out.pop("pattern", None)
    if pattern is not None:
        name = f"pattern-{len(checks)}"  # the pattern itself would land in generated code
        checks[name] = _searcher(pattern)
        out["allOf"] = [*out.get("allOf", []), {"format": name}]
    return out


def _searcher(pattern: str) -> Callable[[str], bool]:
    regex = re.compile(pattern)

    def matches(value: str) -> bool:
        return regex.search(value) is not None

    return matches


def _conforms(checker: FormatChecker, name: str) -> Callable[[str], bool]:
    """The reference's own check of format ``name``, called directly: what
    ``FormatChecker.conforms`` does, without its lookup and its error object. A format
    the reference has no check for (``uri-reference``) it accepts, and so does the gate."""
    if name not in checker.checkers:
        return lambda _: True
    check, raises = checker.checkers[name]

    def conforms(value: str) -> bool:
        try:
            return bool(check(value))
        except raises:
            return False

    return conforms


def _renamed_formats(schema: Any) -> Any:
    """A copy of ``schema`` whose formats all carry our prefix, so jsonschema-rs calls
    the reference's checks instead of its own."""
    if isinstance(schema, list):
        return [_renamed_formats(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DATA_KEYWORDS:
            out[key] = value
        elif key in _SUBSCHEMA_MAPS:
            out[key] = {name: _renamed_formats(sub) for name, sub in value.items()}
        elif key == "format" and isinstance(value, str):
            out[key] = _FORMAT_PREFIX + value
        else:
            out[key] = _renamed_formats(value)
    return out


_FORMAT_PREFIX = "motcua-"


def _formats_of(schema: Any, found: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "format" and isinstance(value, str):
                found.add(value)
            elif key in _SUBSCHEMA_MAPS:
                _formats_of(list(value.values()), found)
            elif key not in _DATA_KEYWORDS:
                _formats_of(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _formats_of(item, found)
    return found


def compile_gate(inlined: dict[str, Any], format_checker: FormatChecker) -> Gate | None:
    """A fast "is it valid?" for a schema whose ``$ref``s are inlined, or None when
    the schema says something the gate could accept wrongly."""
    if not _translatable(inlined):
        return None
    patterns: dict[str, Callable[[str], bool]] = {}
    schema = _renamed_formats(_patterns_as_formats(inlined, patterns))
    formats = {
        _FORMAT_PREFIX + name: _conforms(format_checker, name)
        for name in _formats_of(inlined, set())
    }
    formats.update({_FORMAT_PREFIX + name: check for name, check in patterns.items()})
    validator = jsonschema_rs.Draft202012Validator(schema, formats=formats, validate_formats=True)

    def gate(instance: Any) -> bool:
        try:
            return bool(validator.is_valid(instance))
        except (ValueError, OverflowError):  # e.g. an integer beyond 64 bits
            return False

    return gate
