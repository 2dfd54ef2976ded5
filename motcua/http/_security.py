"""The security headers every response of every service carries, set here once.

A page may not be framed by any site (``frame-ancestors 'none'``: no clickjacking), loads
scripts, styles, images and connections from its own origin only, is never sniffed into
another type, and sends its address to its own origin only (``same-origin``: a rating
link's token never leaks to another site, while a form still posts with its true
``Origin``, which reporting checks — ``no-referrer`` would make it ``null``).
The interactive API documentation (``/docs``, ``/redoc``) is FastAPI's page: it loads its
scripts from a CDN and starts them inline, so it gets the same policy widened for those,
still unframeable.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)
API_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
"""Besides the content security policy; ``X-Frame-Options`` for browsers without CSP."""


class SecurityHeaders:
    """Plain ASGI (like the timing middleware): sets the headers on every response start,
    whatever answered — a page, a redirect, a stream, an error."""

    def __init__(self, app: ASGIApp, *, api_docs: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.api_docs = api_docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = API_DOCS_POLICY if scope["path"] in self.api_docs else CONTENT_SECURITY_POLICY

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, sending)
