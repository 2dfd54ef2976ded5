"""The schema files, the EventType enum and the examples stay in step."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from motcua.contracts import ContractError, EventType, schema_id, schemas_dir, validate_event
from motcua.dossier import DOSSIER_CODE_PATTERN, PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN
from tests.contracts._examples import EVENTS_DIR, EXAMPLES_DIR, INVALID, VALID

SCHEMA_FILES = sorted(
    [
        schemas_dir() / "cloudevent.v1.json",
        schemas_dir() / "common.v1.json",
        *EVENTS_DIR.glob("*.json"),
    ]
)
BASE_ID = "https://schemas.motcua.vn/"
# Open on purpose: a fragment extended via allOf, and the envelope's data, which is
# closed by the schema of the event type instead.
OPEN_FRAGMENTS = {"common.v1.json#/$defs/dossier_ref", "cloudevent.v1.json#/properties/data"}


def read(path: Path) -> dict[str, Any]:
    content = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(content, dict)
    return content


CONDITIONS = {"if", "then", "else"}
"""Conditions on an enclosing object: they can forbid, never let a property in."""


def object_schemas(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that describes an object, with its JSON pointer."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield pointer, node
        for key, value in node.items():
            if key not in CONDITIONS:
                yield from object_schemas(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from object_schemas(value, f"{pointer}/{index}")


@pytest.mark.parametrize("event_type", list(EventType), ids=str)
def test_every_event_type_has_a_schema(event_type: EventType) -> None:
    path = schemas_dir() / event_type.schema_path
    assert path.is_file()
    assert read(path)["$id"] == schema_id(event_type)


def test_every_schema_file_maps_to_an_event_type() -> None:
    names = {path.name.removesuffix(".json") for path in EVENTS_DIR.glob("*.json")}
    assert names == {event_type.schema_name for event_type in EventType}


@pytest.mark.parametrize("event_type", list(EventType), ids=str)
def test_every_event_type_has_examples(event_type: EventType) -> None:
    valid = [e for e in VALID if e.folder == event_type.schema_name]
    invalid = [e for e in INVALID if e.folder == event_type.schema_name]
    assert len(valid) >= 1
    assert len(invalid) >= 2


def test_every_example_folder_maps_to_an_event_type() -> None:
    folders = {path.name for path in EXAMPLES_DIR.iterdir()}
    assert folders == {event_type.schema_name for event_type in EventType}
    names = {path.name for path in EXAMPLES_DIR.glob("*/*")}
    assert all(n.startswith(("valid-", "invalid-")) and n.endswith(".json") for n in names)


def test_invalid_examples_cover_the_classic_mistakes() -> None:
    found: set[tuple[str, str]] = set()
    for example in INVALID:
        with pytest.raises(ContractError) as caught:
            validate_event(example.content["event"])
        found.add((caught.value.field, caught.value.reason))
    reasons = {reason for _, reason in found}
    assert ("data.citizen_name", "field is not allowed by the contract") in found
    assert ("time", "required field is missing") in found
    assert ("time", "is not a valid date-time") in found
    assert any(reason.startswith("must be one of") for reason in reasons)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12_and_documented(path: Path) -> None:
    schema = read(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == BASE_ID + path.relative_to(schemas_dir()).as_posix()
    assert schema["title"]
    assert schema["description"]


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_objects_are_closed(path: Path) -> None:
    """additionalProperties: false is what keeps personal data out of payloads."""
    for pointer, node in object_schemas(read(path), f"{path.name}#"):
        if pointer in OPEN_FRAGMENTS:
            continue
        assert node.get("additionalProperties") is False, pointer


@pytest.mark.parametrize("event_type", list(EventType), ids=str)
def test_dossier_events_carry_the_dossier_ref(event_type: EventType) -> None:
    schema = read(schemas_dir() / event_type.schema_path)
    if event_type.schema_name.startswith("calendar."):
        # About a date, not a dossier: the date is the subject and the key instead.
        assert "dossier_id" not in schema["properties"]
        assert "date" in schema["required"]
        return
    uses_ref = {"$ref": "../common.v1.json#/$defs/dossier_ref"} in schema.get("allOf", [])
    assert uses_ref == event_type.schema_name.startswith("dossier.")
    assert "dossier_id" in schema["properties"]
    if uses_ref:
        common = read(schemas_dir() / "common.v1.json")
        assert set(common["$defs"]["dossier_ref"]["properties"]) <= set(schema["properties"])
    else:
        assert "dossier_id" in schema["required"]


def test_the_contracts_codes_are_the_shared_packages() -> None:
    """One definition of each national code: the schemas and ``motcua.dossier`` agree."""
    codes = read(schemas_dir() / "common.v1.json")["$defs"]
    assert codes["unit_code"]["pattern"] == UNIT_CODE_PATTERN
    assert codes["procedure_code"]["pattern"] == PROCEDURE_CODE_PATTERN
    unnamed = re.sub(r"\(\?P<\w+>|\)", "", DOSSIER_CODE_PATTERN)
    assert codes["dossier_code"]["pattern"] == unnamed
