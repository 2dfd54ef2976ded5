"""Schema loading and the $ref inlining the compiled validators rely on."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from motcua.contracts import (
    SCHEMAS_DIR_ENV,
    ContractError,
    EventType,
    _registry,
    load_contracts,
    schemas_dir,
    validate_event,
)
from tests.contracts._examples import INVALID, VALID


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    _registry.clear_cache()
    yield
    _registry.clear_cache()


def plain_registry() -> Registry[Any]:
    """The schemas as any other JSON Schema tool would load them, $refs and all."""
    resources = []
    for path in schemas_dir().glob("**/*.json"):
        if "examples" in path.parts:
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema, DRAFT202012)))
    return Registry().with_resources(resources)


def test_compiled_validators_agree_with_the_schema_files() -> None:
    registry = plain_registry()
    checker = FormatChecker()

    def plain(uri: str) -> Draft202012Validator:
        return Draft202012Validator(
            registry.contents(uri), registry=registry, format_checker=checker
        )

    envelope = plain(_registry.schema_id_of(_registry.ENVELOPE_SCHEMA))
    for example in VALID + INVALID:
        event = example.content.get("event", example.content)
        expected = envelope.is_valid(event)
        got = _registry.envelope_validator().is_valid(event)
        if expected and event["type"] in set(EventType):
            event_type = EventType(event["type"])
            expected = plain(_registry.schema_id(event_type)).is_valid(event["data"])
            got = _registry.data_validator(event_type).is_valid(event["data"])
        assert got == expected, example.label


def resolver_for(schema: dict[str, Any]) -> Any:
    registry: Registry[Any] = Registry().with_resource(
        "urn:test", Resource.from_contents(schema, DRAFT202012)
    )
    return registry.resolver("urn:test")


def test_ref_siblings_still_apply() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"code": {"type": "string", "maxLength": 5}},
        "properties": {"x": {"$ref": "#/$defs/code", "minLength": 3}},
    }
    inlined = _registry._inline_refs(schema, resolver_for(schema))
    validator = Draft202012Validator(inlined)
    assert "$ref" not in json.dumps(inlined)
    assert validator.is_valid({"x": "abcd"})
    assert not validator.is_valid({"x": "ab"})
    assert not validator.is_valid({"x": "abcdef"})
    assert not validator.is_valid({"x": 1})


def test_recursive_refs_are_refused() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"node": {"properties": {"child": {"$ref": "#/$defs/node"}}}},
        "$ref": "#/$defs/node",
    }
    with pytest.raises(RuntimeError, match="recursive"):
        _registry._inline_refs(schema, resolver_for(schema))


def test_schemas_can_live_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), copy, ignore=shutil.ignore_patterns("examples"))
    # The copy differs in one way the verdicts show: invitations need one more field.
    invited = copy / EventType.RATING_INVITED.schema_path
    schema = json.loads(invited.read_text(encoding="utf-8"))
    schema["required"].append("only_in_the_copy")
    invited.write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setenv(SCHEMAS_DIR_ENV, str(copy))
    refused = []
    for example in VALID:
        if example.content["type"] != EventType.RATING_INVITED:
            validate_event(example.content)
            continue
        with pytest.raises(ContractError) as caught:
            validate_event(example.content)
        assert "only_in_the_copy" in str(caught.value), example.label
        refused.append(example)
    assert refused, "no rating.invited example to tell the copy from the repository's"

    monkeypatch.delenv(SCHEMAS_DIR_ENV)
    _registry.clear_cache()
    for example in refused:  # the repository's own schemas accept them
        validate_event(example.content)


def test_missing_schemas_fail_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    monkeypatch.setenv(SCHEMAS_DIR_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match=SCHEMAS_DIR_ENV):
        _registry.envelope_validator()


def test_threads_meeting_an_unloaded_registry_load_it_once(
    monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    built: list[int] = []
    original = _registry._Schemas.__init__

    def counting(self: Any, root: Path) -> None:
        built.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while the first loads
        original(self, root)

    monkeypatch.setattr(_registry._Schemas, "__init__", counting)
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        _registry.envelope_contract()

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert built == [1]


def test_load_contracts_compiles_every_contract_up_front(fresh_cache: None) -> None:
    load_contracts()
    loaded = _registry._loaded
    assert loaded is not None
    expected = {_registry.ENVELOPE_SCHEMA, *(t.schema_path for t in EventType)}
    assert set(loaded._contracts) == expected
