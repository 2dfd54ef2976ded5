"""Reading an HTML form's body: ``application/x-www-form-urlencoded`` only (the pages have
no uploads), parsed with the standard library rather than a multipart parser."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_FORM_BYTES = 32_768
"""Ten times what the largest form (a rating with a 2,000-character comment) takes."""
REPEATED = "\x00repeated"
"""The value of a field sent more than once (a tampered form): every rule refuses it."""


async def read_form(request: Request) -> dict[str, str] | None:
    """The fields, one value each; None when the body is too big, not UTF-8 or too many
    fields."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields[key] = REPEATED if key in fields else value
    return fields
