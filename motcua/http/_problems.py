"""RFC 9457 problem details: every HTTP error a client sees has the same shape.

No handler ever sends a stack trace; an unexpected error is logged with its trace
server-side and answered with a bare 500 problem carrying a correlation id. That answer
comes from :class:`UnexpectedErrors`, a middleware inside Starlette's outermost one: an
exception reaching the server makes uvicorn close the connection after the response
without ``Connection: close``, so a keep-alive client's next request fails with
"connection reset"; caught here, the connection stays usable. PostgreSQL being away (a
restart, a failover) is no bug: it is a 503 with ``Retry-After``, logged in one line.
"""

from __future__ import annotations

import json
import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("motcua.http")


class Problem(Exception):
    """Raise to answer with a problem+json body; ``extra`` members are added as they are."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; a 422 lists each offending field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

# FastAPI answers 400 with this detail when a body cannot even be decoded (bytes that are
# not UTF-8, nesting too deep for the parser); as for any other unreadable body, intake
# and its peers answer 422 instead, so one status documents every malformed request.
_UNPARSABLE_BODY = "There was an error parsing the body"


DATABASE_RETRY_AFTER_S = 5
"""What a 503 for a database outage tells the client to wait: a PostgreSQL restart or a
failover takes seconds."""


def unexpected_response(request_path: str, exc: BaseException) -> JSONResponse:
    """The 500 for a bug: logged with its trace and an incident id the client also gets;
    the 503 for a database outage."""
    if isinstance(exc, OperationalError | PoolTimeout):
        _log.warning(
            "database unreachable: answered 503",
            extra={"path": request_path, "error": type(exc).__name__},
        )
        response = problem_response(
            503, "Service unavailable", "the database is unreachable; try again shortly"
        )
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
        return response
    incident = str(uuid.uuid4())
    _log.error(
        "unhandled error",
        exc_info=exc,
        extra={"incident": incident, "path": request_path},
    )
    return problem_response(500, "Internal error", "the error was logged", incident=incident)


class UnexpectedErrors:
    """Answer an unhandled exception with a 500 problem and keep the connection alive.

    Installed inside ServerErrorMiddleware (which would re-raise to the server, and
    uvicorn then drops the connection). An exception after the response started cannot
    be answered any more and still goes up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise
            response = unexpected_response(str(scope.get("path", "")), exc)
            await response(scope, receive, send)


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        response = problem_response(exc.status, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                # A JSON syntax error's location is a character offset, not a field.
                "field": "body"
                if error.get("type") == "json_invalid"
                else _field(error.get("loc", ())),
                "message": error.get("msg", "invalid"),
            }
            for error in exc.errors()
        ]
        fields = ", ".join(sorted({error["field"] for error in errors}))
        return problem_response(422, "Invalid request", f"invalid fields: {fields}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
            message = "the body is not valid JSON in UTF-8"
            return problem_response(
                422,
                "Invalid request",
                "invalid fields: body",
                errors=[{"field": "body", "message": message}],
            )
        title = str(exc.detail) if exc.detail else "HTTP error"
        response = problem_response(exc.status_code, title)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    # Innermost user middleware: the timing middleware around it still sees the 500.
    app.add_middleware(UnexpectedErrors)


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Every documented 4xx/5xx is problem+json (FastAPI would say JSON, or nothing),
    unless the route declared its own content (``/readyz``'s 503 is its JSON report)."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                declared = response.get("content", {})
                if not declared or "HTTPValidationError" in json.dumps(declared):
                    response["content"] = content
                    if response.get("description") in (None, "Additional Response"):
                        response["description"] = HTTPStatus(int(status)).phrase
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return openapi
