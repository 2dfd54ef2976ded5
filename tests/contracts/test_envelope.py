"""Producing, encoding and decoding events."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.contracts import (
    SCHEMAS_DIR_ENV,
    ContractError,
    EventType,
    History,
    decode_event,
    encode_event,
    format_instant,
    history_of,
    new_event,
    parse_instant,
    schemas_dir,
    validate_data,
    validate_event,
)

HANOI = timezone(timedelta(hours=7))
DOSSIER_ID = "3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4f6a21"
RETURNED: dict[str, Any] = {
    "dossier_id": DOSSIER_ID,
    "dossier_code": "000.00.12.H26-250610-0007",
    "unit_code": "000.00.12.H26",
    "unit_path": ["000.00.00.H26", "000.00.12.H26"],
    "procedure_code": "1.001612",
    "sequence": 8,
    "channel": "counter",
    "contact_preference": "sms",
    "received_channel": "in_person",
    "clock": {
        "running": False,
        "due_at": "2025-06-27T17:00:00+07:00",
        "original_due_at": "2025-06-27T17:00:00+07:00",
        "rescheduled": False,
        "closed": True,
    },
}
DOSSIER_REF = {"dossier_id", "dossier_code", "unit_code", "unit_path", "procedure_code"}
REJECTED = {**RETURNED, "reason": "Hồ sơ không thuộc thẩm quyền giải quyết của đơn vị."}
del REJECTED["channel"]


def returned(**overrides: Any) -> dict[str, Any]:
    return new_event(
        EventType.DOSSIER_RETURNED,
        source="/motcua/intake",
        subject=DOSSIER_ID,
        data=RETURNED,
        time=datetime(2025, 6, 27, 8, 15, tzinfo=HANOI),
        **overrides,
    )


# --- new_event -------------------------------------------------------------------


def test_new_event_fills_the_envelope() -> None:
    event = returned()

    validate_event(event)
    assert event["specversion"] == "1.0"
    assert event["type"] == "vn.motcua.dossier.returned.v1"
    assert event["time"] == "2025-06-27T08:15:00+07:00"
    assert event["subject"] == event["partitionkey"] == DOSSIER_ID
    assert event["datacontenttype"] == "application/json"
    assert event["data"] == RETURNED
    assert uuid.UUID(event["id"]).version == 4
    assert "dataschema" not in event


def test_new_event_gives_fresh_ids_but_keeps_upstream_ones() -> None:
    assert returned()["id"] != returned()["id"]
    assert returned(event_id="MC-TN-2025-000412")["id"] == "MC-TN-2025-000412"


def test_history_is_marked_only_when_asked_and_survives_the_wire() -> None:
    today = returned()
    imported = returned(history=History.CLOSED)

    assert "history" not in today
    assert history_of(today) is None
    assert imported["history"] == "closed"
    assert history_of(decode_event(encode_event(imported))) is History.CLOSED


def test_a_history_mark_outside_the_contract_is_refused() -> None:
    event = {**returned(), "history": "archived"}

    with pytest.raises(ContractError) as caught:
        validate_event(event)
    assert caught.value.field == "history"


def test_new_event_rejects_naive_time() -> None:
    with pytest.raises(ValueError, match="naive") as caught:
        new_event(
            EventType.DOSSIER_RETURNED,
            source="/motcua/intake",
            subject=DOSSIER_ID,
            data=RETURNED,
            time=datetime(2025, 6, 27, 8, 15),  # naive on purpose
        )
    assert not isinstance(caught.value, ContractError)


def test_new_event_validates_before_returning() -> None:
    with pytest.raises(ContractError) as caught:
        new_event(
            EventType.DOSSIER_RETURNED,
            source="/motcua/intake",
            subject=DOSSIER_ID,
            data={**RETURNED, "citizen_name": "Nguyễn Văn An"},
            time=datetime(2025, 6, 27, 8, 15, tzinfo=HANOI),
        )
    assert caught.value.field == "data.citizen_name"


def test_new_event_rejects_an_empty_upstream_id() -> None:
    with pytest.raises(ContractError) as caught:
        returned(event_id="")
    assert caught.value.field == "id"


def test_new_event_refuses_data_of_another_type() -> None:
    with pytest.raises(ContractError) as caught:
        new_event(
            EventType.DOSSIER_REJECTED,
            source="/motcua/intake",
            subject=DOSSIER_ID,
            data=RETURNED,
            time=datetime(2025, 6, 27, 8, 15, tzinfo=HANOI),
        )
    assert caught.value.field in {"data.reason", "data.channel"}


def test_new_event_copies_data() -> None:
    data = dict(REJECTED)
    event = new_event(
        EventType.DOSSIER_REJECTED,
        source="/motcua/intake",
        subject=DOSSIER_ID,
        data=data,
        time=datetime(2025, 6, 27, 1, 15, tzinfo=UTC),
    )
    data["reason"] = "changed"
    assert event["data"]["reason"] != "changed"
    assert event["time"] == "2025-06-27T01:15:00+00:00"


# --- timestamps --------------------------------------------------------------------


def test_format_instant_keeps_the_offset() -> None:
    assert format_instant(datetime(2025, 6, 10, 15, 42, tzinfo=HANOI)) == (
        "2025-06-10T15:42:00+07:00"
    )
    moment = datetime(2025, 6, 10, 15, 42, 0, 123000, tzinfo=HANOI)
    assert parse_instant(format_instant(moment)) == moment


def test_format_instant_falls_back_to_utc_for_offsets_with_seconds() -> None:
    lmt = timezone(timedelta(hours=7, minutes=6, seconds=40))
    text = format_instant(datetime(1900, 1, 1, 12, tzinfo=lmt))
    assert text.endswith("+00:00")


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_instant(datetime(2025, 6, 10, 9, 30))
    with pytest.raises(ValueError, match="offset"):
        parse_instant("2025-06-10T09:30:00")
    assert parse_instant("2025-06-10T02:30:00Z") == datetime(2025, 6, 10, 9, 30, tzinfo=HANOI)


# --- validate_event ------------------------------------------------------------------


def test_contract_error_format() -> None:
    error = ContractError("data.due_at", "is not a valid date-time")
    assert str(error) == "data.due_at: is not a valid date-time"
    assert isinstance(error, ValueError)
    assert (error.field, error.reason) == ("data.due_at", "is not a valid date-time")


def test_errors_do_not_echo_the_offending_value() -> None:
    """Messages reach logs and dead-letter headers; the value may be personal data."""
    event = returned()
    event["data"] = {**RETURNED, "dossier_code": "Nguyễn Văn An 0912345678"}
    with pytest.raises(ContractError) as caught:
        validate_event(event)
    assert caught.value.field == "data.dossier_code"
    assert "0912345678" not in str(caught.value)
    assert "Nguyễn" not in str(caught.value)


def test_validate_accepts_any_mapping() -> None:
    event = returned()
    frozen = MappingProxyType({**event, "data": MappingProxyType(event["data"])})
    validate_event(frozen)
    assert json.loads(encode_event(frozen)) == event


def test_unknown_type_with_a_valid_name() -> None:
    event = {**returned(), "type": "vn.motcua.dossier.archived.v1"}
    with pytest.raises(ContractError) as caught:
        validate_event(event)
    assert caught.value.field == "type"


def test_not_an_object() -> None:
    with pytest.raises(ContractError) as caught:
        validate_event([])  # type: ignore[arg-type]
    assert caught.value.field == "$"


def test_data_must_be_an_object() -> None:
    with pytest.raises(ContractError) as caught:
        validate_event({**returned(), "data": "x"})
    assert caught.value.field == "data"


def test_non_finite_numbers_are_refused() -> None:
    data = {
        **{k: v for k, v in RETURNED.items() if k in DOSSIER_REF},
        "due_at": "2025-06-11T10:00:00+07:00",
        "episode": 1,
        "completed_at": "2025-06-17T15:00:00+07:00",
        "late_working_days": math.nan,
    }
    with pytest.raises(ContractError) as caught:
        validate_data(EventType.DEADLINE_RESOLVED_LATE, data)
    assert caught.value.field == "data.late_working_days"
    validate_data(EventType.DEADLINE_RESOLVED_LATE, {**data, "late_working_days": 4.5})


def test_booleans_are_not_integers() -> None:
    with pytest.raises(ContractError) as caught:
        validate_data(EventType.DOSSIER_RETURNED, {**RETURNED, "sequence": True})
    assert caught.value.field == "data.sequence"


def test_validate_data_checks_unit_paths() -> None:
    with pytest.raises(ContractError) as caught:
        validate_data(EventType.DOSSIER_RETURNED, {**RETURNED, "unit_path": ["000.00.00.H26"]})
    assert caught.value.field == "data.unit_path"


# --- encode / decode -------------------------------------------------------------------


def test_encode_is_compact_utf8() -> None:
    event = new_event(
        EventType.DOSSIER_REJECTED,
        source="/motcua/intake",
        subject=DOSSIER_ID,
        data=REJECTED,
        time=datetime(2025, 6, 11, 10, 40, tzinfo=HANOI),
    )
    raw = encode_event(event)
    assert "thẩm quyền".encode() in raw
    assert b"\\u" not in raw
    assert b": " not in raw
    assert raw == json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    assert decode_event(raw) == event


def test_encode_validates() -> None:
    event = returned()
    del event["time"]
    with pytest.raises(ContractError) as caught:
        encode_event(event)
    assert caught.value.field == "time"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"not json", "not valid JSON"),
        (b'{"specversion": "1.0"', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b'{"late": NaN}', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_decode_garbage_is_a_contract_error(raw: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as caught:
        decode_event(raw)
    assert caught.value.field == "$"
    assert caught.value.reason == reason


def test_decode_validates() -> None:
    raw = json.dumps({**returned(), "partitionkey": str(uuid.uuid4())}).encode()
    with pytest.raises(ContractError) as caught:
        decode_event(raw)
    assert caught.value.field == "partitionkey"


@given(st.binary(max_size=200))
def test_decode_never_raises_anything_else(raw: bytes) -> None:
    """Random bytes either decode to an event or are refused with a ContractError that
    names its field and reason: any other exception escapes and fails the test."""
    refusal: ContractError | None = None
    try:
        event: object = decode_event(raw)
    except ContractError as error:
        refusal, event = error, None
    if refusal is None:
        assert isinstance(event, dict)
    else:
        assert refusal.field
        assert refusal.reason


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
ENVELOPE_KEYS = st.sampled_from(["id", "source", "type", "time", "subject", "data", "extra"])
DATA_KEYS = st.sampled_from([*RETURNED, "citizen_name"])


# No deadline: the first example compiles the schemas, which on a busy machine can take
# longer than Hypothesis' 200 ms and failed the test for its timing, not its behaviour.
@settings(deadline=None)
@given(
    st.dictionaries(ENVELOPE_KEYS, JSON_VALUES, max_size=2),
    st.dictionaries(DATA_KEYS, JSON_VALUES, max_size=2),
)
def test_damaged_events_give_contract_errors(
    envelope: dict[str, Any], data: dict[str, Any]
) -> None:
    event = returned()
    event["data"].update(data)
    event.update(envelope)
    error: ContractError | None = None
    try:
        validate_event(event)
    except ContractError as caught:
        error = caught
    if error is not None:
        assert error.field
        assert str(error) == f"{error.field}: {error.reason}"


# --- schema location ----------------------------------------------------------------


def test_schemas_dir_defaults_to_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEMAS_DIR_ENV, raising=False)
    assert (schemas_dir() / "cloudevent.v1.json").is_file()


def test_schemas_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCHEMAS_DIR_ENV, "/srv/motcua/schemas")
    assert str(schemas_dir()) == "/srv/motcua/schemas"
