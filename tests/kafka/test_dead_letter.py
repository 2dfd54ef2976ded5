"""A dead letter's headers: why and where from, then the source message's own headers,
whichever client held the message."""

from __future__ import annotations

import pytest

from motcua.kafka import DeadLetter
from motcua.kafka._dead_letter import MAX_DETAIL, SourceHeaders

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
    headers = letter.headers_of("deadlines", "motcua.dossier-events", 3, 41, source)
    assert headers[: len(WHY)] == WHY
    assert headers[len(WHY) :] == (kept if kept is not None else source)
