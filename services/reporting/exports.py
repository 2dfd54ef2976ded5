"""Every report table as a leader forwards it: CSV (UTF-8 with a BOM, so Excel reads
Vietnamese right) and XLSX (XlsxWriter), with Vietnamese column headers, names beside
codes, percentages written "80,18%", bands and standings in words, "chưa có" where nothing
was there to count, and a file name saying what, which unit and which period
(``bao-cao_cong-an-phuong-tay-ho_2026-11.csv``). The JSON answers keep the raw values."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from fastapi import Response

from motcua.contracts import Criterion
from motcua.web import AGENCY_BAND_LABELS, TEXTS
from motcua.web.strings import RATING_CRITERIA, local_date
from services.reporting.measures import MEASURES
from services.reporting.periods import Period
from services.reporting.wording import (
    TREE_LABEL,
    TREE_READINGS,
    number,
    percent,
    period_name,
    slug,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RATE_LABELS: dict[str, str] = {
    "on_time_rate": TEXTS["reporting_on_time_rate"],
    "portal_on_time_rate": TEXTS["reporting_portal_rate"],
    "apology_compliance": TEXTS["reporting_apology_compliance"],
    "apology_delivery_compliance": TEXTS["reporting_apology_delivery"],
    "satisfaction_rate": TEXTS["reporting_satisfaction_valid"],
    "satisfaction_766": TEXTS["reporting_satisfaction_766"],
    "response_rate": TEXTS["reporting_response_rate"],
}
COUNTED = tuple(name for name in MEASURES if not name.startswith("criterion_"))
"""The counts every export lists (the criteria are given as their scores)."""


def criterion_label(number_: int) -> str:
    """``Tiêu chí 1: Thời gian giải quyết …`` (Nghị định 61 Điều 31)."""
    return (
        f"{TEXTS['reporting_criterion']} {number_}: {RATING_CRITERIA[list(Criterion)[number_ - 1]]}"
    )


def not_enough(valid: int, minimum: int) -> str:
    """``Chưa đủ phiếu (12/30)``: a unit too few answered for is neither scored nor graded."""
    return f"{TEXTS['reporting_not_ranked']} ({valid}/{minimum})"


def grade(row: dict[str, Any], minimum: int) -> tuple[str, str]:
    """The agency total and band of a report row, or why there is none."""
    valid = row["counts"]["ratings_valid"]
    if valid < minimum:
        return not_enough(valid, minimum), ""
    figures = row["figures"]
    band = figures["agency_band"]
    return number(figures["agency_total"]), AGENCY_BAND_LABELS[band] if band else percent(None)


@dataclass(frozen=True)
class Table:
    """One export: its file name's stem, its sheet name, its header and rows."""

    name: str
    sheet: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Naming:
    """What every file of one report is named after: the unit's name and the period."""

    unit_name: str
    period: str

    def stem(self, what: str) -> str:
        return f"{what}_{slug(self.unit_name)}_{self.period}"


def _figure_cells(row: dict[str, Any], minimum: int) -> list[Any]:
    counts, figures = row["counts"], row["figures"]
    scores = [number(figures["criterion_scores"][str(c.number)]) for c in Criterion]
    return [
        *(counts[name] for name in COUNTED),
        *(percent(figures[rate]) for rate in RATE_LABELS),
        *scores,
        *grade(row, minimum),
    ]


def _figure_header() -> list[str]:
    return [
        *(MEASURES[name].meaning for name in COUNTED),
        *RATE_LABELS.values(),
        *(criterion_label(c.number) for c in Criterion),
        TEXTS["reporting_agency_total"],
        TEXTS["reporting_band"],
    ]


def of_groups(
    naming: Naming, what: str, key_header: str, rows: Sequence[dict[str, Any]], minimum: int
) -> Table:
    """Units, procedures, fields or periods: one row each, code and name first."""
    header = (TEXTS["reporting_code"], key_header, *_figure_header())
    body = tuple((r["key"], r.get("name", r["key"]), *_figure_cells(r, minimum)) for r in rows)
    return Table(naming.stem(what), key_header, header, body)


def of_ranking(naming: Naming, rows: Sequence[dict[str, Any]], minimum: int) -> Table:
    header = (
        TEXTS["reporting_rank"],
        TEXTS["reporting_code"],
        TEXTS["filter_unit"],
        TEXTS["reporting_agency_total"],
        TEXTS["reporting_band"],
        TEXTS["reporting_satisfaction_valid"],
        TEXTS["reporting_answers"],
    )
    body = tuple(
        (
            r["rank"] if r["ranked"] else TEXTS["reporting_not_ranked"],
            r["key"],
            r["name"],
            *grade(r, minimum),
            percent(r["figures"]["satisfaction_rate"]),
            r["counts"]["ratings_valid"],
        )
        for r in rows
    )
    return Table(naming.stem("xep-hang"), TEXTS["reporting_ranking"], header, body)


def of_summary(naming: Naming, body: dict[str, Any], minimum: int) -> Table:
    """The summary read down the page: one figure a row, with its value."""
    header = (TEXTS["reporting_measure"], TEXTS["reporting_value"])
    rows = [
        (TEXTS["filter_unit"], body["unit"]["name"]),
        (TEXTS["reporting_code"], body["unit"]["code"]),
        (TEXTS["reporting_period"], period_name(Period.parse(body["period"]))),
        (TREE_LABEL, TREE_READINGS[body["tree"]]),
        *zip(_figure_header(), _figure_cells(body, minimum), strict=True),
    ]
    return Table(naming.stem("bao-cao"), TEXTS["reporting_summary"], header, tuple(rows))


def of_officers(naming: Naming, rows: Sequence[dict[str, Any]]) -> Table:
    numbers = [int(n) for n in rows[0]["criterion_scores"]] if rows else [1, 2, 3, 4, 7]
    header = (
        TEXTS["reporting_officer"],
        TEXTS["reporting_answers"],
        *(criterion_label(n) for n in numbers),
        TEXTS["reporting_officer_score"],
        TEXTS["reporting_officer_band"],
    )
    body = tuple(
        (
            r["handler_ref"],
            r["answers"],
            *(number(r["criterion_scores"][str(n)]) for n in numbers),
            number(r["score"]),
            TEXTS[f"reporting_officer_band_{r['band']}"] if r["band"] else percent(None),
        )
        for r in rows
    )
    return Table(naming.stem("diem-can-bo"), TEXTS["reporting_officers"], header, body)


def of_dossiers(naming: Naming, measure: str, rows: Sequence[dict[str, Any]]) -> Table:
    header = (
        TEXTS["reporting_dossier_code"],
        TEXTS["filter_procedure"],
        TEXTS["filter_unit"],
        TEXTS["reporting_received_on"],
        TEXTS["reporting_due"],
        TEXTS["reporting_days_late"],
        TEXTS["reporting_letter"],
        TEXTS["reporting_officer"],
    )
    body = tuple(
        (
            r["code"],
            r["procedure"],
            r["unit"],
            local_date(r["received_at"]),
            local_date(r["due_at"]) if r["due_at"] else percent(None),
            r["days_late"] or 0,
            TEXTS[f"reporting_letter_{r['letter']}"],
            r["handler_ref"] or TEXTS["reporting_no_officer"],
        )
        for r in rows
    )
    title = MEASURES[measure].meaning
    return Table(
        naming.stem(f"ho-so-{slug(title)}"[:80]), TEXTS["reporting_dossiers_sheet"], header, body
    )


def _disposition(table: Table, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{table.name}.{suffix}"'}


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
    sheet = book.add_worksheet(table.sheet[:31])
    bold = book.add_format({"bold": True, "text_wrap": True})
    sheet.write_row(0, 0, table.header, bold)
    for row_number, row in enumerate(table.rows, start=1):
        sheet.write_row(row_number, 0, ["" if v is None else v for v in row])
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def xlsx_response(table: Table) -> Response:
    return Response(xlsx_bytes(table), media_type=XLSX, headers=_disposition(table, "xlsx"))
