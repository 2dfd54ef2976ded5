"""The leaders' page (``/reports``) and the list behind a figure (``/reports/dossiers``),
server-rendered on the shared templates, behind the platform's one sign-in (the token is
checked with the public key). The charts are Chart.js, served from reporting's own static
files (``web/package.json``, copied at build time); every chart has its table beside it,
and the page reads fully without JavaScript. With JavaScript the figures refresh from
``/v1/reports/summary`` every few seconds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from psycopg import Connection
from starlette.concurrency import run_in_threadpool

from motcua.audit import ActorKind
from motcua.contracts import Criterion
from motcua.http import client_address
from motcua.identity import (
    NotForYourRole,
    Officer,
    Role,
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
    NavLink,
    SignedIn,
    StaticAssets,
    create_environment,
    mount_starlette_static,
    service_nav,
    unit_label,
)
from motcua.web.forms import read_form
from motcua.web.strings import RATING_CRITERIA
from services.reporting import auditing, casework, page_values, reports
from services.reporting.access import REPORT_ROLES
from services.reporting.context import ReportingContext, context
from services.reporting.explain import EXPLANATIONS
from services.reporting.exports import not_enough
from services.reporting.figures import Filters, Tree, dossiers_behind
from services.reporting.measures import MEASURES
from services.reporting.periods import Granularity, Period
from services.reporting.wording import (
    TREE_LABEL,
    TREE_READINGS,
    BadPeriod,
    instant,
    number,
    percent,
    period_in_sentence,
    period_name,
    picked_period,
    short_period,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CHART_JS = "chart.umd.min.js"
NO_STORE = {"Cache-Control": "no-store"}
AUDIT_PAGE = "/reports/audit"

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


def _unit_name(ctx: ReportingContext, code: str) -> str:
    """The header's unit: its name from reporting's catalogue (the code until intake's
    catalogue has named it)."""
    with ctx.pool.connection() as conn:
        row = conn.execute("SELECT name FROM units WHERE code = %s", (code,)).fetchone()
    return str(row[0]) if row else code


def render_html(request: Request, name: str, layout: Layout, **values: Any) -> str:
    """A page of reporting's templates on the shared layout, with the wording helpers."""
    return (
        _templates(request)
        .get_template(name)
        .render(
            layout=layout,
            percent=percent,
            number=number,
            period_name=period_name,
            period_in_sentence=period_in_sentence,
            short_period=lambda text: short_period(Period.parse(text)),
            instant=instant,
            **values,
        )
    )


def _nav(request: Request, officer: Officer | None) -> list[NavLink]:
    """The services' links; for an inspector, the audit trail's page too."""
    settings = context(request).settings
    nav = service_nav(
        "reporting",
        board=settings.pages_board_url,
        ratings=settings.pages_ratings_url,
        reporting=settings.pages_reporting_url,
    )
    if officer is not None and officer.has(Role.INSPECTOR):
        here = request.url.path == AUDIT_PAGE
        nav.append(NavLink(TEXTS["audit_title"], AUDIT_PAGE, here))
    return nav


def _render(
    request: Request, name: str, officer: Officer | None, *, status: int = 200, **values: Any
) -> HTMLResponse:
    ctx = context(request)
    user = None
    if officer is not None:
        user = SignedIn(
            officer.display_name,
            _unit_name(ctx, officer.unit_code),
            f"{ctx.gate.signin_url}/board/logout",
        )
    layout = Layout(nav=_nav(request, officer), user=user)
    page = render_html(request, name, layout, officer=officer, **values)
    return HTMLResponse(page, status_code=status, headers=NO_STORE)


def render_audit(request: Request, officer: Officer, name: str, values: dict[str, Any]) -> Response:
    """The audit trail's page (``motcua.audit``) on reporting's layout."""
    return _render(request, name, officer, **values)


def _message(
    request: Request,
    officer: Officer | None,
    status: int,
    title: str,
    text: str,
    back: str = "/reports",
) -> HTMLResponse:
    """A refusal, with the way back to the report (for a signed-in officer)."""
    return _render(
        request, "message.html", officer, status=status, title=title, message=text, back=back
    )


class _Refused(Exception):
    """A page that cannot be shown for what was asked: its status and message."""

    def __init__(self, officer: Officer, status: int, text: str, back: str = "/reports") -> None:
        super().__init__(text)
        self.officer, self.status, self.text, self.back = officer, status, text, back


def _period(text: str | None, officer: Officer, now: datetime) -> Period:
    try:
        chosen = picked_period({"period": text or ""})
    except BadPeriod as exc:
        raise _Refused(officer, 422, str(exc)) from None
    return chosen or Period.containing(now, Granularity.MONTH)


def _unit(code: str | None, officer: Officer, conn: Connection) -> reports.Unit:
    try:
        return reports.unit_in_subtree(
            code or officer.unit_code, officer.unit_code, db_session=conn
        )
    except reports.UnknownUnit:
        raise _Refused(officer, 404, TEXTS["reporting_no_data"]) from None
    except reports.OutsideSubtree:
        raise _Refused(officer, 403, TEXTS["reporting_outside"]) from None


_UNIT_CHOICES = {
    # Today's reading offers today's units only; as the tree was, the retired ones too, each
    # saying until when it served, so two communes of one name are told apart.
    Tree.TODAY: "SELECT code, name, array_length(unit_path, 1), NULL FROM units "
    "WHERE today_path @> ARRAY[%s]::text[] AND retired_on IS NULL ORDER BY unit_path",
    Tree.THEN: "SELECT code, name, array_length(unit_path, 1), retired_on FROM units "
    "WHERE unit_path @> ARRAY[%s]::text[] ORDER BY unit_path",
}


def _choices(request: Request, officer: Officer, tree: Tree) -> tuple[list[Any], list[Any]]:
    ctx = context(request)
    with ctx.pool.connection() as conn:
        rows = conn.execute(_UNIT_CHOICES[tree], (officer.unit_code,)).fetchall()
        procedures = conn.execute("SELECT code, name FROM procedures ORDER BY code").fetchall()
    units = [
        (
            code,
            unit_label(name, retired_on),
            depth,
        )
        for code, name, depth, retired_on in rows
    ]
    return units, procedures


def _shown_period(params: dict[str, str], now: datetime) -> tuple[Period, str | None]:
    """The period the pickers chose; on a bad choice, the one shown before (``shown``, or
    this month) and the inline error."""
    try:
        return picked_period(params) or Period.containing(now, Granularity.MONTH), None
    except BadPeriod as exc:
        try:
            before = picked_period({"period": params.get("shown", "")})
        except BadPeriod:
            before = None
        return before or Period.containing(now, Granularity.MONTH), str(exc)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    officer: Leader,
    ctx: Ctx,
    unit: str | None = None,
    procedure: str | None = None,
    field: str | None = None,
    tree: Tree = Tree.TODAY,
) -> Response:
    now = ctx.now()
    the_period, error = _shown_period(dict(request.query_params), now)
    filters = Filters(procedure or None, field or None, tree=tree)
    with ctx.pool.connection() as conn:
        target = _unit(unit, officer, conn)
        asked = page_values.Asked(
            target, the_period, filters, now, ctx.settings.ranking_min_answers
        )
        shown = page_values.report(asked, conn)
    units, procedures = _choices(request, officer, tree)
    pairs = (("unit", target.code), ("period", str(the_period)), ("procedure", procedure))
    query = {k: v for k, v in (*pairs, ("field", field), ("tree", _shown_tree(tree))) if v}
    return _render(
        request,
        "reports.html",
        officer,
        status=422 if error else 200,
        title=TEXTS["reporting_title"],
        **shown,
        counts=shown["summary"]["counts"],
        figures=shown["summary"]["figures"],
        target=target,
        period=str(the_period),
        the_period=the_period,
        period_error=error,
        just_closed=request.query_params.get("closed") == "1",
        query=query,
        qs=lambda **extra: urlencode({**query, **{k: v for k, v in extra.items() if v}}),
        units=units,
        procedures=procedures,
        fields=FIELD_LABELS,
        selected_procedure=procedure or "",
        selected_field=field or "",
        tree=tree.value,
        **_page_constants(ctx),
        closable=the_period.granularity is Granularity.MONTH and the_period.ends_at <= now,
    )


def _page_constants(ctx: ReportingContext) -> dict[str, Any]:
    return {
        "measures": MEASURES,
        "explanations": EXPLANATIONS,
        "band_labels": AGENCY_BAND_LABELS,
        "group_labels": PORTAL_766_LABELS,
        "criteria": [(c.number, RATING_CRITERIA[c]) for c in Criterion],
        "min_answers": ctx.settings.ranking_min_answers,
        "not_enough": not_enough,
        "followups_url": f"{ctx.settings.pages_ratings_url}/staff/followups",
        "chart_available": (STATIC / CHART_JS).is_file(),
        "tree_label": TREE_LABEL,
        "tree_readings": TREE_READINGS,
    }


def _shown_tree(tree: Tree) -> str | None:
    """The reading in the page's links: only when not the default one."""
    return None if tree is Tree.TODAY else tree.value


def _tree_param(tree: Tree) -> dict[str, str]:
    shown = _shown_tree(tree)
    return {"tree": shown} if shown else {}


@router.get("/reports/print", response_class=HTMLResponse)
def print_page(
    request: Request,
    officer: Leader,
    ctx: Ctx,
    unit: str | None = None,
    period: str | None = None,
    tree: Tree = Tree.TODAY,
) -> Response:
    """A unit's period on A4 paper: the figures, the on-time views, the criteria, the units."""
    now = ctx.now()
    the_period = _period(period, officer, now)
    with ctx.pool.connection() as conn:
        target = _unit(unit, officer, conn)
        asked = page_values.Asked(
            target, the_period, Filters(tree=tree), now, ctx.settings.ranking_min_answers
        )
        shown = page_values.report(asked, conn)
    return _render(
        request,
        "print.html",
        officer,
        title=f"{TEXTS['reporting_print']} · {target.name} · {period_name(the_period)}",
        **shown,
        counts=shown["summary"]["counts"],
        figures=shown["summary"]["figures"],
        target=target,
        the_period=the_period,
        printed_at=now,
        tree=tree.value,
        back=urlencode({"unit": target.code, "period": str(the_period), **_tree_param(tree)}),
        **_page_constants(ctx),
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
    tree: Tree = Tree.TODAY,
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
            filters=Filters(procedure or None, field or None, tree=tree),
            db_session=conn,
        )
        rows = casework.dossier_rows(codes, target.code, now=now, db_session=conn)
    back = {
        "unit": target.code,
        "period": str(the_period),
        "procedure": procedure,
        "field": field,
        "tree": _shown_tree(tree),
    }
    return _render(
        request,
        "dossiers.html",
        officer,
        title=chosen.meaning,
        measure=chosen,
        target=target,
        the_period=the_period,
        rows=rows,
        tree=tree.value,
        tree_readings=TREE_READINGS,
        back=urlencode({k: v for k, v in back.items() if v}),
        export=urlencode({"measure": measure, **{k: v for k, v in back.items() if v}}),
    )


@router.get("/reports/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(
    request: Request, officer: Leader, ctx: Ctx, code: str, back: str = ""
) -> Response:
    """One dossier of the reader's subtree: its particulars and timeline, as reporting
    has projected them from the events."""
    now = ctx.now()
    with ctx.pool.connection() as conn:
        row = casework.particulars(code, officer.unit_code, now=now, db_session=conn)
        steps = casework.timeline(code, officer.unit_code, db_session=conn)
    if row is None or steps is None:
        raise _Refused(officer, 404, TEXTS["reporting_no_dossier"])
    return _render(
        request,
        "dossier.html",
        officer,
        title=f"{TEXTS['reporting_dossier_code']} {code}",
        row=row,
        steps=steps,
        back=back if back.startswith("/reports") else "/reports",
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
    address = client_address(request)
    await run_in_threadpool(_close, ctx, officer, address, unit, period)
    # Back to the report, which confirms the closing ("Đã chốt số liệu tháng 11/2026 lúc …").
    closed = urlencode({"unit": unit, "period": period, "closed": "1"})
    return RedirectResponse(f"/reports?{closed}#closed-heading", status_code=303)


def _close(
    ctx: ReportingContext, officer: Officer, address: str | None, unit: str, period: str
) -> None:
    now = ctx.now()
    try:
        the_period = picked_period({"period": period}) or Period.containing(now, Granularity.MONTH)
    except BadPeriod as exc:
        raise _Refused(officer, 422, str(exc)) from None
    who = auditing.Who(officer.username, ActorKind.OFFICER, address)
    with ctx.pool.connection() as conn:
        with conn.transaction():
            target = _unit(unit or None, officer, conn)
        try:
            auditing.close_month(
                target, the_period, who, closed_by=officer.display_name, now=now, db_session=conn
            )
        except reports.CannotClose:
            report = f"/reports?{urlencode({'unit': target.code, 'period': str(the_period)})}"
            raise _Refused(officer, 409, TEXTS["reporting_cannot_close"], report) from None


def install_report_pages(app: FastAPI) -> None:
    assets = StaticAssets(STATIC)
    app.state.report_templates = create_environment(TEMPLATES, assets=assets)
    mount_starlette_static(app, assets)
    app.include_router(router)

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> Response:
        title = TEXTS["forbidden_title"] if exc.status == 403 else TEXTS["reporting_title"]
        return _message(request, exc.officer, exc.status, title, exc.text, exc.back)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    @app.exception_handler(NotForYourRole)
    async def not_for_role(request: Request, exc: NotForYourRole) -> Response:
        only = (
            "audit_inspectors_only" if Role.INSPECTOR in exc.allowed else "reporting_leaders_only"
        )
        return _message(request, exc.officer, 403, TEXTS["forbidden_title"], TEXTS[only])

    @app.exception_handler(SignInUnavailable)
    async def unavailable(request: Request, exc: SignInUnavailable) -> Response:
        return _message(
            request, None, 503, TEXTS["signin_unavailable_title"], TEXTS["signin_unavailable_text"]
        )
