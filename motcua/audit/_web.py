"""The audit trail's doors on every service: ``GET /v1/audit`` (JSON, or CSV with
``format=csv``) and an inspector's page, both for the ``inspector`` role only and scoped to
their unit's subtree.

A service mounts :func:`audit_router` with its connection source, how it finds the
officer, which units are top units, and how it renders a page on the shared layout.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from psycopg import Connection
from starlette.responses import Response, StreamingResponse

from motcua.audit._store import (
    CSV_COLUMNS,
    AuditEntry,
    AuditFilter,
    AuditScope,
    entry_csv_row,
    entry_json,
    read_entries,
)
from motcua.http import Problem
from motcua.identity import Officer, OfficerGate, Role, page_officer
from motcua.web import strings

PAGE_SIZE = 100
CSV_LIMIT = 50_000
"""One CSV holds at most this many entries (newest first); narrow the filter for more."""

ConnectionSource = Callable[[], AbstractContextManager[Connection[Any]]]
OfficerOf = Callable[[Request], Officer | None]
PageRenderer = Callable[[Request, Officer, str, dict[str, Any]], Response]


@dataclass(frozen=True)
class AuditDoors:
    connection: ConnectionSource
    officer_of: OfficerOf
    """The signed-in officer (session or token), or None."""
    is_top_unit: Callable[[str], bool]
    """True for a unit with no parent: its inspectors also see platform-wide entries."""
    service_label: str
    """Whose log this is, in Vietnamese, for the page's heading ("Tiếp nhận hồ sơ")."""
    render_page: PageRenderer | None = None
    """None: the service has no pages, only the API."""
    other_logs: tuple[tuple[str, str], ...] = ()
    """Every service's audit page, (service, URL) (``PagesSettings.audit_pages``): the
    page links them, marking this one by ``service``."""
    service: str = ""
    """This service's name in ``other_logs``."""
    page_inspector: Callable[[Request], Officer] | None = None
    """For the page: the signed-in inspector, or the service's own page exceptions
    (``motcua.identity.SignInRequired``, ``NotForYourRole``) that send a browser to sign in
    or show the forbidden page. None: the API's problem+json answers (401, 403)."""


def token_checks(
    gate_of: Callable[[Request], OfficerGate],
) -> tuple[OfficerOf, Callable[[Request], Officer]]:
    """``officer_of`` and ``page_inspector`` for a service that knows its officers by the
    shared sign-in token alone (all but deadlines, which also has the session)."""

    def officer_of(request: Request) -> Officer | None:
        return gate_of(request).officer(request.cookies, request.headers.get("authorization"))

    def page_inspector(request: Request) -> Officer:
        return page_officer(
            gate_of(request),
            page_url=str(request.url),
            cookies=request.cookies,
            authorization=request.headers.get("authorization"),
            roles=(Role.INSPECTOR,),
        )

    return officer_of, page_inspector


def _scope(doors: AuditDoors, officer: Officer) -> AuditScope:
    return AuditScope(officer.unit_code, doors.is_top_unit(officer.unit_code))


def _inspector(doors: AuditDoors, request: Request) -> Officer:
    officer = doors.officer_of(request)
    if officer is None:
        raise Problem(401, "Sign-in required", "send an inspector's sign-in token")
    if not officer.has(Role.INSPECTOR):
        raise Problem(403, "Not an inspector", "the audit trail is for the inspector role")
    return officer


def audit_filter(
    actor: str | None,
    action: str | None,
    record_type: str | None,
    record_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Problem(
                422, "Invalid filter", f"{name} needs a UTC offset", field=f"query.{name}"
            )
    if since and until and until <= since:
        raise Problem(422, "Invalid filter", "until must be after since", field="query.until")
    return AuditFilter(
        actor or None, action or None, record_type or None, record_id or None, since, until
    )


def _csv(entries: Iterator[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(CSV_COLUMNS)
    columns.insert(columns.index("action") + 1, "action_label")
    writer.writerow([strings.AUDIT_CSV_HEADERS[column] for column in columns])
    for entry in entries:
        row = entry_csv_row(entry)
        action = entry.action.action
        row.insert(CSV_COLUMNS.index("action") + 1, strings.AUDIT_ACTION_LABELS.get(action, action))
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


_STATUSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No sign-in token, or an invalid one"},
    403: {"description": "Signed in, but not an inspector"},
    422: {"description": "A filter is malformed"},
}


def audit_router(
    doors: AuditDoors, *, page_path: str | None = None, api_prefix: str = ""
) -> APIRouter:
    """``GET {api_prefix}/v1/audit``, and the page at ``page_path`` when the service
    renders pages. ``api_prefix``: where the API is as the page's CSV link sees it."""
    router = APIRouter()
    _add_api(router, doors)
    if page_path is not None and doors.render_page is not None:
        _add_page(router, doors, doors.render_page, page_path, api_prefix)
    return router


def _add_api(router: APIRouter, doors: AuditDoors) -> None:
    @router.get(
        "/v1/audit",
        summary="The audit trail of this service, newest first, in the inspector's subtree.",
        responses={**_STATUSES, 200: {"content": {"text/csv": {}}}},
        tags=["audit"],
    )
    def get_audit(
        request: Request,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        action: Annotated[str | None, Query(max_length=200)] = None,
        record_type: Annotated[str | None, Query(max_length=100)] = None,
        record_id: Annotated[str | None, Query(max_length=200)] = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before: Annotated[int | None, Query(ge=1, description="page on: seq of the last")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = PAGE_SIZE,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    ) -> Any:
        officer = _inspector(doors, request)
        wanted = audit_filter(actor, action, record_type, record_id, since, until)
        scope = _scope(doors, officer)
        if format == "csv":
            with doors.connection() as conn:
                entries = read_entries(scope, wanted, limit=CSV_LIMIT, db_session=conn)
            return StreamingResponse(
                _csv(iter(entries)),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="nhat-ky.csv"'},
            )
        with doors.connection() as conn:
            entries = read_entries(scope, wanted, before_seq=before, limit=limit, db_session=conn)
        return {
            "entries": [entry_json(e) for e in entries],
            "next_before": entries[-1].seq if len(entries) == limit else None,
        }


def _page_context(
    doors: AuditDoors,
    request: Request,
    entries: list[AuditEntry],
    wanted: AuditFilter,
    links: tuple[str, str],
) -> dict[str, Any]:
    page_path, api_prefix = links
    shown = {k: v for k, v in request.query_params.items() if v and k != "before"}
    next_before = entries[-1].seq if len(entries) == PAGE_SIZE else None
    return {
        "title": strings.TEXTS["audit_title"],
        "entries": entries,
        "wanted": wanted,
        "service_label": doors.service_label,
        "action_labels": strings.AUDIT_ACTION_LABELS,
        "actor_kind_labels": strings.AUDIT_ACTOR_KIND_LABELS,
        "outcome_labels": strings.AUDIT_OUTCOME_LABELS,
        "next_before": next_before,
        "next_url": f"{page_path}?{urlencode({**shown, 'before': next_before})}",
        "csv_url": f"{api_prefix}/v1/audit?{urlencode({**shown, 'format': 'csv'})}",
        "logs": [
            (strings.AUDIT_SERVICE_LABELS[service], url, service == doors.service)
            for service, url in doors.other_logs
        ],
    }


def _add_page(
    router: APIRouter, doors: AuditDoors, render: PageRenderer, page_path: str, api_prefix: str
) -> None:
    @router.get(page_path, include_in_schema=False)
    def audit_page(
        request: Request,
        actor: str | None = None,
        action: str | None = None,
        record_type: str | None = None,
        record_id: str | None = None,
        before: int | None = None,
    ) -> Response:
        if doors.page_inspector is not None:
            officer = doors.page_inspector(request)
        else:
            officer = _inspector(doors, request)
        wanted = audit_filter(actor, action, record_type, record_id, None, None)
        scope = _scope(doors, officer)  # before the connection: it may ask the database too
        with doors.connection() as conn:
            entries = read_entries(
                scope, wanted, before_seq=before, limit=PAGE_SIZE, db_session=conn
            )
        context = _page_context(doors, request, entries, wanted, (page_path, api_prefix))
        return render(request, officer, "audit.html", context)
