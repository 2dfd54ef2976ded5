"""Loads the JSON Schemas from disk and compiles each validator once.

Validation sits on the hot path (every produced and consumed event), so schemas are read
and checked once (at start-up: ``load_contracts``) and the compiled validators are kept
for the process. The
files keep their ``$ref``s (they are the contract other tools read), but each validator is
compiled from a copy with every ``$ref`` replaced by its target, resolved once through a
``referencing.Registry``: resolving refs on every event made validation about five times
slower. Our schemas have no recursive refs, so the copy is finite; a cycle is refused.
The same copy is also compiled to code as a fast gate in front of the validator
(``_gate.py``).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from motcua.contracts._gate import Gate, compile_gate
from motcua.contracts._types import EventType

if TYPE_CHECKING:
    from referencing._core import Resolver

SCHEMAS_DIR_ENV = "MOTCUA_SCHEMAS_DIR"
ENVELOPE_SCHEMA = "cloudevent.v1.json"
COMMON_SCHEMA = "common.v1.json"


def schemas_dir() -> Path:
    """The directory holding the schemas: ``$MOTCUA_SCHEMAS_DIR`` or the repo's ``schemas/``."""
    configured = os.environ.get(SCHEMAS_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "schemas"


def _is_object(_checker: Any, instance: object) -> bool:
    # Callers hand us Mappings (e.g. MappingProxyType), not only dicts.
    return isinstance(instance, Mapping)


def _is_number(_checker: Any, instance: object) -> bool:
    # NaN and infinities are not JSON; NaN would even slip past "minimum".
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    return isinstance(instance, float) and math.isfinite(instance)


def _is_integer(checker: Any, instance: object) -> bool:
    if isinstance(instance, float):
        return math.isfinite(instance) and instance.is_integer()
    return _is_number(checker, instance)


_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"object": _is_object, "number": _is_number, "integer": _is_integer}
    ),
)


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    # jsonschema silently skips formats whose optional library is missing; a contract
    # that stops checking timestamps without telling anyone is worse than no start-up.
    for required in ("date-time", "uuid"):
        if required not in checker.checkers:
            msg = f"format {required!r} cannot be checked: install rfc3339-validator"
            raise RuntimeError(msg)
    return checker


# Keywords whose values are schemas (one, a list of them, or a name -> schema map); all
# other keywords hold data (enum, const, examples...) and are copied untouched.
_SCHEMA_KEYWORDS = frozenset(
    {"additionalProperties", "contains", "else", "if", "items", "not", "propertyNames"}
    | {"then", "unevaluatedItems", "unevaluatedProperties"}
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset({"dependentSchemas", "patternProperties", "properties"})
# Dropped from the compiled copy: nothing refers to $defs once refs are inlined, and
# annotations do not take part in validation.
_DROPPED_KEYWORDS = frozenset(
    {"$defs", "$ref", "$comment", "title", "description", "examples", "default"}
)


def _inline_refs(schema: Any, resolver: Resolver[Any], refs: tuple[int, ...] = ()) -> Any:
    """A copy of ``schema`` with each ``$ref`` replaced by (an allOf of) its target."""
    if not isinstance(schema, dict):
        return schema  # a boolean schema
    if refs and "$id" in schema:
        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
    out = _inline_children(schema, resolver, refs)
    ref = schema.get("$ref")
    if ref is None:
        return _fold_all_of(out)
    target = _ref_target(ref, resolver, refs)
    if isinstance(target, dict) and not target.keys() & out.keys():
        return _fold_all_of({**out, **target})  # same meaning, one schema less to descend
    # In 2020-12 a $ref applies alongside its sibling keywords, exactly as allOf would.
    out["allOf"] = [target, *out.get("allOf", [])]
    return _fold_all_of(out)


def _inline_children(
    schema: dict[str, Any], resolver: Resolver[Any], refs: tuple[int, ...]
) -> dict[str, Any]:
    """``schema``'s keywords but the dropped ones, each subschema with its refs inlined."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key in _SCHEMA_KEYWORDS:
            out[key] = _inline_refs(value, resolver, refs)
        elif key in _SCHEMA_LIST_KEYWORDS:
            out[key] = [_inline_refs(item, resolver, refs) for item in value]
        elif key in _SCHEMA_MAP_KEYWORDS:
            out[key] = {name: _inline_refs(sub, resolver, refs) for name, sub in value.items()}
        else:
            out[key] = value
    return out


def _ref_target(ref: str, resolver: Resolver[Any], refs: tuple[int, ...]) -> Any:
    """What ``ref`` points at, its own refs inlined; a ref back into itself is refused."""
    resolved = resolver.lookup(ref)
    target_key = id(resolved.contents)  # the registry hands back the same object each time
    if target_key in refs:
        msg = f"recursive $ref {ref!r} cannot be inlined"
        raise RuntimeError(msg)
    return _inline_refs(resolved.contents, resolved.resolver, (*refs, target_key))


def _fold_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Fold allOf members that only repeat the parent's properties into its ``required``.

    Event schemas pull in ``dossier_ref`` with allOf and list the same properties again
    (for additionalProperties); without this every dossier field would be checked twice.
    """
    members = schema.get("allOf")
    if not members or "properties" not in schema:
        return schema
    properties = schema["properties"]
    required = list(schema.get("required", []))
    kept = []
    for member in members:
        redundant = (
            isinstance(member, dict)
            and member.keys() <= {"type", "required", "properties"}
            and member.get("type", schema.get("type")) == schema.get("type")
            and all(properties.get(k) == v for k, v in member.get("properties", {}).items())
        )
        if redundant:
            required.extend(name for name in member.get("required", []) if name not in required)
        else:
            kept.append(member)
    folded = {key: value for key, value in schema.items() if key != "allOf"}
    if kept:
        folded["allOf"] = kept
    if required:
        folded["required"] = required
    return folded


@dataclass(frozen=True)
class Contract:
    """One schema's checks: the reference validator (jsonschema), whose errors name the
    field, and the fast gate in front of it (None where it could not be trusted)."""

    reference: Validator
    gate: Gate | None

    def accepts(self, instance: Any) -> bool:
        """True: valid. False: ask ``reference`` (for the verdict and the error)."""
        return self.gate is not None and self.gate(instance)


class _Schemas:
    """Every schema file, the $ref registry over them, and the compiled validators."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.format_checker = _format_checker()
        resources: list[tuple[str, Resource[Any]]] = []
        self.ids: dict[str, str] = {}
        for relative in (ENVELOPE_SCHEMA, COMMON_SCHEMA, *(t.schema_path for t in EventType)):
            schema = self._read(relative)
            Draft202012Validator.check_schema(schema)
            resources.append((schema["$id"], Resource.from_contents(schema, DRAFT202012)))
            self.ids[relative] = schema["$id"]
        self.registry: Registry[Any] = Registry().with_resources(resources).crawl()
        self._lock = threading.Lock()
        self._contracts: dict[str, Contract] = {}

    def _read(self, relative: str) -> dict[str, Any]:
        path = self.root / relative
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            msg = f"schema {relative} not found under {self.root} (set {SCHEMAS_DIR_ENV}?)"
            raise RuntimeError(msg) from None
        if not isinstance(schema, dict) or not isinstance(schema.get("$id"), str):
            msg = f"schema {path} is not an object with an $id"
            raise RuntimeError(msg)
        return schema

    def contract(self, relative: str) -> Contract:
        """The compiled checks for one schema file, built on first use."""
        found = self._contracts.get(relative)
        if found is not None:
            return found
        with self._lock:
            found = self._contracts.get(relative)
            if found is None:
                schema_uri = self.ids[relative]
                schema = _inline_refs(
                    self.registry.contents(schema_uri), self.registry.resolver(schema_uri)
                )
                found = Contract(
                    _Validator(schema, registry=self.registry, format_checker=self.format_checker),
                    compile_gate(schema, self.format_checker),
                )
                self._contracts[relative] = found
            return found


_loading = threading.Lock()
_loaded: _Schemas | None = None


def _schemas() -> _Schemas:
    global _loaded
    found = _loaded
    if found is None:
        with _loading:  # one thread reads the files; the others wait for it, not redo it
            if _loaded is None:
                _loaded = _Schemas(schemas_dir())
            found = _loaded
    return found


def load_contracts() -> None:
    """Read every schema and compile every contract now. Services call it at start-up:
    loaded on first use, the first requests after a deploy waited for it (a second and
    more at 200 forms a second, ``python -m bench ratings``)."""
    schemas = _schemas()
    schemas.contract(ENVELOPE_SCHEMA)
    for event_type in EventType:
        schemas.contract(event_type.schema_path)


def envelope_contract() -> Contract:
    """The checks for the CloudEvents envelope."""
    return _schemas().contract(ENVELOPE_SCHEMA)


def data_contract(event_type: EventType) -> Contract:
    """The checks for the ``data`` of one event type."""
    return _schemas().contract(event_type.schema_path)


def envelope_validator() -> Validator:
    """The reference validator for the CloudEvents envelope."""
    return envelope_contract().reference


def data_validator(event_type: EventType) -> Validator:
    """The reference validator for the ``data`` of one event type."""
    return data_contract(event_type).reference


def schema_id(event_type: EventType) -> str:
    """The ``$id`` of an event type's data schema, fit for the ``dataschema`` attribute."""
    return schema_id_of(EventType(event_type).schema_path)


def schema_id_of(relative: str) -> str:
    """The ``$id`` of a schema file, by its path under the schemas directory."""
    return _schemas().ids[relative]


def clear_cache() -> None:
    """Forget loaded schemas, so the next use re-reads them (tests, schema reloads)."""
    global _loaded
    with _loading:
        _loaded = None
