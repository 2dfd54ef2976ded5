"""Server-sent events: ``changed`` whenever the officer's subtree changes, so the page's
script reloads its rows."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from aiohttp import web

from services.deadlines.board.views.context import BoardContext
from services.deadlines.board.views.session import signed_in, unauthorized
from services.deadlines.officers import Officer

KEEPALIVE_S = 15.0


def install(app: faust.App, ctx: BoardContext) -> None:
    @app.page("/board/events")
    class Events(faust.web.View):
        @signed_in(ctx, unauthorized)
        async def get(self, request: Any, officer: Officer) -> Any:
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-store",
                    "X-Accel-Buffering": "no",
                }
            )
            await response.prepare(request)
            with ctx.feed.subscribe(officer.unit_code) as subscriber:
                try:
                    await response.write(b"retry: 1000\n\n")
                    while True:
                        try:
                            await asyncio.wait_for(subscriber.changed.wait(), KEEPALIVE_S)
                        except TimeoutError:
                            await response.write(b": keepalive\n\n")
                            continue
                        subscriber.changed.clear()
                        await response.write(b"event: changed\ndata: {}\n\n")
                except (ConnectionResetError, asyncio.CancelledError):
                    pass
            return response
