"""The national procedure database's export, line by line (pure: values in, procedures and
the errors of the bad lines out, no I/O).

The portal exports its catalogue with Vietnamese headers and Vietnamese values ("Toàn
trình", "Dịch vụ bưu chính", "ngày làm việc"); the catalogue stores enums. Each header
and value is compared after Unicode NFC normalisation, case folding and collapsing runs of
whitespace, so "Mã Thủ Tục" and "mã  thủ tục" name the same column. docs/procedures.md
lists every header and value accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from services.intake.reference.line_error import LineError
from services.intake.reference.models import OnlineLevel, Procedure, ProcedureField, ResultChannel

Cell = str | int | float | None
"""What a CSV (always text) or an XLSX sheet (text or number) holds in one cell."""

COLUMNS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "code": ("Mã thủ tục", "code"),
        "name": ("Tên thủ tục", "name"),
        "field": ("Lĩnh vực", "field"),
        "processing_amount": ("Thời hạn giải quyết", "processing_time"),
        "processing_unit": ("Đơn vị thời hạn", "processing_unit"),
        "online_level": ("Mức độ DVC", "online_level"),
        "result_channels": ("Hình thức trả kết quả", "result_channels"),
        "basis": ("Căn cứ pháp lý", "basis"),
    }
)
"""Each column the import needs: the portal's Vietnamese header, then the English one."""

FIELDS: Mapping[str, ProcedureField] = MappingProxyType(
    {
        "cư trú": ProcedureField.RESIDENCE,
        "đăng ký, quản lý cư trú": ProcedureField.RESIDENCE,
        "đăng ký và quản lý cư trú": ProcedureField.RESIDENCE,
        "căn cước": ProcedureField.IDENTITY,
        "cấp, quản lý căn cước": ProcedureField.IDENTITY,
        "cấp, quản lý thẻ căn cước công dân": ProcedureField.IDENTITY,
        "định danh và xác thực điện tử": ProcedureField.IDENTITY,
        "xuất nhập cảnh": ProcedureField.EXIT_ENTRY,
        "quản lý xuất nhập cảnh": ProcedureField.EXIT_ENTRY,
        "xuất cảnh, nhập cảnh": ProcedureField.EXIT_ENTRY,
        "đăng ký xe": ProcedureField.VEHICLE_REGISTRATION,
        "đăng ký, quản lý phương tiện giao thông cơ giới đường bộ": (
            ProcedureField.VEHICLE_REGISTRATION
        ),
        "phòng cháy chữa cháy": ProcedureField.FIRE_SAFETY,
        "phòng cháy, chữa cháy": ProcedureField.FIRE_SAFETY,
        "phòng cháy, chữa cháy và cứu nạn, cứu hộ": ProcedureField.FIRE_SAFETY,
        **{field.value: field for field in ProcedureField},
    }
)
"""The portal's field (lĩnh vực) names the catalogue knows; any other field is refused."""

KNOWN_FIELDS = "Cư trú, Căn cước, Xuất nhập cảnh, Đăng ký xe, Phòng cháy chữa cháy"

TIME_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "ngày làm việc": "working_days",
        "ngày": "calendar_days",
        "giờ làm việc": "working_hours",
        **{unit: unit for unit in ("working_days", "calendar_days", "working_hours")},
    }
)

ONLINE_LEVELS: tuple[tuple[str, OnlineLevel], ...] = (
    ("toàn trình", OnlineLevel.FULL),
    ("một phần", OnlineLevel.PARTIAL),
    ("mức độ 4", OnlineLevel.FULL),
    ("mức độ 3", OnlineLevel.PARTIAL),
    ("mức độ 2", OnlineLevel.NONE),
    ("mức độ 1", OnlineLevel.NONE),
    ("cung cấp thông tin", OnlineLevel.NONE),
    ("không", OnlineLevel.NONE),
)
"""Phrases of the online level (Nghị định 42/2022, and the older levels 1–4 of Nghị định
43/2011), found anywhere in the cell ("Dịch vụ công trực tuyến toàn trình"), first match wins."""

RESULT_CHANNELS: tuple[tuple[str, ResultChannel], ...] = (
    ("bưu chính", ResultChannel.POSTAL),
    ("trực tuyến", ResultChannel.ONLINE),
    ("trực tiếp", ResultChannel.COUNTER),
)
"""Phrases of one result channel ("Trực tiếp", "Dịch vụ bưu chính", "Trực tuyến")."""

_SEPARATORS = re.compile(r"[;,\n|]")
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")


class HeaderError(ValueError):
    """The file's header lacks a column the import needs: nothing can be read."""


@dataclass(frozen=True)
class ParsedCatalogue:
    procedures: tuple[Procedure, ...]
    """The good lines, in the file's order."""
    errors: tuple[LineError, ...]
    """Every problem of every refused line, in the file's order."""


def normalised(text: object) -> str:
    """NFC, case-folded, single-spaced, stripped: how headers and values are compared."""
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def column_positions(header: Sequence[Cell]) -> dict[str, int]:
    """Which cell of a line holds each needed column; HeaderError names the missing ones."""
    names = {normalised(name): key for key, pair in COLUMNS.items() for name in pair}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = names.get(normalised(_text(cell)))
        if key is not None and key in positions:
            raise HeaderError(f"column {COLUMNS[key][0]!r} ({COLUMNS[key][1]}) appears twice")
        if key is not None:
            positions[key] = index
    missing = [f"{vi!r} ({en})" for key, (vi, en) in COLUMNS.items() if key not in positions]
    if missing:
        raise HeaderError(f"the header lacks the columns {', '.join(missing)}")
    return positions


def is_header(cells: Sequence[Cell]) -> bool:
    """A line naming the code column: the header (a sheet may have title lines above it)."""
    return any(normalised(_text(cell)) in map(normalised, COLUMNS["code"]) for cell in cells)


def _field(value: str) -> ProcedureField:
    field = FIELDS.get(normalised(value))
    if field is None:
        raise ValueError(
            f"{value!r} is not a field of the police catalogue ({KNOWN_FIELDS}); "
            "a new field needs a release of Motcua",
        )
    return field


def _amount(value: str) -> int:
    if not _WHOLE_NUMBER.match(value):
        raise ValueError(f"{value!r} is not a whole number, e.g. 7")
    return int(value)


def _time_unit(value: str) -> str:
    unit = TIME_UNITS.get(normalised(value))
    if unit is None:
        raise ValueError(
            f"{value!r} is not a unit of time: 'ngày làm việc', 'ngày' or 'giờ làm việc'",
        )
    return unit


def _online_level(value: str) -> OnlineLevel:
    text = normalised(value)
    if text in {level.value for level in OnlineLevel}:
        return OnlineLevel(text)
    for phrase, level in ONLINE_LEVELS:
        if text and phrase in text:
            return level
    raise ValueError(f"{value!r} is not an online level: 'Toàn trình', 'Một phần' or 'Không'")


def _channel(text: str) -> ResultChannel:
    part = normalised(text)
    if part in {channel.value for channel in ResultChannel}:
        return ResultChannel(part)
    for phrase, channel in RESULT_CHANNELS:
        if phrase in part:
            return channel
    raise ValueError(
        f"{text!r} is not a result channel: 'Trực tiếp', 'Dịch vụ bưu chính' or 'Trực tuyến'",
    )


def _channels(value: str) -> list[ResultChannel]:
    parts = [part.strip() for part in _SEPARATORS.split(value)]
    channels = [_channel(part) for part in parts if part]
    return list(dict.fromkeys(channels))


CONVERTERS: Mapping[str, Callable[[str], object]] = MappingProxyType(
    {
        "field": _field,
        "processing_amount": _amount,
        "processing_unit": _time_unit,
        "online_level": _online_level,
        "result_channels": _channels,
    }
)
"""The columns whose portal values are mapped; the others go to the model as they are."""


def _converted(values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each column's value for the model, and the message of each column that has none."""
    good: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for key, text in values.items():
        if not text:
            bad[key] = "is empty; every line needs it"
            continue
        try:
            good[key] = CONVERTERS[key](text) if key in CONVERTERS else text
        except ValueError as error:
            bad[key] = str(error)
    return good, bad


def _validated(good: Mapping[str, Any]) -> Procedure | dict[str, str]:
    """The procedure, or the model's message for each column it refuses."""
    record = {key: value for key, value in good.items() if not key.startswith("processing_")}
    record["processing_time"] = {
        name: good[key]
        for name, key in (("amount", "processing_amount"), ("unit", "processing_unit"))
        if key in good
    }
    try:
        return Procedure.model_validate(record)
    except ValidationError as error:
        bad: dict[str, str] = {}
        for problem in error.errors():
            loc = [str(part) for part in problem["loc"]] or ["code"]
            if loc[0] == "processing_time":
                loc[0] = "processing_amount" if loc[-1] == "amount" else "processing_unit"
            bad.setdefault(loc[0], problem["msg"])
        return bad


def parse_line(
    line: int, cells: Sequence[Cell], header: Sequence[Cell], positions: Mapping[str, int]
) -> Procedure | list[LineError]:
    """One line's procedure (confirmed by the national database), or every column that is
    wrong with it."""
    values = {
        key: _text(cells[index]) if index < len(cells) else "" for key, index in positions.items()
    }
    good, bad = _converted(values)
    result = _validated(good)
    if isinstance(result, Procedure) and not bad:
        return result
    if not isinstance(result, Procedure):
        bad = {**{k: v for k, v in result.items() if k not in bad}, **bad}
    return [
        LineError(line, _text(header[positions[key]]), bad[key]) for key in COLUMNS if key in bad
    ]


def parse_catalogue(
    header: Sequence[Cell], lines: Iterable[tuple[int, Sequence[Cell]]]
) -> ParsedCatalogue:
    """Every line of the export after its header (blank lines skipped); a code on two lines
    refuses both, since which of them is right cannot be told."""
    positions = column_positions(header)
    parsed: list[tuple[int, Procedure]] = []
    errors: list[LineError] = []
    for line, cells in lines:
        if not any(_text(cell) for cell in cells):
            continue
        result = parse_line(line, cells, header, positions)
        if isinstance(result, Procedure):
            parsed.append((line, result))
        else:
            errors.extend(result)
    counts = Counter(procedure.code for _, procedure in parsed)
    code_column = _text(header[positions["code"]])
    for line, procedure in parsed:
        if counts[procedure.code] > 1:
            others = [str(n) for n, p in parsed if p.code == procedure.code and n != line]
            message = f"{procedure.code} is also on line {', '.join(others)}; list it once"
            errors.append(LineError(line, code_column, message))
    good = tuple(procedure for _, procedure in parsed if counts[procedure.code] == 1)
    return ParsedCatalogue(good, tuple(sorted(errors, key=lambda error: error.line)))
