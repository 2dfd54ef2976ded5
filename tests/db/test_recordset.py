"""What ``recordset`` refuses to send: values PostgreSQL would read differently than meant."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from psycopg.adapt import Transformer
from psycopg.types.json import Jsonb

from motcua.db import recordset


def _dumped(value: Jsonb) -> bytes:
    dumper = Transformer().get_dumper(value, "t")  # type: ignore[arg-type]
    return bytes(dumper.dump(value) or b"")


def test_a_naive_datetime_is_refused_rather_than_read_in_the_servers_zone() -> None:
    with pytest.raises(TypeError, match="naive"):
        _dumped(recordset([{"at": datetime(2026, 12, 2, 9, 0)}]))


def test_a_value_json_cannot_say_is_refused() -> None:
    with pytest.raises(TypeError, match="Decimal cannot travel"):
        _dumped(recordset([{"amount": Decimal("1.5")}]))


def test_rows_go_as_one_json_array_with_text_unescaped() -> None:
    assert _dumped(recordset([{"a": "Hồ sơ", "b": b"\x01"}, {"a": None}])) == (
        '[{"a":"Hồ sơ","b":"01"},{"a":null}]'.encode()
    )
