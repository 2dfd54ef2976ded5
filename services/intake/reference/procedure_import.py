"""``manage import-procedures FILE``: the national procedure database's export (CSV or XLSX)
into intake's catalogue.

Each procedure stands alone, so the good lines are imported and the bad ones refused, each
named by line and field; fix them and run the import again. A procedure the file leaves
unchanged is not written at all (its version and ``updated_at`` stay), so running the same
file twice changes nothing. Procedures the file does not list are left as they are.
"""

from __future__ import annotations

import argparse
import csv
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from motcua.audit import Action, ActorKind, console_actor, record
from services.intake.reference.models import PausePolicy, Procedure
from services.intake.reference.procedure_rows import (
    Cell,
    HeaderError,
    is_header,
    parse_catalogue,
)
from services.intake.reference.service import list_procedures, upsert_procedure

HEADER_SEARCH_LINES = 20
"""A sheet may open with title lines; the header is the first line naming the code column."""


class UnreadableFile(ValueError):
    """The file is not a CSV in UTF-8 or an XLSX workbook: nothing can be read."""


Table = tuple[list[Cell], Iterator[tuple[int, list[Cell]]]]
"""The header's cells, then each following line's number (as a spreadsheet counts) and cells."""


def _find_header(lines: Iterator[tuple[int, list[Cell]]]) -> list[Cell]:
    for line, cells in lines:
        if is_header(cells):
            return cells
        if line >= HEADER_SEARCH_LINES:
            break
    raise HeaderError(
        f"no line naming the column 'Mã thủ tục' (code) among the first {HEADER_SEARCH_LINES}"
    )


def _csv_lines(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        sample = file.read(4096)
        file.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(file, dialect)
        start = 1
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1


def _xlsx_lines(path: Path) -> Iterator[tuple[int, list[Cell]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as error:
        raise UnreadableFile(f"{path} is not an XLSX workbook ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell if isinstance(cell, str | int | float) else None for cell in cells]
    finally:
        workbook.close()


def read_table(path: Path) -> Table:
    """The export's header and lines; a CSV must be UTF-8 (Excel's "CSV UTF-8" is)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise UnreadableFile(f"{path} must be a .csv or an .xlsx file")
    lines = _csv_lines(path) if suffix == ".csv" else _xlsx_lines(path)
    return _find_header(lines), lines


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _same(procedure: Procedure, row: dict[str, Any]) -> bool:
    stored = (
        row["name"],
        row["field"],
        row["processing_amount"],
        row["processing_unit"],
        row["online_level"],
        list(row["result_channels"]),
        row["basis"],
        row["unconfirmed"],
        row["active"],
    )
    return stored == (
        procedure.name,
        procedure.field.value,
        procedure.processing_time.amount,
        procedure.processing_time.unit,
        procedure.online_level.value,
        [channel.value for channel in procedure.result_channels],
        procedure.basis,
        procedure.unconfirmed,
        True,
    )


def apply_catalogue(
    procedures: Iterable[Procedure], *, db_session: psycopg.Connection
) -> ImportReport:
    """Write the new and changed procedures; a stored procedure keeps its pause policy,
    which the national database does not publish."""
    stored = {row["code"]: row for row in list_procedures(db_session=db_session)}
    report = ImportReport()
    for procedure in procedures:
        row = stored.get(procedure.code)
        if row is not None:
            policy = PausePolicy(row["pause_policy"])
            procedure = procedure.model_copy(update={"pause_policy": policy})
            if _same(procedure, row):
                report.unchanged.append(procedure.code)
                continue
        upsert_procedure(procedure, db_session=db_session)
        (report.added if row is None else report.changed).append(procedure.code)
    return report


def import_procedures_command(args: argparse.Namespace, conn: psycopg.Connection) -> int:
    """Read, validate, report every bad line on stderr, import the good ones, audit."""
    path = Path(args.file)
    try:
        header, lines = read_table(path)
        parsed = parse_catalogue(header, lines)
    except (OSError, UnicodeDecodeError, UnreadableFile, HeaderError) as error:
        print(f"{path}: {error}; nothing imported", file=sys.stderr)
        return 2
    for problem in parsed.errors:
        print(f"{path}: {problem}", file=sys.stderr)
    report = apply_catalogue(parsed.procedures, db_session=conn)
    refused = len({error.line for error in parsed.errors})
    details = {
        "source": path.name,
        "added": report.added,
        "changed": report.changed,
        "unchanged": len(report.unchanged),
        "refused_lines": refused,
    }
    action = Action(
        console_actor(), ActorKind.ADMIN, "procedure.changed", "procedure", details=details
    )
    record(action, db_session=conn)
    print(
        f"procedures: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {refused} lines refused"
    )
    return 1 if refused else 0
