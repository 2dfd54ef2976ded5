"""Every shipped example behaves as its file name says."""

from __future__ import annotations

import json

import pytest

from motcua.contracts import ContractError, EventType, decode_event, encode_event, validate_event
from tests.contracts._examples import INVALID, VALID, Example


def test_examples_were_found() -> None:
    assert VALID
    assert INVALID


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.label)
def test_valid_example_passes(example: Example) -> None:
    validate_event(example.content)
    assert EventType(example.content["type"]).schema_name == example.folder


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.label)
def test_valid_example_round_trips(example: Example) -> None:
    raw = encode_event(example.content)
    assert decode_event(raw) == example.content
    assert encode_event(decode_event(raw)) == raw


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.label)
def test_invalid_example_is_refused_on_the_expected_field(example: Example) -> None:
    assert set(example.content) == {"description", "expect_field", "event"}
    expected = example.content["expect_field"]

    with pytest.raises(ContractError) as caught:
        validate_event(example.content["event"])

    assert caught.value.field == expected
    assert str(caught.value).startswith(f"{expected}: ")
    assert caught.value.reason


@pytest.mark.parametrize("example", INVALID, ids=lambda e: e.label)
def test_invalid_example_is_refused_on_consume(example: Example) -> None:
    raw = json.dumps(example.content["event"], ensure_ascii=False).encode("utf-8")
    with pytest.raises(ContractError) as caught:
        decode_event(raw)
    assert caught.value.field == example.content["expect_field"]
