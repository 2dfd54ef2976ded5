"""Reporting's API: ``/v1/reports/…``, every answer scoped to the caller's unit subtree,
every table also as CSV and XLSX (``.csv``/``.xlsx`` after its path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from psycopg import Connection

from motcua.audit import ActorKind
from motcua.dossier import PROCEDURE_CODE_PATTERN, UNIT_CODE_PATTERN
from motcua.http import Problem, client_address
from motcua.web import TEXTS
from services.reporting import auditing, casework, exports, reports
from services.reporting.access import NotAllowed, NotSignedIn, Reader, reader_of
from services.reporting.context import ReportingContext, context
from services.reporting.explain import EXPLANATIONS, RATES
from services.reporting.exports import Naming, Table, csv_response, xlsx_response
from services.reporting.figures import Filters, GroupBy, Tree, dossiers_behind
from services.reporting.formulas import FORMULA_VERSION
from services.reporting.measures import MEASURES
from services.reporting.periods import Granularity, InvalidPeriod, Period, series
from services.reporting.wording import period_name

# Every report asks who reads (401, 403) and for a unit of their subtree (403, 404).
router = APIRouter(
    prefix="/v1/reports",
    tags=["reports"],
    responses={
        401: {"description": "No sign-in token or API key, or an invalid or disabled one"},
        403: {"description": "Not a leader or unit head, or a unit outside your subtree"},
        404: {"description": "No dossier and no catalogue names this unit"},
    },
)

Ctx = Annotated[ReportingContext, Depends(context)]
UnitParam = Annotated[
    str | None,
    Query(pattern=UNIT_CODE_PATTERN, description="A unit of your subtree (default: yours)."),
]
PeriodParam = Annotated[
    str | None,
    Query(description="2026-11-05, 2026-11, 2026-Q4 or 2026 (default: this month)."),
]
ProcedureParam = Annotated[str | None, Query(pattern=PROCEDURE_CODE_PATTERN)]
FieldParam = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")]
ChannelParam = Annotated[str | None, Query(pattern=r"^(in_person|online|postal)$")]
TreeParam = Annotated[
    Tree,
    Query(
        description="today (default): a retired unit's figures are carried by its final "
        "successor; then: as the tree was when the dossier was received (its unit_path)."
    ),
]
FORMATS = ("json", "csv", "xlsx")


def reader(request: Request, ctx: Ctx) -> Reader:
    with ctx.pool.connection() as conn:
        try:
            return reader_of(
                ctx.gate,
                dict(request.cookies),
                request.headers.get("authorization"),
                db_session=conn,
            )
        except NotSignedIn as exc:
            raise Problem(
                401, "Not signed in", str(exc), headers={"WWW-Authenticate": "Bearer"}
            ) from None
        except NotAllowed as exc:
            raise Problem(403, "Forbidden", str(exc)) from None


ReaderDep = Annotated[Reader, Depends(reader)]


def parse_period(text: str | None, now: datetime) -> Period:
    if text is None:
        return Period.containing(now, Granularity.MONTH)
    try:
        return Period.parse(text)
    except InvalidPeriod as exc:
        raise Problem(
            422, "Invalid request", str(exc), errors=[{"field": "period", "message": str(exc)}]
        ) from None


def resolve_unit(code: str | None, who: Reader, conn: Connection) -> reports.Unit:
    try:
        return reports.unit_in_subtree(code or who.unit_code, who.unit_code, db_session=conn)
    except reports.UnknownUnit:
        raise Problem(404, "Unknown unit", f"no dossier names unit {code}") from None
    except reports.OutsideSubtree:
        raise Problem(403, "Forbidden", f"{code} is outside your unit's subtree") from None


def _answer(
    fmt: str, body: dict[str, Any], table: Callable[[], Table]
) -> dict[str, Any] | Response:
    if fmt == "csv":
        return csv_response(table())
    if fmt == "xlsx":
        return xlsx_response(table())
    return body


@dataclass(frozen=True)
class Asked:
    """What a report is asked for: a unit of the reader's subtree, a period, the filters,
    the export format, and the instant it is computed at."""

    unit: reports.Unit
    period: Period
    filters: Filters
    fmt: str
    now: datetime

    def unit_json(self) -> dict[str, str]:
        return {"code": self.unit.code, "name": self.unit.name}

    @property
    def heading(self) -> dict[str, Any]:
        """What every answer says it is of: the unit, the period and the tree's reading."""
        return {"unit": self.unit_json(), "period": str(self.period), "tree": self.filters.tree}

    @property
    def naming(self) -> Naming:
        """The exports' file names: what, the unit's name and the period."""
        return Naming(self.unit.name, str(self.period))


def asked(
    who: ReaderDep,
    ctx: Ctx,
    unit: UnitParam = None,
    period: PeriodParam = None,
    procedure: ProcedureParam = None,
    field: FieldParam = None,
    channel: ChannelParam = None,
    tree: TreeParam = Tree.TODAY,
    fmt: str = "json",
) -> Asked:
    if fmt not in FORMATS:
        raise Problem(404, "Not found", f"no {fmt} export: use .csv or .xlsx")
    now = ctx.now()
    with ctx.pool.connection() as conn:
        target = resolve_unit(unit, who, conn)
    return Asked(
        target, parse_period(period, now), Filters(procedure, field, channel, tree), fmt, now
    )


AskedDep = Annotated[Asked, Depends(asked)]


@router.get("/summary", summary="The figures of a unit subtree for a period.")
@router.get("/summary.{fmt}", include_in_schema=False)
def get_summary(q: AskedDep, ctx: Ctx) -> Any:
    with ctx.pool.connection() as conn:
        body = reports.summary(q.unit, q.period, filters=q.filters, now=q.now, db_session=conn)
    minimum = ctx.settings.ranking_min_answers
    return _answer(q.fmt, body, lambda: exports.of_summary(q.naming, body, minimum))


def _breakdown(group_by: GroupBy) -> Callable[..., Any]:
    def view(q: AskedDep, ctx: Ctx) -> Any:
        with ctx.pool.connection() as conn:
            rows = reports.breakdown(
                q.unit, q.period, group_by, filters=q.filters, now=q.now, db_session=conn
            )
        body = {**q.heading, "by": group_by.value, "rows": rows}
        minimum = ctx.settings.ranking_min_answers
        what, header = _GROUP_FILES[group_by]
        return _answer(
            q.fmt, body, lambda: exports.of_groups(q.naming, what, header, rows, minimum)
        )

    return view


_GROUP_FILES = {
    GroupBy.UNIT: ("theo-don-vi", TEXTS["filter_unit"]),
    GroupBy.PROCEDURE: ("theo-thu-tuc", TEXTS["filter_procedure"]),
    GroupBy.FIELD: ("theo-linh-vuc", TEXTS["filter_field"]),
}


for _path, _group, _summary in (
    ("units", GroupBy.UNIT, "Drill-down: the unit's children (and its own dossiers)."),
    ("procedures", GroupBy.PROCEDURE, "The figures per procedure."),
    ("fields", GroupBy.FIELD, "The figures per field (lĩnh vực)."),
):
    router.add_api_route(f"/{_path}", _breakdown(_group), methods=["GET"], summary=_summary)
    router.add_api_route(
        f"/{_path}.{{fmt}}", _breakdown(_group), methods=["GET"], include_in_schema=False
    )


@router.get("/series", summary="A time series: one row per day, month, quarter or year.")
@router.get("/series.{fmt}", include_in_schema=False)
def get_series(
    q: AskedDep,
    ctx: Ctx,
    first: Annotated[str, Query(alias="from", description="The first period, e.g. 2026-01.")],
    last: Annotated[str | None, Query(alias="to", description="The last (default: now).")] = None,
) -> Any:
    start = parse_period(first, q.now)
    end = parse_period(last, q.now) if last else Period.containing(q.now, start.granularity)
    try:
        periods = series(start, end)
    except InvalidPeriod as exc:
        raise Problem(
            422, "Invalid request", str(exc), errors=[{"field": "to", "message": str(exc)}]
        ) from None
    with ctx.pool.connection() as conn:
        rows = reports.time_series(q.unit, periods, filters=q.filters, now=q.now, db_session=conn)
    body = {"unit": q.unit_json(), "tree": q.filters.tree, "rows": rows}
    # The period's code first (2026-11), then its name as a person reads it (Tháng 11/2026).
    series_rows = [
        {"key": r["period"], "name": period_name(Period.parse(r["period"])), **r} for r in rows
    ]
    minimum = ctx.settings.ranking_min_answers
    return _answer(
        q.fmt,
        body,
        lambda: exports.of_groups(
            q.naming, "dien-bien", TEXTS["reporting_period"], series_rows, minimum
        ),
    )


@router.get("/ranking", summary="The child units ranked (too few answers: not ranked).")
@router.get("/ranking.{fmt}", include_in_schema=False)
def get_ranking(q: AskedDep, ctx: Ctx) -> Any:
    minimum = ctx.settings.ranking_min_answers
    with ctx.pool.connection() as conn:
        rows = reports.ranking(
            q.unit, q.period, min_answers=minimum, now=q.now, tree=q.filters.tree, db_session=conn
        )
    body = {**q.heading, "min_answers": minimum, "rows": rows}
    return _answer(q.fmt, body, lambda: exports.of_ranking(q.naming, rows, minimum))


@router.get("/officers", summary="Officers' scores on criteria 1, 2, 3, 4 and 7 (max 10).")
@router.get("/officers.{fmt}", include_in_schema=False)
def get_officers(q: AskedDep, ctx: Ctx) -> Any:
    with ctx.pool.connection() as conn:
        rows = reports.officers(q.unit, q.period, db_session=conn)
    body = {"unit": q.unit_json(), "period": str(q.period), "rows": rows}
    return _answer(q.fmt, body, lambda: exports.of_officers(q.naming, rows))


@router.get("/dossiers", summary="The dossiers behind a figure: codes only.")
@router.get("/dossiers.{fmt}", include_in_schema=False)
def get_dossiers(
    q: AskedDep,
    ctx: Ctx,
    measure: Annotated[str, Query(description="A measure's name, as in /v1/reports/formulas.")],
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    chosen = MEASURES.get(measure)
    if chosen is None or not chosen.listable:
        raise Problem(
            422,
            "Invalid request",
            f"{measure!r} is not a listable measure",
            errors=[{"field": "measure", "message": "see /v1/reports/formulas"}],
        )
    with ctx.pool.connection() as conn:
        codes = dossiers_behind(
            chosen,
            q.unit.scope,
            q.period,
            now=q.now,
            filters=q.filters,
            limit=limit,
            db_session=conn,
        )
    body = {
        "measure": measure,
        "meaning": chosen.meaning,
        **q.heading,
        "dossier_codes": codes,
        "truncated": len(codes) == limit,
    }
    if q.fmt == "json":
        return body
    with ctx.pool.connection() as conn:
        details = casework.dossier_rows(codes, q.unit.code, now=q.now, db_session=conn)
    return _answer(q.fmt, body, lambda: exports.of_dossiers(q.naming, measure, details))


@router.get("/formulas", summary="What each figure counts and how each rate is computed.")
def get_formulas(who: ReaderDep) -> dict[str, Any]:
    return {
        "formula_version": FORMULA_VERSION,
        "measures": {
            m.name: {"meaning": m.meaning, "counted_by": m.source, "listable": m.listable}
            for m in MEASURES.values()
        },
        "rates": RATES,
        "explanations": EXPLANATIONS,
    }


@router.post(
    "/periods/{period}/close",
    status_code=201,
    summary="Close a month (chốt số liệu): freeze its figures with the formula version.",
    responses={
        409: {"description": "Not a finished month, or already closed for this unit"},
        422: {"description": "The period is not a period"},
    },
)
def close_period(
    period: str, request: Request, who: ReaderDep, ctx: Ctx, unit: UnitParam = None
) -> dict[str, Any]:
    now = ctx.now()
    actor = auditing.Who(
        who.name,
        ActorKind.OFFICER if who.officer else ActorKind.SYSTEM,
        client_address(request),
    )
    with ctx.pool.connection() as conn:
        with conn.transaction():
            target = resolve_unit(unit, who, conn)
        try:
            return auditing.close_month(
                target,
                parse_period(period, now),
                actor,
                closed_by=who.name,
                now=now,
                db_session=conn,
            )
        except reports.CannotClose as exc:
            raise Problem(409, "Cannot close", str(exc)) from None
