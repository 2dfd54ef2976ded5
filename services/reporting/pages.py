"""The leaders' page (``/reports``) and the list behind a figure (``/reports/dossiers``),
server-rendered on the shared templates, behind the platform's one sign-in (the token is
checked with the public key). The charts are Chart.js, served from reporting's own static
files (``web/package.json``, copied at build time); every chart has its table beside it,
and the page reads fully without JavaScript. With JavaScript the figures refresh from
``/v1/reports/summary`` every few seconds."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from psycopg import Connection
from starlette.concurrency import run_in_threadpool

from motcua.identity import (
    NotForYourRole,
    Officer,
    SignInRequired,
    SignInUnavailable,
    page_officer,
)
from motcua.web import (
    AGENCY_BAND_LABELS,
    FIELD_LABELS,
    PORTAL_766_LABELS,
    TEXTS,
    Layout,
    SignedIn,
    StaticAssets,
    create_environment,
    mount_starlette_static,
    service_nav,
)
from motcua.web.forms import read_form
from services.reporting import reports
from services.reporting.access import REPORT_ROLES
from services.reporting.context import ReportingContext, context
from services.reporting.explain import RATES
from services.reporting.figures import Filters, GroupBy, dossiers_behind
from services.reporting.measures import MEASURES
from services.reporting.periods import Granularity, InvalidPeriod, Period, months_up_to

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CHART_JS = "chart.umd.min.js"
NO_STORE = {"Cache-Control": "no-store"}
SERIES_MONTHS = 12

router = APIRouter(include_in_schema=False)


def _leader(request: Request) -> Officer:
    ctx = context(request)
    return page_officer(
        ctx.gate,
        page_url=str(request.url),
        cookies=request.cookies,
        authorization=request.headers.get("authorization"),
        roles=REPORT_ROLES,
    )


Leader = Annotated[Officer, Depends(_leader)]
Ctx = Annotated[ReportingContext, Depends(context)]


def _templates(request: Request) -> Environment:
    env: Environment = request.app.state.report_templates
    return env


def _render(
    request: Request, name: str, officer: Officer | None, *, status: int = 200, **values: Any
) -> HTMLResponse:
    ctx = context(request)
    settings = ctx.settings
    nav = service_nav(
        "reporting",
        board=settings.pages_board_url,
        ratings=settings.pages_ratings_url,
        reporting=settings.pages_reporting_url,
    )
    user = None
    if officer is not None:
        user = SignedIn(
            officer.display_name, officer.unit_code, f"{ctx.gate.signin_url}/board/logout"
        )
    page = (
        _templates(request)
        .get_template(name)
        .render(layout=Layout(nav=nav, user=user), officer=officer, **values)
    )
    return HTMLResponse(page, status_code=status, headers=NO_STORE)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%".replace(".", ",")


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}".replace(".", ",")
    return f"{int(value):,}".replace(",", ".")


def _message(
    request: Request, officer: Officer | None, status: int, title: str, text: str
) -> HTMLResponse:
    return _render(request, "message.html", officer, status=status, title=title, message=text)


class _Refused(Exception):
    """A page that cannot be shown for what was asked: its status and message."""

    def __init__(self, officer: Officer, status: int, text: str) -> None:
        super().__init__(text)
        self.officer, self.status, self.text = officer, status, text


def _period(text: str | None, officer: Officer, now: datetime) -> Period:
    try:
        return Period.parse(text) if text else Period.containing(now, Granularity.MONTH)
    except InvalidPeriod as exc:
        raise _Refused(officer, 422, str(exc)) from None


def _unit(code: str | None, officer: Officer, conn: Connection) -> reports.Unit:
    try:
        return reports.unit_in_subtree(
            code or officer.unit_code, officer.unit_code, db_session=conn
        )
    except reports.UnknownUnit:
        raise _Refused(officer, 404, TEXTS["reporting_no_data"]) from None
    except reports.OutsideSubtree:
        raise _Refused(officer, 403, TEXTS["reporting_outside"]) from None


def _choices(request: Request, officer: Officer) -> tuple[list[Any], list[Any]]:
    ctx = context(request)
    with ctx.pool.connection() as conn:
        units = conn.execute(
            "SELECT code, name, array_length(unit_path, 1) FROM units "
            "WHERE unit_path @> ARRAY[%s]::text[] ORDER BY unit_path",
            (officer.unit_code,),
        ).fetchall()
        procedures = conn.execute("SELECT code, name FROM procedures ORDER BY code").fetchall()
    return units, procedures


def _report_figures(
    ctx: ReportingContext,
    target: reports.Unit,
    period: Period,
    filters: Filters,
    now: datetime,
    conn: Connection,
) -> dict[str, Any]:
    """What the report page shows of ``target``: its summary, its units, their ranking and
    the months up to ``period``."""
    summary = reports.summary(target, period, filters=filters, now=now, db_session=conn)
    children = reports.breakdown(
        target, period, GroupBy.UNIT, filters=filters, now=now, db_session=conn
    )
    minimum = ctx.settings.ranking_min_answers
    ranking = (
        reports.rank(target, children, min_answers=minimum)  # counted once, not twice
        if filters == Filters()
        else reports.ranking(target, period, min_answers=minimum, now=now, db_session=conn)
    )
    return {
        "summary": summary,
        "children": children,
        "ranking": ranking,
        "trend": reports.time_series(
            target,
            months_up_to(period, now, SERIES_MONTHS),
            filters=filters,
            now=now,
            db_session=conn,
        ),
    }


def _chart(trend: list[dict[str, Any]]) -> str:
    """The trend as Chart.js draws it (JSON)."""
    return json.dumps(
        {
            "labels": [row["period"] for row in trend],
            "received": [row["counts"]["received"] for row in trend],
            "finished_late": [row["counts"]["finished_late"] for row in trend],
            "finished": [row["counts"]["finished"] for row in trend],
            "satisfaction": [row["figures"]["satisfaction_rate"] for row in trend],
        }
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    officer: Leader,
    ctx: Ctx,
    unit: str | None = None,
    period: str | None = None,
    procedure: str | None = None,
    field: str | None = None,
) -> Response:
    now = ctx.now()
    the_period = _period(period, officer, now)
    filters = Filters(procedure or None, field or None)
    with ctx.pool.connection() as conn:
        target = _unit(unit, officer, conn)
        shown = _report_figures(ctx, target, the_period, filters, now, conn)
    units, procedures = _choices(request, officer)
    pairs = (("unit", target.code), ("period", str(the_period)), ("procedure", procedure))
    query = {k: v for k, v in (*pairs, ("field", field)) if v}
    summary, children = shown["summary"], shown["children"]
    return _render(
        request,
        "reports.html",
        officer,
        title=TEXTS["reporting_title"],
        summary=summary,
        counts=summary["counts"],
        figures=summary["figures"],
        children=[c for c in children if c["key"] != target.code or c["counts"]["received"]],
        ranking=shown["ranking"],
        trend=shown["trend"],
        chart_json=_chart(shown["trend"]),
        target=target,
        period=str(the_period),
        query=query,
        qs=lambda **extra: urlencode({**query, **{k: v for k, v in extra.items() if v}}),
        units=units,
        procedures=procedures,
        fields=FIELD_LABELS,
        selected_procedure=procedure or "",
        selected_field=field or "",
        measures=MEASURES,
        rates=RATES,
        percent=_percent,
        number=_number,
        band_labels=AGENCY_BAND_LABELS,
        group_labels=PORTAL_766_LABELS,
        min_answers=ctx.settings.ranking_min_answers,
        closable=the_period.granularity is Granularity.MONTH and the_period.ends_at <= now,
        chart_available=(STATIC / CHART_JS).is_file(),
    )


@router.get("/reports/dossiers", response_class=HTMLResponse)
def dossiers_page(
    request: Request,
    officer: Leader,
    ctx: Ctx,
    measure: str,
    unit: str | None = None,
    period: str | None = None,
    procedure: str | None = None,
    field: str | None = None,
) -> Response:
    now = ctx.now()
    chosen = MEASURES.get(measure)
    if chosen is None or not chosen.listable:
        raise _Refused(officer, 404, TEXTS["reporting_no_measure"])
    the_period = _period(period, officer, now)
    with ctx.pool.connection() as conn:
        target = _unit(unit, officer, conn)
        codes = dossiers_behind(
            chosen,
            target.scope,
            the_period,
            now=now,
            filters=Filters(procedure or None, field or None),
            db_session=conn,
        )
    back = {"unit": target.code, "period": str(the_period), "procedure": procedure, "field": field}
    return _render(
        request,
        "dossiers.html",
        officer,
        title=chosen.meaning,
        measure=chosen,
        target=target,
        period=str(the_period),
        codes=codes,
        back=urlencode({k: v for k, v in back.items() if v}),
        export=urlencode({"measure": measure, **{k: v for k, v in back.items() if v}}),
    )


@router.post("/reports/close")
async def close_page(request: Request, officer: Leader, ctx: Ctx) -> Response:
    """Close a month for a unit. The sign-in cookie is SameSite=Lax, so another site's
    form cannot post here signed in; a foreign Origin is refused as well."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise _Refused(officer, 403, TEXTS["forbidden_text"])
    form = await read_form(request) or {}
    unit, period = form.get("unit", ""), form.get("period", "")
    await run_in_threadpool(_close, ctx, officer, unit, period)
    return RedirectResponse(
        f"/reports?{urlencode({'unit': unit, 'period': period})}", status_code=303
    )


def _close(ctx: ReportingContext, officer: Officer, unit: str, period: str) -> None:
    now = ctx.now()
    try:
        the_period = Period.parse(period)
    except InvalidPeriod as exc:
        raise _Refused(officer, 422, str(exc)) from None
    with ctx.pool.connection() as conn, conn.transaction():
        target = _unit(unit or None, officer, conn)
        try:
            reports.close_month(
                target, the_period, closed_by=officer.username, now=now, db_session=conn
            )
        except reports.CannotClose as exc:
            raise _Refused(officer, 409, str(exc)) from None


def install_report_pages(app: FastAPI) -> None:
    assets = StaticAssets(STATIC)
    app.state.report_templates = create_environment(TEMPLATES, assets=assets)
    mount_starlette_static(app, assets)
    app.include_router(router)

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> Response:
        title = TEXTS["forbidden_title"] if exc.status == 403 else TEXTS["reporting_title"]
        return _message(request, exc.officer, exc.status, title, exc.text)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotForYourRole)
    async def not_for_role(request: Request, exc: NotForYourRole) -> Response:
        return _message(
            request, exc.officer, 403, TEXTS["forbidden_title"], TEXTS["reporting_leaders_only"]
        )

    @app.exception_handler(SignInUnavailable)
    async def unavailable(request: Request, exc: SignInUnavailable) -> Response:
        return _message(
            request, None, 503, TEXTS["signin_unavailable_title"], TEXTS["signin_unavailable_text"]
        )
