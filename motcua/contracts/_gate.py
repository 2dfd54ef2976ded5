"""A yes/no check compiled to Python code (fastjsonschema), in front of jsonschema.

jsonschema walks the schema for every event (about 0.15 ms for a dossier event here,
twice per event since both sides validate), and that walk was two thirds of what the
ratings consumer spends on a returned dossier. fastjsonschema turns the same schema into
straight-line Python, about twenty times faster, but its errors do not name the field the
way ``ContractError`` must. So the gate only ever says "valid"; on anything else the
caller asks jsonschema, which stays the reference and writes the error. A gate that
rejects wrongly costs time, never a verdict.

The gate must never accept what the reference refuses. It is built only for schemas
whose every keyword means the same in draft-07 (fastjsonschema's newest draft) as in
2020-12 once ``$ref``s are inlined, and not for a schema with ``"type": "number"``:
our reference refuses NaN and infinities there, which no draft-07 keyword can say.
Formats are checked by the reference's own format checker, and patterns by
``re.search`` as the reference does: fastjsonschema rewrites every ``$`` of a pattern to
``\\Z``, which breaks a ``$`` inside a character class and changes what ``$`` matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import fastjsonschema
from jsonschema import FormatChecker

Gate = Callable[[Any], bool]

# Keywords with the same meaning in draft-07 and 2020-12 (``items`` with one schema).
_SAME_IN_DRAFT_07 = frozenset(
    {"type", "properties", "required", "additionalProperties", "enum", "const", "format"}
    | {"pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
    | {"minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "items"}
    | {"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$schema", "$id"}
)
_DATA_KEYWORDS = frozenset({"enum", "const"})
_SUBSCHEMA_MAPS = frozenset({"properties"})
_DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _translatable(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not schema.keys() <= _SAME_IN_DRAFT_07:
        return False
    kind = schema.get("type")
    if kind == "number" or (isinstance(kind, list) and "number" in kind):
        return False
    if isinstance(schema.get("items"), list):
        return False  # a tuple in draft-07, prefixItems' job in 2020-12
    for key, value in schema.items():
        if key in _DATA_KEYWORDS or key in {"type", "$schema", "$id", "required", "format"}:
            continue
        if key in _SUBSCHEMA_MAPS:
            if not all(_translatable(sub) for sub in value.values()):
                return False
        elif isinstance(value, list):
            if not all(_translatable(sub) for sub in value):
                return False
        elif isinstance(value, dict | bool) and not _translatable(value):
            return False
    return True


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
    def conforms(value: str) -> bool:
        return checker.conforms(value, name)

    return conforms


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
    schema = _patterns_as_formats(inlined, patterns)
    schema = {key: value for key, value in schema.items() if key not in {"$schema", "$id"}}
    schema["$schema"] = _DRAFT_07
    formats = {
        name: _conforms(format_checker, name)
        for name in _formats_of(schema, set()) - patterns.keys()
    }
    formats.update(patterns)
    validate = fastjsonschema.compile(schema, formats=formats, use_default=False)

    def gate(instance: Any) -> bool:
        try:
            validate(instance)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return gate
