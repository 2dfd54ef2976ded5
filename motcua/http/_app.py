"""The FastAPI application every HTTP service starts from."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua.contracts import load_contracts
from motcua.health import Check, run_checks
from motcua.http._problems import document_problems, install_problem_handlers
from motcua.http._security import SecurityHeaders
from motcua.metrics import HTTP_REQUEST_SECONDS, render_metrics

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _route_of(scope: Scope) -> str:
    """The route template, not the raw path, so metric labels stay few and never carry what
    a path holds (a rating token, a dossier code). The router records the route it chose in
    the scope; FastAPI keeps included routers unflattened, so their routes are found there
    and not in ``app.router.routes``."""
    chosen = scope.get("route")
    if chosen is not None and getattr(chosen, "path", None):
        return str(chosen.path)
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL and getattr(route, "path", None):
            return str(route.path)
    return "unmatched"


class _RequestTiming:
    """Every HTTP request into ``HTTP_REQUEST_SECONDS``, as plain ASGI: starlette's
    ``BaseHTTPMiddleware`` (``@app.middleware("http")``) runs each request in a task of its
    own with memory streams between, a tenth of the ratings process's interpreter time at
    200 forms a second (py-spy, ``python -m bench ratings``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            HTTP_REQUEST_SECONDS.labels(scope["method"], _route_of(scope), status).observe(
                time.perf_counter() - started
            )


def _document_problems_in_openapi(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the served schema says problem+json for every error."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_service_app(
    *,
    service: str,
    version: str,
    checks: Sequence[Check],
    lifespan: Lifespan | None = None,
    description: str = "",
) -> FastAPI:
    load_contracts()  # every event the service makes or reads is checked against them
    app = FastAPI(
        title=f"Motcua {service}", version=version, description=description, lifespan=lifespan
    )
    install_problem_handlers(app)
    _document_problems_in_openapi(app)

    app.add_middleware(_RequestTiming)
    docs = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(SecurityHeaders, api_docs=frozenset(d for d in docs if d))

    @app.get("/healthz", tags=["ops"], summary="Liveness: the process serves requests.")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get(
        "/readyz",
        tags=["ops"],
        summary="Readiness: Kafka and PostgreSQL answer now.",
        responses={
            503: {
                "description": "A dependency does not answer: the same report, naming it.",
                "content": {"application/json": {}},
            }
        },
    )
    def readyz() -> JSONResponse:
        readiness = run_checks(checks)
        return JSONResponse(readiness.as_dict(), status_code=200 if readiness.ready else 503)

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics (text exposition format).",
        response_class=PlainTextResponse,
    )
    def metrics() -> Response:
        body, content_type = render_metrics()
        return Response(body, media_type=content_type)

    return app
