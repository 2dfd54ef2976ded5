"""What every ratings request handler needs: the pool, the calendar, the guards, the pages.

Built once per process in the app's lifespan (``app.state.ratings``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from psycopg_pool import ConnectionPool

from motcua.calendar import WorkingCalendar
from motcua.reference import Names, NoReference, ReferenceData
from motcua.web import Layout, StaticAssets, create_environment, strings
from motcua.web.forms import read_form
from services.ratings.counter.intake import CounterIntake, NoIntake
from services.ratings.criteria import LEVELS, OPTIONAL
from services.ratings.grants import EntryGrants
from services.ratings.protection import CSRF_COOKIE, CSRF_FIELD, Csrf, RateLimits
from services.ratings.settings import RatingsSettings
from services.ratings.systems import PortalKeys

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}
"""Headers of every page that carries a token or a form: never cached (never leaked nor
framed: the security headers every service sends, ``motcua.http``)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def templates_environment(assets: StaticAssets) -> Environment:
    """The shared layout with ratings' own templates and the form's texts."""
    env = create_environment(TEMPLATES, assets=assets)
    env.globals.update(
        criteria_texts=strings.RATING_CRITERIA,
        level_texts=strings.RATING_LEVELS,
        levels=[int(level) for level in LEVELS],
        optional_criteria=OPTIONAL,
        rating_errors=strings.RATING_ERRORS,
        invalid_reasons=strings.INVALID_FORM_REASONS,
        channel_labels=strings.RATING_CHANNELS,
        standing_labels=strings.FOLLOWUP_STANDINGS,
        reason_labels=strings.FOLLOWUP_REASONS,
        call_outcomes=strings.CALL_OUTCOMES,
    )
    return env


def form_secret(settings: RatingsSettings) -> bytes:
    secret = settings.form_secret
    return secret.get_secret_value().encode() if secret else secrets.token_bytes(32)


@dataclass(frozen=True)
class RatingsContext:
    settings: RatingsSettings
    pool: ConnectionPool
    calendar: WorkingCalendar
    csrf: Csrf
    limits: RateLimits
    templates: Environment
    entry_grants: EntryGrants
    reference: ReferenceData = field(default_factory=NoReference)
    """Intake's unit tree and procedure catalogue, cached: names instead of codes."""
    intake: CounterIntake = field(default_factory=NoIntake)
    """Intake's dossiers, asked at render: not yet returned, the citizen's phone."""
    portal_keys: PortalKeys = field(default_factory=PortalKeys)
    """The portal systems' keys looked up lately (``systems.py``)."""
    now: Callable[[], datetime] = field(default=_utcnow)

    @property
    def names(self) -> Names:
        return Names(self.reference)

    def public_page(
        self, name: str, *, status: int = 200, title: str, **context: object
    ) -> HTMLResponse:
        """A citizen's page (the kiosk's too): the shared layout without the officers'
        header links."""
        context.setdefault("kiosk", False)
        html = self.templates.get_template(name).render(layout=Layout(), title=title, **context)
        return HTMLResponse(html, status_code=status, headers=NO_STORE)

    def set_csrf_cookie(self, response: Response, nonce: str) -> None:
        """The double-submit nonce every form's token is bound to (HttpOnly, Strict)."""
        response.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
            path="/",
        )

    async def posted_form(self, request: Request, scope: str) -> dict[str, str] | None:
        """The posted fields, or None when the body is unreadable or its CSRF token is not
        one this form (``scope``) gave out: every form refuses both alike."""
        fields = await read_form(request)
        if fields is None or not self.csrf.valid(request.cookies, fields.get(CSRF_FIELD), scope):
            return None
        return fields


def context(request: Request) -> RatingsContext:
    ctx: RatingsContext = request.app.state.ratings
    return ctx
