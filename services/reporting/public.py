"""Publication (công khai): the closed figures of every published unit, for anyone,
without sign-in — a page per unit and period, and open data beside it.

``/cong-khai`` lists the units and their closed periods; ``/cong-khai/{unit}/{period}``
(``2026-11``, ``2026-Q3``, ``2026``) is one unit's page, with ``.csv`` and ``.json`` after
it for the open data; ``/cong-khai.json`` is the list as data. Closed figures cannot
change, so every answer may be cached (``Cache-Control: public``) and carries an ETag of
its content: a client sending it back in ``If-None-Match`` gets 304. Anything not
published — a unit unknown or deeper than ``PUBLISH_DEEPEST_LEVEL``, a period not wholly
closed, a day — is 404 (a page in Vietnamese, or problem+json for the data).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from motcua.http import Problem
from motcua.web import AGENCY_BAND_LABELS, TEXTS, Layout
from services.reporting import publication
from services.reporting.context import ReportingContext, context
from services.reporting.pages import render_html
from services.reporting.periods import Period
from services.reporting.wording import period_name

router = APIRouter(tags=["publication"])
Ctx = Annotated[ReportingContext, Depends(context)]
UnitCode = Annotated[str, Path(description="A published unit's code.")]
PeriodText = Annotated[
    str, Path(description="A closed month, quarter or year: 2026-11, 2026-Q3, 2026.")
]

_CACHED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Unchanged since the ETag sent in If-None-Match"},
}
_NOT_PUBLISHED: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Not published: an unknown unit or one deeper than published, a "
        "period not (wholly) closed for it, or not a month, quarter or year"
    },
}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def cached(
    request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """The answer with its ETag and public caching; 304 when the client has it already."""
    etag = _etag(body)
    max_age = context(request).settings.publish_max_age_s
    sent = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag, **(headers or {})}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=sent)
    return Response(body, media_type=media_type, headers=sent)


def _published(ctx: ReportingContext, unit_code: str, period_text: str) -> dict[str, Any]:
    settings = ctx.settings
    with ctx.pool.connection() as conn:
        period = publication.published_period(period_text)
        unit = publication.published_unit(
            unit_code, settings.publish_deepest_level, db_session=conn
        )
        return publication.published(
            unit, period, min_answers=settings.ranking_min_answers, db_session=conn
        )


def _data(ctx: ReportingContext, unit_code: str, period_text: str) -> dict[str, Any]:
    try:
        return _published(ctx, unit_code, period_text)
    except publication.NotPublished as exc:
        raise Problem(404, "Not published", str(exc)) from None


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode()


@router.get(
    "/cong-khai.json",
    summary="Open data: every published unit and its closed periods.",
    responses=_CACHED,
)
def index_json(request: Request, ctx: Ctx) -> Response:
    with ctx.pool.connection() as conn:
        units = publication.catalogue(ctx.settings.publish_deepest_level, db_session=conn)
    return cached(request, _json({"units": units}), "application/json")


@router.get(
    "/cong-khai/{unit_code}/{period}.json",
    summary="Open data: a unit's closed figures for a month, quarter or year.",
    responses={**_CACHED, **_NOT_PUBLISHED},
)
def unit_json(request: Request, ctx: Ctx, unit_code: UnitCode, period: PeriodText) -> Response:
    return cached(request, _json(_data(ctx, unit_code, period)), "application/json")


@router.get(
    "/cong-khai/{unit_code}/{period}.csv",
    summary="Open data as CSV: the same figures as the JSON, one header and one row.",
    responses={**_CACHED, **_NOT_PUBLISHED, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def unit_csv(request: Request, ctx: Ctx, unit_code: UnitCode, period: PeriodText) -> Response:
    body = _data(ctx, unit_code, period)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(publication.csv_rows(body))
    name = f"cong-khai-{body['unit']['code']}-{body['period']}.csv"
    return cached(
        request,
        buffer.getvalue().encode(),
        "text/csv; charset=utf-8",
        {"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _page(request: Request, name: str, status: int = 200, **values: Any) -> Response:
    html = render_html(
        request, name, Layout(), title=TEXTS["public_title"], officer=None, **values
    ).encode()
    if status != 200:
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    return cached(request, html, "text/html; charset=utf-8")


@router.get("/cong-khai", include_in_schema=False)
def index_page(request: Request, ctx: Ctx) -> Response:
    with ctx.pool.connection() as conn:
        units = publication.catalogue(ctx.settings.publish_deepest_level, db_session=conn)
    return _page(
        request, "public_index.html", units=units, label=lambda p: period_name(Period.parse(p))
    )


@router.get("/cong-khai/{unit_code}/{period}", include_in_schema=False)
def unit_page(request: Request, ctx: Ctx, unit_code: str, period: str) -> Response:
    try:
        body = _published(ctx, unit_code, period)
    except publication.NotPublished:
        return _page(request, "public_missing.html", status=404)
    return _page(request, "public.html", body=body, band_labels=AGENCY_BAND_LABELS)
