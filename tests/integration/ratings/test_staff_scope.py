"""Every staff route of ratings that takes or shows a dossier, tried by an officer of a
district on the dossiers of a sibling district and of its own province (a unit above it):
the documented refusal (404: a dossier outside the subtree is not the officer's business,
its existence included) or, for a list, none of them, and in no case a foreign dossier code
in the body, nor anything changed. The same request on the reader's own dossiers, and by
the province's officer on the foreign ones, is answered: the refusal is the scope's.

A route is one ``Route`` in ``ROUTES``: a new staff page is one line more."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.identity import Role, TokenIssuer
from services.ratings.answers.rules import parse_answer
from services.ratings.answers.service import submit_with_token
from services.ratings.app import create_app
from services.ratings.followups.service import close_followup
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.models import Channel, Entry
from services.ratings.protection import CSRF_COOKIE, CSRF_FIELD
from services.ratings.staff.followups import COMPLAINT_SCOPE
from tests.conftest import Infra
from tests.integration.ratings.conftest import (
    TOKEN_KEY,
    Invited,
    happy_form,
    invite,
    settings_for,
    sign_in,
)

Signer = tuple[TokenIssuer, Path]
READER_ROLES = (Role.STAFF_ENTRY, Role.UNIT_HEAD)
"""Every staff route is open to one of these: a refusal is never the role's."""


@dataclass(frozen=True)
class World:
    """One unit's dossiers, one in each state a staff route shows."""

    unit: str
    open: Invited
    """Not answered: its message recorded, its delivery given up, its QR code showable."""
    unhappy: Invited
    unhappy_rating: UUID
    followup: UUID
    """The open follow-up of ``unhappy``."""
    commented: Invited
    commented_rating: UUID
    """A happy answer with a comment: not yet read as a complaint."""
    closed: Invited
    closed_followup: UUID

    @property
    def codes(self) -> list[str]:
        return [i.dossier_code for i in (self.open, self.unhappy, self.commented, self.closed)]


def _answer(
    url: str, invited: Invited, *, unhappy: bool, comment: str | None
) -> tuple[UUID, UUID | None]:
    levels = happy_form(staff_conduct="0" if unhappy else "2")
    overall = levels.pop("overall")
    with psycopg.connect(url) as conn:
        recorded = submit_with_token(
            invited.token,
            lambda _: parse_answer(levels, overall, comment, online=False),
            Entry(Channel.WEB),
            now=datetime.now(UTC),
            calendar=default_calendar(),
            db_session=conn,
        )
    return recorded.rating_id, recorded.followup_id


def _world(url: str, unit_path: tuple[str, ...]) -> World:
    unit = unit_path[-1]
    opened = invite(url, unit_path=unit_path)
    link = f"http://ratings.test/r/{opened.token}"
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO invitation_deliveries (invitation_id, status, attempts, last_error, "
            "token_sealed) VALUES (%s, 'given_up', 5, 'the gateway answered 503', %s)",
            (
                opened.invitation_id,
                TokenSeal(TOKEN_KEY).seal(opened.token, str(opened.invitation_id)),
            ),
        )
        conn.execute(
            "INSERT INTO recorded_messages (invitation_id, channel, kind, destination_masked, "
            "link, body) VALUES (%s, 'sms', 'invite', '09******78', %s, %s)",
            (opened.invitation_id, link, f"Mời đánh giá {link}"),
        )
    unhappy = invite(url, unit_path=unit_path)
    unhappy_rating, followup = _answer(url, unhappy, unhappy=True, comment="Phải đi lại ba lần")
    commented = invite(url, unit_path=unit_path)
    commented_rating, _ = _answer(url, commented, unhappy=False, comment="Nên niêm yết phí")
    closed = invite(url, unit_path=unit_path)
    _, closed_followup = _answer(url, closed, unhappy=True, comment=None)
    assert followup is not None
    assert closed_followup is not None
    with psycopg.connect(url) as conn:
        close_followup(
            closed_followup,
            unit,
            "truong.don.vi",
            "Đã gọi điện xin lỗi",
            now=datetime.now(UTC),
            calendar=default_calendar(),
            db_session=conn,
        )
    return World(
        unit,
        opened,
        unhappy,
        unhappy_rating,
        followup,
        commented,
        commented_rating,
        closed,
        closed_followup,
    )


def _csrf(client: TestClient, scope: str) -> str:
    """A valid token of ``scope`` made with the app's own key: the server gives none for a
    foreign dossier's form, and the scope must hold even for a request that has one."""
    nonce = client.cookies.get(CSRF_COOKIE)
    if nonce is None:
        nonce = secrets.token_urlsafe(16)[:22]
        client.cookies.set(CSRF_COOKIE, nonce)
    token: str = client.app.state.ratings.csrf.token(nonce, scope)  # type: ignore[attr-defined]
    return token


Call = Callable[[TestClient, World], httpx.Response]


def _get(path: Callable[[World], str], **params: str) -> Call:
    return lambda client, world: client.get(path(world), params=params)


def _post(
    path: Callable[[World], str], form: dict[str, str], scope: Callable[[World], str] | None = None
) -> Call:
    """A form posted with a CSRF token valid for its scope (its path unless ``scope``)."""

    def call(client: TestClient, world: World) -> httpx.Response:
        target = path(world)
        fields = {**form, CSRF_FIELD: _csrf(client, scope(world) if scope else target)}
        return client.post(target, data=fields)

    return call


def _find(mode: str) -> Call:
    """The entry page of a dossier, as the officer's search for its code opens it."""
    return lambda client, world: client.get(
        f"/staff/{mode}", params={"dossier": world.open.dossier_code}
    )


def _submit(mode: str) -> Call:
    """An answer entered for the dossier (a valid paper form, with a serial of its own)."""

    def call(client: TestClient, world: World) -> httpx.Response:
        paper = {"paper_serial": f"PX-{uuid.uuid4().hex[:8]}", "validity": "valid"}
        path = f"/staff/{mode}/{world.open.dossier_code}"
        return _post(lambda _: path, {**happy_form(), **paper})(client, world)

    return call


def _rating_of(url: str, world: World) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT channel FROM ratings WHERE dossier_id = %s", (world.open.dossier_id,)
        ).fetchall()


def _followup_of(url: str, world: World) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT closed_at, closed_by, action_taken FROM rating_followups WHERE id = %s",
            (world.followup,),
        ).fetchall()


def _complaint_of(url: str, world: World) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT r.comment_is_complaint, f.id FROM ratings r "
            "LEFT JOIN rating_followups f ON f.rating_id = r.id WHERE r.id = %s",
            (world.commented_rating,),
        ).fetchall()


@dataclass(frozen=True)
class Route:
    name: str
    call: Callable[[TestClient, World], httpx.Response]
    allowed: int
    """The answer to an officer whose subtree holds the dossier."""
    refused: int | None
    """The answer outside it; None for a list (answered 200, without the dossier)."""
    shows: Callable[[World], str] | None = None
    """The code the allowed answer names (not for an image)."""
    echoes: Callable[[World], str] | None = None
    """The code the officer typed, which the refusal may give back in its search field."""
    state: Callable[[str, World], object] | None = None
    """What a refused request must leave as it was."""


ROUTES = [
    Route("messages", _get(lambda w: "/staff/messages"), 200, None, lambda w: w.open.dossier_code),
    Route("ratings", _get(lambda w: "/staff/ratings"), 200, None, lambda w: w.unhappy.dossier_code),
    Route(
        "followups", _get(lambda w: "/staff/followups"), 200, None, lambda w: w.unhappy.dossier_code
    ),
    Route(
        "followups-comments",
        _get(lambda w: "/staff/followups"),
        200,
        None,
        lambda w: w.commented.dossier_code,
    ),
    Route(
        "followups-closed",
        _get(lambda w: "/staff/followups", state="closed"),
        200,
        None,
        lambda w: w.closed.dossier_code,
    ),
    Route("qr.svg", _get(lambda w: f"/staff/invitations/{w.open.dossier_code}/qr.svg"), 200, 404),
    Route("qr.png", _get(lambda w: f"/staff/invitations/{w.open.dossier_code}/qr.png"), 200, 404),
    *(
        Route(
            f"{mode}-find",
            _find(mode),
            200,
            404,
            lambda w: w.open.dossier_code,
            echoes=lambda w: w.open.dossier_code,
        )
        for mode in ("kiosk", "paper", "phone")
    ),
    *(
        Route(
            f"{mode}-submit",
            _submit(mode),
            303,
            404,
            echoes=lambda w: w.open.dossier_code,
            state=_rating_of,
        )
        for mode in ("kiosk", "paper", "phone")
    ),
    Route(
        "followup",
        _get(lambda w: f"/staff/followups/{w.followup}"),
        200,
        404,
        lambda w: w.unhappy.dossier_code,
    ),
    Route(
        "followup-close",
        _post(
            lambda w: f"/staff/followups/{w.followup}/close",
            {"action_taken": "Đã xử lý"},
            lambda w: f"/staff/followups/{w.followup}",  # the form's scope: its page
        ),
        303,
        404,
        state=_followup_of,
    ),
    Route(
        "complaint",
        _post(
            lambda w: f"/staff/ratings/{w.commented_rating}/complaint",
            {},
            lambda w: COMPLAINT_SCOPE,
        ),
        303,
        404,
        state=_complaint_of,
    ),
]


@pytest.fixture(scope="module")
def staff(infra: Infra, ratings_db: str, signer: Signer) -> Iterator[TestClient]:
    settings = settings_for(infra, ratings_db, signer[1], ratings_token_key=TOKEN_KEY)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _without_echo(body: str, typed: str | None) -> str:
    return body.replace(f'value="{typed}"', "") if typed else body


@pytest.mark.parametrize("foreign", ["sibling", "ancestor"])
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_a_staff_route_refuses_a_dossier_outside_the_officers_subtree(
    staff: TestClient, ratings_db: str, signer: Signer, route: Route, foreign: str
) -> None:
    tag = uuid.uuid4().hex[:5].upper()  # units of this test only: its lists hold its dossiers
    province, district, sibling = (f"{tag[:3]}.{tag[3:]}.{n}.H26" for n in ("00", "21", "22"))
    own = _world(ratings_db, (province, district))
    other = _world(ratings_db, (province, sibling) if foreign == "sibling" else (province,))
    staff.cookies.clear()
    sign_in(staff, signer, district, *READER_ROLES)

    before = route.state(ratings_db, other) if route.state else None
    refused = route.call(staff, other)
    expected = 200 if route.refused is None else route.refused
    assert refused.status_code == expected, refused.text[:2000]
    body = _without_echo(refused.text, route.echoes(other) if route.echoes else None)
    leaked = [code for code in other.codes if code in body]
    assert leaked == [], f"{district} was shown {foreign} dossiers of {other.unit}"
    if route.state:
        assert route.state(ratings_db, other) == before, "a refused request changed it"

    answered = route.call(staff, own)
    assert answered.status_code == route.allowed, answered.text[:2000]
    if route.shows:
        assert route.shows(own) in answered.text, "the reader's own dossier is not shown"

    sign_in(staff, signer, province, *READER_ROLES)
    above = route.call(staff, other)
    assert above.status_code == route.allowed, above.text[:2000]
    if route.shows:
        assert route.shows(other) in above.text, f"{province} does not see {other.unit}'s dossier"
