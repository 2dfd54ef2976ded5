"""Every page of every service sends the same security headers, set in one place
(``motcua.http``): the walk enumerates each service's app's routes — nothing here lists
pages by hand — and asks each GET route, with any path parameter filled in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from starlette.routing import BaseRoute, Mount

from motcua.http import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, create_service_app
from services.deadlines.officers_web import create_app as deadlines_app
from services.deadlines.settings import DeadlinesSettings
from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.ratings.app import create_app as ratings_app
from services.ratings.settings import RatingsSettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings

NOWHERE = {
    # Nothing answers here: a check that still connects (readiness) fails fast.
    "kafka_bootstrap_servers": "127.0.0.1:9",
    "database_url": "postgresql://nobody@127.0.0.1:9/nothing",
    "readiness_timeout_s": 0.2,
}
PARAMETER = re.compile(r"\{[^}]+\}")
SOME_ID = "00000000-0000-4000-8000-000000000000"


def unopened_pool(url: str, **_: object) -> ConnectionPool:
    """A pool that never connects: no thread keeps knocking on a closed port after the
    test (other tests read the log)."""
    return ConnectionPool(url, open=False)


@pytest.fixture
def service_apps(monkeypatch: pytest.MonkeyPatch) -> dict[str, FastAPI]:
    """Each service's app as it is built, its lifespan not run: nothing connects, and a
    page that needs a dependency fails fast, headers and all."""
    for service in ("ratings", "reporting"):
        monkeypatch.setattr(f"services.{service}.app.open_pool", unopened_pool)
    return {
        "intake": intake_app(IntakeSettings(**NOWHERE)),  # type: ignore[arg-type]
        "deadlines.officers_web": deadlines_app(DeadlinesSettings(**NOWHERE)),  # type: ignore[arg-type]
        "ratings": ratings_app(RatingsSettings(**NOWHERE)),  # type: ignore[arg-type]
        "reporting": reporting_app(ReportingSettings(**NOWHERE)),  # type: ignore[arg-type]
    }


def get_paths(routes: list[BaseRoute], prefix: str = "") -> Iterator[str]:
    """Every GET route's path, its parameters filled in (FastAPI keeps an included router
    whole: its routes are its original router's, under its prefix)."""
    for route in routes:
        if isinstance(route, Mount):
            yield from get_paths(route.routes, prefix + route.path)
        elif hasattr(route, "original_router"):
            inner = prefix + str(vars(route)["include_context"].prefix)
            yield from get_paths(route.original_router.routes, inner)
        elif "GET" in (getattr(route, "methods", None) or ()):
            yield PARAMETER.sub(SOME_ID, prefix + str(getattr(route, "path", "")))


def missing_headers(app: FastAPI) -> dict[str, list[str]]:
    """Each GET route's response, by path, with the security headers it lacks."""
    missing: dict[str, list[str]] = {}
    expected = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, **SECURITY_HEADERS}
    client = TestClient(app, raise_server_exceptions=False)  # no lifespan: nothing runs
    for path in get_paths(app.routes):
        headers = client.get(path, follow_redirects=False).headers
        lacking = [
            name
            for name, value in expected.items()
            if headers.get(name) != value
            and not (name == "Content-Security-Policy" and path in API_DOCS)
        ]
        if "frame-ancestors 'none'" not in headers.get("Content-Security-Policy", ""):
            lacking.append("frame-ancestors")
        if lacking:
            missing[path] = lacking
    return missing


API_DOCS = {"/docs", "/redoc", "/docs/oauth2-redirect"}
"""FastAPI's own API documentation: the policy widened for its CDN, still unframeable."""


@pytest.mark.parametrize("service", ["intake", "deadlines.officers_web", "ratings", "reporting"])
def test_every_page_of_every_service_sends_the_security_headers(
    service: str, service_apps: dict[str, FastAPI]
) -> None:
    app = service_apps[service]
    paths = list(get_paths(app.routes))
    assert len(paths) > 5, paths  # the routes were found: the walk is not vacuous
    assert missing_headers(app) == {}


def test_the_walk_finds_every_service_s_pages(service_apps: dict[str, FastAPI]) -> None:
    """The board, sign-in, the letter, the staff pages, the leaders' report are walked."""
    walked = {path for app in service_apps.values() for path in get_paths(app.routes)}
    for page in ("/board", "/board/login", f"/board/dossiers/{SOME_ID}/letter", "/reports"):
        assert page in walked
    assert any(path.startswith("/staff") for path in walked)


def test_an_app_that_skips_the_middleware_is_caught() -> None:
    """What the walk reports for a service built without ``create_service_app``."""
    bare = FastAPI()

    @bare.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<p>hi</p>"

    assert set(missing_headers(bare)["/page"]) >= {"Content-Security-Policy", "frame-ancestors"}
    shared = create_service_app(service="test", version="0", checks=[])
    shared.get("/page", response_class=HTMLResponse)(page)
    assert "/page" not in missing_headers(shared)
