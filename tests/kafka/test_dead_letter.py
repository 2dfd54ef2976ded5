"""A dead letter's headers: why and where from, then the source message's own headers,
whichever client held the message."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from motcua.kafka import DeadLetter
from motcua.kafka._dead_letter import MAX_DETAIL

SourceHeaders = dict[str, bytes] | list[tuple[str, bytes]] | None


@dataclass(frozen=True)
class _Source:
    """A message as another client than confluent-kafka's holds it (headers as it gives them)."""

    given: SourceHeaders

    def topic(self) -> str:
        return "motcua.dossier-events"

    def partition(self) -> int:
        return 3

    def offset(self) -> int:
        return 41

    def headers(self) -> SourceHeaders:
        return self.given


WHY = [
    ("motcua-dlq-service", b"deadlines"),
    ("motcua-dlq-reason", b"contract_violation"),
    ("motcua-dlq-detail", b"x" * MAX_DETAIL),
    ("motcua-dlq-topic", b"motcua.dossier-events"),
    ("motcua-dlq-partition", b"3"),
    ("motcua-dlq-offset", b"41"),
]


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ({"traceparent": b"00-ab"}, [("traceparent", b"00-ab")]),
        ([("motcua-system", b"hanoi"), ("motcua-system", b"again")], None),
        (None, []),
    ],
)
def test_the_source_headers_follow_the_reason(
    source: SourceHeaders, kept: list[tuple[str, bytes]] | None
) -> None:
    letter = DeadLetter("contract_violation", "x" * (MAX_DETAIL + 10))
    headers = letter.headers("deadlines", _Source(source))
    assert headers[: len(WHY)] == WHY
    assert headers[len(WHY) :] == (kept if kept is not None else source)


def test_a_dead_letter_never_claims_to_be_a_cloudevent_and_keeps_the_claim_of_its_source() -> None:
    """Its value may be anything (malformed, refused): the source's structured-mode
    ``content-type`` moves to ``motcua-dlq-content-type``, the record carries none."""
    source = [("Content-Type", b"application/cloudevents+json; charset=utf-8"), ("x", b"1")]
    headers = DeadLetter("malformed", "not json").headers("intake", _Source(source))
    assert headers[len(WHY) :] == [
        ("motcua-dlq-content-type", b"application/cloudevents+json; charset=utf-8"),
        ("x", b"1"),
    ]
    assert not [name for name, _ in headers if name.lower() == "content-type"]
