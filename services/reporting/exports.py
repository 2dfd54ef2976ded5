"""Every report table as CSV (UTF-8 with a BOM, so Excel reads Vietnamese right) and as
XLSX (XlsxWriter): the same rows, headed by each column's name."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        return  # nested lists (the 766 groups) have their own table in the summary
    else:
        out[prefix] = value


@dataclass(frozen=True)
class Table:
    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def of_dicts(cls, name: str, dicts: Sequence[dict[str, Any]]) -> Table:
        flat = []
        for item in dicts:
            row: dict[str, Any] = {}
            _flat("", item, row)
            flat.append(row)
        header: list[str] = []
        for row in flat:
            header += [k for k in row if k not in header]
        return cls(name, tuple(header), tuple(tuple(r.get(k) for k in header) for r in flat))

    @classmethod
    def of_summary(cls, body: dict[str, Any]) -> Table:
        return cls.of_dicts(
            "summary",
            [
                {
                    "unit": body["unit"]["code"],
                    "period": body["period"],
                    "counts": body["counts"],
                    "figures": body["figures"],
                }
            ],
        )

    @classmethod
    def of_codes(cls, measure: str, codes: Sequence[str]) -> Table:
        return cls(measure, ("dossier_code",), tuple((code,) for code in codes))


def _disposition(table: Table, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="motcua-{table.name}.{suffix}"'}


def csv_response(table: Table) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=_disposition(table, "csv"),
    )


def xlsx_bytes(table: Table) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(table.name[:31])
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, table.header, bold)
    for number, row in enumerate(table.rows, start=1):
        sheet.write_row(number, 0, ["" if v is None else v for v in row])
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def xlsx_response(table: Table) -> Response:
    return Response(xlsx_bytes(table), media_type=XLSX, headers=_disposition(table, "xlsx"))
