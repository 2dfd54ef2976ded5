"""Server-sent events: ``changed`` whenever the officer's subtree changes, so the page's
script reloads its rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

from fastapi import APIRouter
from starlette.responses import StreamingResponse

from services.deadlines.board.live import BoardFeed
from services.deadlines.board.views.session import Ctx, FragmentViewer

KEEPALIVE_S = 15.0

router = APIRouter(include_in_schema=False)


async def changes(feed: BoardFeed, scope: Sequence[str]) -> AsyncGenerator[bytes, None]:
    """The stream's lines: a retry hint and a first ``changed``, then one per change in
    the subtree, a keep-alive comment when nothing happened for a while; until the browser
    goes away.

    The first ``changed`` is there because the page was rendered before this subscription
    began (and a reconnecting browser missed what happened while it was away): a change in
    that gap would otherwise leave the page stale until the next one."""
    with feed.subscribe(scope) as subscriber:
        subscriber.changed.set()
        yield b"retry: 1000\n\n"
        while True:
            try:
                await asyncio.wait_for(subscriber.changed.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            subscriber.changed.clear()
            yield b"event: changed\ndata: {}\n\n"


@router.get("/board/events")
async def events(ctx: Ctx, officer: FragmentViewer) -> StreamingResponse:
    return StreamingResponse(
        changes(ctx.feed, officer.scope),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
