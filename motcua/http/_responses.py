"""The error statuses most operations share, described once: a route lists the ones it
answers (``responses=problems(401, 403, 404, 422)``) instead of a copy of each, and
:func:`motcua.http._problems.document_problems` makes each a problem+json in the OpenAPI.
A route with a reason of its own for a status still says it in its own ``responses``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

SHARED_PROBLEMS: dict[int, str] = {
    401: "No credentials, or a key or token this service does not accept (unknown, revoked, "
    "expired).",
    403: "Credentials without the right: the operation's scope or role, or a unit outside "
    "the caller's subtree.",
    404: "No such record, or none the caller may see.",
    409: "The record's state does not allow it (already done, or done otherwise).",
    422: "Invalid input: `errors` names each field at fault.",
    429: "Too many requests: `Retry-After` says in how many seconds to try again.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for ``statuses``, each with its shared description (else the HTTP
    phrase); merge a route's own (``{**problems(401), 201: {...}}``)."""
    return {
        status: {"description": SHARED_PROBLEMS.get(status, HTTPStatus(status).phrase)}
        for status in statuses
    }
