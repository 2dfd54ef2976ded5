"""The fast gate never accepts what the reference validator refuses.

Every shipped example, then every example with one field changed to an odd value,
removed, or joined by an unknown one, goes through both; the gate may be stricter (the
reference then decides), never laxer.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import FormatChecker

from motcua.contracts import ContractError, EventType, _registry, decode_event
from motcua.contracts._gate import compile_gate
from motcua.contracts._registry import Contract
from tests.contracts._examples import INVALID, VALID

ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -1,
    2.5,
    10**30,
    float("inf"),
    float("nan"),
    "",
    "x",
    "2026-12-01T08:00:00+07:00",
    "2026-13-45T08:00:00Z",
    "2026-12-01",
    str(uuid.uuid4()),
    "000.00.04.H01\n",
    "<script>alert(1)</script>",
    "x" * 5000,
    [],
    [1],
    ["000.00.04.H01", "000.00.04.H01"],
    {},
    {"a": 1},
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def removed(document: Any, path: tuple[Any, ...]) -> Any:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return changed


def variants(document: dict[str, Any]) -> Iterator[Any]:
    for path in paths(document):
        if not path:
            continue
        for value in ODD_VALUES:
            yield replaced(document, path, value)
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict):
            yield removed(document, path)
    for path in paths(document):
        node = document
        for part in path:
            node = node[part]
        if isinstance(node, dict):
            changed = copy.deepcopy(document)
            target = changed
            for part in path:
                target = target[part]
            target["unexpected"] = "x"
            yield changed


GATELESS = {EventType.DEADLINE_RESOLVED_LATE}
"""The data contracts with no gate: their schema has a ``"type": "number"`` (the reference
refuses NaN and infinities there, the gate might not). Any other contract without one
would leave every event of its kind to the slow path, and this module's agreement tests
with nothing to compare: it must have its gate."""


def contract_for(event: Any) -> list[tuple[Contract, Any]]:
    return [(contract, instance) for _, contract, instance in named_contracts_for(event)]


def named_contracts_for(event: Any) -> list[tuple[EventType | None, Contract, Any]]:
    """The envelope's check (named None) and, for a known type, its data's check."""
    checks: list[tuple[EventType | None, Contract, Any]] = [
        (None, _registry.envelope_contract(), event)
    ]
    kind = event.get("type") if isinstance(event, dict) else None
    if isinstance(kind, str) and kind in set(EventType):
        event_type = EventType(kind)
        checks.append((event_type, _registry.data_contract(event_type), event.get("data")))
    return checks


def event_of(example: Any) -> Any:
    return example.content.get("event", example.content)


@pytest.mark.parametrize("example", VALID + INVALID, ids=lambda e: e.label)
def test_the_gate_agrees_on_every_shipped_example(example: Any) -> None:
    for name, contract, instance in named_contracts_for(event_of(example)):
        verdict = contract.reference.is_valid(instance)
        if example in VALID:
            assert verdict, f"{example.label}: the reference refuses its {name or 'envelope'}"
        if contract.gate is None:
            # No gate (the reference alone decides) only where the gate was refused.
            assert name in GATELESS, f"{name or 'the envelope'} lost its gate"
        else:
            assert contract.gate(instance) is verdict, (example.label, name)


def test_every_gate_refuses_a_shipped_example() -> None:
    """Agreement on valid examples alone would pass a gate that says yes to everything."""
    refused: set[EventType | None] = set()
    for example in INVALID:
        for name, contract, instance in named_contracts_for(event_of(example)):
            if contract.gate is not None and not contract.gate(instance):
                refused.add(name)
    gated = {None, *EventType} - GATELESS
    assert gated <= refused, f"no invalid example refused by: {gated - refused}"


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.label)
def test_the_gate_never_accepts_what_the_reference_refuses(example: Any) -> None:
    event = event_of(example)
    checked = refused = 0
    for variant in variants(event):
        for contract, instance in contract_for(variant):
            accepted = contract.accepts(instance)
            valid = contract.reference.is_valid(instance)
            assert valid or not accepted, (example.label, instance)
            checked += 1
            refused += not valid
    assert refused > 0  # the variants did break the contract
    assert checked > refused


def test_schemas_the_gate_could_misjudge_get_none() -> None:
    checker = FormatChecker()
    assert compile_gate({"type": "number", "minimum": 0}, checker) is None
    assert compile_gate({"properties": {"n": {"type": ["number", "null"]}}}, checker) is None
    assert compile_gate({"prefixItems": [{"type": "string"}]}, checker) is None
    assert compile_gate({"items": [{"type": "string"}]}, checker) is None
    assert compile_gate({"unevaluatedProperties": False}, checker) is None
    assert compile_gate({"properties": {"x": {"dependentRequired": {}}}}, checker) is None
    assert _registry.data_contract(EventType.DEADLINE_RESOLVED_LATE).gate is None


def test_a_dollar_in_a_character_class_means_itself() -> None:
    gate = compile_gate({"type": "string", "pattern": "^[a$]+$"}, FormatChecker())
    assert gate is not None
    assert gate("a$a")
    assert gate("aa\n")  # re.search, as the reference: $ matches before a final newline
    assert not gate("ab")


def test_formats_are_checked_by_the_reference_checker() -> None:
    gate = compile_gate(
        {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}},
        FormatChecker(),
    )
    assert gate is not None
    assert gate({"at": "2026-12-01T08:00:00+07:00"})
    assert not gate({"at": "2026-12-01 08:00"})
    assert gate({"at": 5}) is False  # the type, not the format, refuses it


def test_errors_still_name_the_field() -> None:
    event = copy.deepcopy(event_of(next(e for e in VALID if e.folder == "rating.invited.v1")))
    event["data"]["dossier_code"] = "nope"
    with pytest.raises(ContractError) as caught:
        decode_event(json.dumps(event).encode())
    assert caught.value.field == "data.dossier_code"
