"""The FastAPI application every HTTP service starts from."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.routing import Match

from motcua.health import Check, run_checks
from motcua.http._problems import document_problems, install_problem_handlers
from motcua.metrics import HTTP_REQUEST_SECONDS, render_metrics

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _route_of(request: Request) -> str:
    """The route template, not the raw path, so metric labels stay few and never carry what
    a path holds (a rating token, a dossier code). The router records the route it chose in
    the scope; FastAPI keeps included routers unflattened, so their routes are found there
    and not in ``app.router.routes``."""
    chosen = request.scope.get("route")
    if chosen is not None and getattr(chosen, "path", None):
        return str(chosen.path)
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is Match.FULL and getattr(route, "path", None):
            return str(route.path)
    return "unmatched"


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
    app = FastAPI(
        title=f"Motcua {service}", version=version, description=description, lifespan=lifespan
    )
    install_problem_handlers(app)
    _document_problems_in_openapi(app)

    @app.middleware("http")
    async def _timing(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        HTTP_REQUEST_SECONDS.labels(
            request.method, _route_of(request), response.status_code
        ).observe(time.perf_counter() - started)
        return response

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
