"""Who is on the other end of a request, for rate limits, sign-in throttles and the audit
trail alike."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    """The client's address: the peer, or the first hop a trusted proxy names in
    X-Forwarded-For (uvicorn's ``FORWARDED_ALLOW_IPS``, loopback by default);
    ``unknown`` when the server was given none."""
    return request.client.host if request.client else "unknown"
