"""Every request is timed under its route's template and its status, never its raw path."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from motcua.http import create_service_app


def _count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    found = REGISTRY.get_sample_value("motcua_http_request_duration_seconds_count", labels)
    return found or 0.0


def test_requests_are_counted_by_route_template_and_status() -> None:
    app = create_service_app(service="probe", version="0", checks=[])
    router = APIRouter()

    @router.get("/probe-r/{token}")
    def form(token: str) -> dict[str, int]:
        return {"length": len(token)}

    @app.get("/probe-boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    app.include_router(router)
    before = (
        _count("GET", "/probe-r/{token}", "200"),
        _count("GET", "/probe-boom", "500"),
        _count("GET", "unmatched", "404"),
    )
    token = secrets.token_urlsafe(16)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"/probe-r/{token}").status_code == 200
        assert client.get(f"/probe-r/{token}x").status_code == 200
        assert client.get("/probe-boom").status_code == 500
        assert client.get("/probe-nowhere").status_code == 404
        exposed = client.get("/metrics").text
    after = (
        _count("GET", "/probe-r/{token}", "200"),
        _count("GET", "/probe-boom", "500"),
        _count("GET", "unmatched", "404"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [2, 1, 1]
    assert token not in exposed
