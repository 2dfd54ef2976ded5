"""The browser the board's tests use works: Chromium loads a page, EventSource delivers, PNGs.

No Kafka here: a small page with a server-sent-events endpoint is served from a thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytest_plugins = ["tests.browser"]

PUSHED = "Hồ sơ quá hạn: 3"
PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Bảng trực</title></head>
<body>
<h1>Bảng trực ban</h1>
<p>Trạng thái: <output id="value">đang chờ</output></p>
<script>
  const source = new EventSource("/events");
  source.addEventListener("tick", (event) => {
    document.getElementById("value").textContent = JSON.parse(event.data).text;
  });
</script>
</body></html>
"""


class Handler(BaseHTTPRequestHandler):
    stop: threading.Event

    def do_GET(self) -> None:
        if self.path == "/":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/events":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            # A comment first, then the value only after a while: the page must be listening.
            self.wfile.write(b": hello\n\n")
            self.wfile.flush()
            time.sleep(0.3)
            data = json.dumps({"text": PUSHED}, ensure_ascii=False)
            self.wfile.write(f"event: tick\ndata: {data}\n\n".encode())
            self.wfile.flush()
            self.stop.wait(10)  # keep the stream open, as the board's would be
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def sse_site() -> Iterator[str]:
    stop = threading.Event()
    handler = type("SiteHandler", (Handler,), {"stop": stop})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_page_shows_a_value_pushed_over_sse(page: Page, sse_site: str, tmp_path: Path) -> None:
    page.goto(f"{sse_site}/")
    expect(page).to_have_title("Bảng trực")
    expect(page.locator("#value")).to_have_text(PUSHED, timeout=10_000)

    shot = tmp_path / "board.png"
    page.screenshot(path=shot, full_page=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 1000
