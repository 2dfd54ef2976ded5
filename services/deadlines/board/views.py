"""The duty-officer board on the worker's web server: pages, live stream, actions.

Every route resolves the officer from the session cookie first and scopes each query to
the officer's subtree, so a dossier outside it is simply "not found". Browser routes
answer with HTML (a form error re-renders the form with status 422); ``/v1/board`` is the
same list as JSON with problem+json errors.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import faust
from aiohttp import web

from motcua.calendar import WorkingCalendar
from motcua.documents import render_pdf
from services.deadlines.board import pages
from services.deadlines.board.live import BoardFeed
from services.deadlines.board.query import BoardFilter, BoardRequest, ReferenceData
from services.deadlines.board.service import acknowledge, board_page
from services.deadlines.database import Database
from services.deadlines.letters.intake_client import DossierDirectory, IntakeUnavailable
from services.deadlines.letters.models import (
    ApologyLetter,
    LetterRuleError,
    clean_reason,
    new_appointment,
)
from services.deadlines.letters.service import (
    IssuedVersion,
    LetterNotFound,
    LetterTask,
    issue_letter,
    letter_pdf,
    letter_task,
)
from services.deadlines.officers import Officer, close_session
from services.deadlines.web import (
    SESSION_COOKIE,
    current_officer,
    log_in,
    problem,
    session_cookie,
)

KEEPALIVE_S = 15.0
HTML = "text/html"


@dataclass(frozen=True)
class BoardConfig:
    calendar: WorkingCalendar
    suggested_extension_days: int
    publish: Callable[[IssuedVersion], Awaitable[None]]


def _redirect(location: str, **headers: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, **headers})


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type=HTML, charset="utf-8")


def _dossier_id(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def install_board_views(
    app: faust.App,
    *,
    db: Database,
    feed: BoardFeed,
    directory: DossierDirectory,
    config: BoardConfig,
    reference: ReferenceData,
) -> None:
    """``reference`` names procedures and units (unused until the board's templates)."""

    def signed_in(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """Browser routes: the officer from the session cookie, or off to the login page."""

        @functools.wraps(handler)
        async def with_officer(view: Any, request: Any, **match: str) -> Any:
            officer = await current_officer(request, db)
            if officer is None:
                return _redirect("/board/login")
            return await handler(view, request, officer, **match)

        return with_officer

    @app.page("/board/login")
    class Login(faust.web.View):
        async def get(self, request: Any) -> Any:
            return _html(pages.login_page())

        async def post(self, request: Any) -> Any:
            form = await request.post()
            username, password = str(form.get("username", "")), str(form.get("password", ""))
            if not username or not password:
                return _html(pages.login_page("Nhập tên đăng nhập và mật khẩu."), 422)
            result = await db.run(log_in, username, password)
            if result is None:
                return _html(pages.login_page("Sai tên đăng nhập hoặc mật khẩu."), 401)
            return _redirect("/board", **{"Set-Cookie": session_cookie(result[1])})

    @app.page("/board/logout")
    class Logout(faust.web.View):
        async def post(self, request: Any) -> Any:
            token = request.cookies.get(SESSION_COOKIE)
            if token:
                await db.run(close_session, token)
            return _redirect("/board/login", **{"Set-Cookie": session_cookie("", max_age_s=0)})

    @app.page("/board")
    class Board(faust.web.View):
        @signed_in
        async def get(self, request: Any, officer: Officer) -> Any:
            page = await db.run(board_page, officer, BoardRequest())
            return _html(pages.board_page(officer, page.items, datetime.now(UTC)))

    @app.page("/board/rows")
    class Rows(faust.web.View):
        async def get(self, request: Any) -> Any:
            officer = await current_officer(request, db)
            if officer is None:
                return _html("", 401)
            page = await db.run(board_page, officer, BoardRequest())
            return _html(pages.board_rows(page.items, datetime.now(UTC)))

    @app.page("/board/events")
    class Events(faust.web.View):
        async def get(self, request: Any) -> Any:
            """Server-sent events: ``changed`` whenever the officer's subtree changes."""
            officer = await current_officer(request, db)
            if officer is None:
                return _html("", 401)
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-store",
                    "X-Accel-Buffering": "no",
                }
            )
            await response.prepare(request)
            with feed.subscribe(officer.unit_code) as subscriber:
                try:
                    await response.write(b"retry: 1000\n\n")
                    while True:
                        try:
                            await asyncio.wait_for(subscriber.changed.wait(), KEEPALIVE_S)
                        except TimeoutError:
                            await response.write(b": keepalive\n\n")
                            continue
                        subscriber.changed.clear()
                        await response.write(b"event: changed\ndata: {}\n\n")
                except (ConnectionResetError, asyncio.CancelledError):
                    pass
            return response

    @app.page("/board/dossiers/{dossier_id}/ack")
    class Acknowledge(faust.web.View):
        @signed_in
        async def post(self, request: Any, officer: Officer, dossier_id: str) -> Any:
            found = _dossier_id(dossier_id)
            if found is None or not await db.run(acknowledge, officer, found):
                return _html(
                    pages.message_page(
                        "Không tìm thấy", "Hồ sơ không có trên bảng của đơn vị bạn.", officer
                    ),
                    404,
                )
            return _redirect("/board")

    async def task_of(officer: Officer, dossier_id: str) -> LetterTask | None:
        found = _dossier_id(dossier_id)
        if found is None:
            return None
        try:
            return await db.run(letter_task, officer, found)
        except LetterNotFound:
            return None

    def not_found(officer: Officer) -> web.Response:
        return _html(
            pages.message_page(
                "Không tìm thấy", "Hồ sơ này không có phiếu xin lỗi trên bảng của bạn.", officer
            ),
            404,
        )

    @app.page("/board/dossiers/{dossier_id}/letter")
    class Letter(faust.web.View):
        @signed_in
        async def get(self, request: Any, officer: Officer, dossier_id: str) -> Any:
            task = await task_of(officer, dossier_id)
            if task is None:
                return not_found(officer)
            return _html(
                pages.letter_page(officer, task, suggested_days=config.suggested_extension_days)
            )

        @signed_in
        async def post(self, request: Any, officer: Officer, dossier_id: str) -> Any:
            task = await task_of(officer, dossier_id)
            if task is None:
                return not_found(officer)
            form = await request.post()
            raw_reason = str(form.get("reason", ""))

            def form_error(message: str, status: int = 422) -> web.Response:
                page = pages.letter_page(
                    officer,
                    task,
                    suggested_days=config.suggested_extension_days,
                    error=message,
                    reason=raw_reason,
                )
                return _html(page, status)

            now = datetime.now(UTC)
            try:
                reason = clean_reason(raw_reason)
                if task.status == "draft":
                    try:
                        days = int(str(form.get("extension_working_days", "")))
                    except ValueError:
                        raise LetterRuleError(
                            "extension_working_days", "enter a whole number of working days"
                        ) from None
                    new_due_at = new_appointment(task.original_due_at, days, now, config.calendar)
                else:
                    assert task.new_due_at is not None
                    new_due_at = task.new_due_at
            except LetterRuleError as exc:
                return form_error(f"{exc.field}: {exc.message}")
            try:
                particulars = await directory.particulars(task.dossier_code)
            except IntakeUnavailable as exc:
                return form_error(
                    f"Chưa lấy được thông tin công dân từ hệ thống tiếp nhận ({exc}); "
                    "phiếu vẫn là bản nháp, hãy thử lại.",
                    503,
                )

            def letter_for(number: str, version: int, due: datetime) -> ApologyLetter:
                return ApologyLetter(
                    agency=particulars.agency,
                    parent_agency=particulars.parent_agency,
                    place=particulars.place,
                    letter_number=number,
                    version=version,
                    citizen_name=particulars.citizen_name,
                    citizen_address=particulars.citizen_address,
                    dossier_code=task.dossier_code,
                    procedure_name=particulars.procedure_name,
                    received_at=particulars.received_at,
                    original_due_at=task.original_due_at,
                    reason=reason,
                    new_due_at=due,
                    issued_at=now,
                )

            try:
                issued = await db.run(
                    issue_letter,
                    officer,
                    task,
                    reason=reason,
                    new_due_at=new_due_at,
                    issued_at=now,
                    render=lambda letter: render_pdf(letter.document()),
                    letter_for=letter_for,
                )
            except LetterRuleError as exc:
                return form_error(f"{exc.field}: {exc.message}", 409)
            await config.publish(issued)
            return _redirect(f"/board/dossiers/{task.dossier_id}/letter")

    @app.page("/board/dossiers/{dossier_id}/letter.pdf")
    class LetterPdf(faust.web.View):
        @signed_in
        async def get(self, request: Any, officer: Officer, dossier_id: str) -> Any:
            found = _dossier_id(dossier_id)
            version_text = request.query.get("version")
            version = int(version_text) if version_text and version_text.isdigit() else None
            if found is None or (version_text is not None and version is None):
                return not_found(officer)
            try:
                number, version, pdf = await db.run(letter_pdf, officer, found, version)
            except LetterNotFound:
                return not_found(officer)
            filename = f"phieu-xin-loi-{number.replace('/', '-')}-v{version}.pdf"
            return web.Response(
                body=pdf,
                content_type="application/pdf",
                headers={"Content-Disposition": f'inline; filename="{filename}"'},
            )

    @app.page("/v1/board")
    class BoardJson(faust.web.View):
        async def get(self, request: Any) -> Any:
            officer = await current_officer(request, db)
            if officer is None:
                return problem(self, 401, "Unauthenticated", "log in at POST /v1/session")
            code = request.query.get("dossier_code") or None
            asked = BoardRequest(BoardFilter(dossier_code=code))
            items = (await db.run(board_page, officer, asked)).items
            return self.json(
                {
                    "unit_code": officer.unit_code,
                    "items": [
                        {
                            **asdict(item),
                            "due_at": item.due_at.isoformat(),
                            "apology_deadline": item.apology_deadline.isoformat()
                            if item.apology_deadline
                            else None,
                        }
                        for item in items
                    ],
                }
            )
