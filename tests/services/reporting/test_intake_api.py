"""Reporting's intake client reads every page of the unit tree, retired units included
(their figures roll up to their successors). A stdlib HTTP server on the loopback interface
plays intake."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.reporting.intake import IntakeApi, IntakeUnavailable

UNITS: list[dict[str, Any]] = [
    {
        "code": f"{n:03d}.00.00.H01",
        "name": f"Unit {n}",
        "path": [f"{n:03d}.00.00.H01"],
        "successor": "000.00.00.H01" if n % 2 else None,
        "retired_on": "2025-07-01" if n % 2 else None,
    }
    for n in range(7)
]
queries: list[dict[str, str]] = []


class _Intake(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        """``/v1/units`` paged by code like intake, with an absolute next link."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        queries.append(query)
        limit = 3
        page = [u for u in UNITS if u["code"] > query.get("after", "")][:limit]
        self.send_response(200)
        if page and page[-1] is not UNITS[-1]:
            after = urllib.parse.quote(page[-1]["code"])
            target = f"http://{self.headers['Host']}/v1/units?after={after}&include_retired=true"
            self.send_header("Link", f'<{target}>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(page).encode())

    def log_message(self, *_: Any) -> None:
        """Quiet."""


@pytest.fixture
def intake() -> Iterator[str]:
    queries.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Intake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_units_follows_every_next_link_and_asks_for_retired_units(intake: str) -> None:
    units = IntakeApi(intake, "key").units()
    assert [u["code"] for u in units] == [u["code"] for u in UNITS]
    assert [q.get("after") for q in queries] == [None, "002.00.00.H01", "005.00.00.H01"]
    assert all(q["include_retired"] == "true" for q in queries)
    assert units[1]["successor"] == "000.00.00.H01"
    assert units[1]["retired_on"] == "2025-07-01"


def test_an_intake_that_does_not_answer_is_unavailable() -> None:
    with pytest.raises(IntakeUnavailable):
        IntakeApi("http://127.0.0.1:9", "key", timeout_s=1).units()


class _Circular(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        """Every page says the next one is the first again."""
        self.send_response(200)
        self.send_header("Link", '</v1/units?include_retired=true&limit=5000>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(UNITS[:1]).encode())

    def log_message(self, *_: Any) -> None:
        """Quiet."""


def test_a_next_link_that_goes_round_in_a_circle_is_an_outage() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Circular)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(IntakeUnavailable, match="read already"):
            IntakeApi(f"http://127.0.0.1:{server.server_address[1]}", "key", timeout_s=5).units()
    finally:
        server.shutdown()
        server.server_close()
