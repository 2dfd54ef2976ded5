"""Every HTTP error is a problem+json answer, a bug included, and the connection survives."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from psycopg import OperationalError
from pydantic import BaseModel

from motcua.http import PROBLEM_JSON, SHARED_PROBLEMS, create_service_app, problems
from tests.live_server import live_server


class Item(BaseModel):
    name: str


def _app() -> FastAPI:
    app = create_service_app(service="probe", version="0", checks=[])

    @app.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("a bug")

    @app.get("/database-away")
    def database_away() -> dict[str, str]:
        raise OperationalError("server closed the connection unexpectedly")

    @app.get("/peer")
    def peer(request: Request) -> dict[str, int]:
        """The client's port: the same port twice means the same TCP connection."""
        assert request.client is not None
        return {"port": request.client.port}

    @app.post("/items", responses={422: {}})
    def post_item(item: Item) -> dict[str, str]:
        return {"name": item.name}

    return app


def test_an_unexpected_error_is_a_500_problem_and_the_keep_alive_connection_survives() -> None:
    with live_server(_app()) as base, httpx.Client(base_url=base) as client:
        before = client.get("/peer")
        failed = client.get("/boom")
        after = client.get("/peer")
    assert failed.status_code == 500
    assert failed.headers["content-type"] == PROBLEM_JSON
    assert failed.headers.get("connection") != "close"
    problem = failed.json()
    assert problem["title"] == "Internal error"
    assert problem["incident"]
    assert "a bug" not in failed.text, "no internals reach the client"
    # uvicorn used to drop the connection after such a 500 without saying so: the next
    # request then failed with "connection reset", or (here) came on a new connection.
    assert after.status_code == 200
    assert after.json()["port"] == before.json()["port"], "the same connection served all three"


def test_a_database_outage_is_a_503_to_retry_not_a_500_incident(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A PostgreSQL restart once answered officers and citizens 500s with tracebacks in the
    log (chaos run 48)."""
    with caplog.at_level(logging.WARNING, logger="motcua.http"):
        response = TestClient(_app()).get("/database-away")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["retry-after"] == "5"
    assert response.json()["title"] == "Service unavailable"
    assert "incident" not in response.json()
    assert "server closed" not in response.text, "no internals reach the client"
    [record] = [r for r in caplog.records if r.name == "motcua.http"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None


def test_an_unreadable_body_is_a_422_naming_the_body_never_a_400() -> None:
    client = TestClient(_app())
    headers = {"content-type": "application/json"}
    for body in (b'{"name": ', b'{"name": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000):
        response = client.post("/items", content=body, headers=headers)
        assert response.status_code == 422, (body[:20], response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert [error["field"] for error in response.json()["errors"]] == ["body"]


def test_the_openapi_documents_problems_and_metrics_as_text() -> None:
    schema = TestClient(_app()).get("/openapi.json").json()
    metrics = schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    invalid = schema["paths"]["/items"]["post"]["responses"]["422"]["content"]
    assert list(invalid) == [PROBLEM_JSON]
    assert "400" not in schema["paths"]["/items"]["post"]["responses"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_shared_statuses_are_described_once_and_documented_as_problems() -> None:
    app = create_service_app(service="probe", version="0", checks=[])

    @app.get("/guarded", responses=problems(401, 403, 418))
    def guarded() -> dict[str, str]:
        return {}

    responses = TestClient(app).get("/openapi.json").json()["paths"]["/guarded"]["get"]
    documented = responses["responses"]
    assert documented["401"]["description"] == SHARED_PROBLEMS[401]
    assert documented["403"]["description"] == SHARED_PROBLEMS[403]
    assert documented["418"]["description"] == "I'm a Teapot", "none shared: the HTTP phrase"
    assert all(list(documented[s]["content"]) == [PROBLEM_JSON] for s in ("401", "403", "418"))
    assert {401, 403, 404, 422, 429} <= set(SHARED_PROBLEMS)
