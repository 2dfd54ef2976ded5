"""The CloudEvents Kafka binding in structured mode: every valid example event, sent with
the platform's headers, is read back by the official SDK as the same event."""

from __future__ import annotations

import pytest

from motcua.contracts import STRUCTURED_CONTENT_TYPE, encode_event, structured_headers
from tests.cloudevents_sdk import structured_event
from tests.contracts._examples import VALID, Example


def test_the_header_names_the_structured_json_format_with_its_charset() -> None:
    assert structured_headers() == [
        ("content-type", b"application/cloudevents+json; charset=utf-8")
    ]
    assert STRUCTURED_CONTENT_TYPE == "application/cloudevents+json; charset=utf-8"
    structured_headers().clear()
    assert structured_headers(), "each producer gets a list of its own"


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.label)
def test_the_sdk_reads_every_valid_example_in_structured_mode(example: Example) -> None:
    value = encode_event(example.content)
    key = str(example.content["subject"]).encode()
    assert structured_event(structured_headers(), key, value) == example.content


def test_a_message_without_the_header_is_not_taken_for_a_structured_event() -> None:
    value = encode_event(VALID[0].content)
    with pytest.raises(AssertionError, match="content-type ''"):
        structured_event([], None, value)
