"""Ratings' staff pages behind the one sign-in: the token deadlines signed opens them, for
the roles they are for; anything else is sent to sign in, refused, or told why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer, generate_keypair
from motcua.reference import StaticReference, UnitRef
from services.ratings.app import create_app
from services.ratings.settings import RatingsSettings

SIGNIN = "http://deadlines.test:8002"


@pytest.fixture
def keys(tmp_path: Path) -> tuple[TokenIssuer, Path]:
    private_pem, public_pem = generate_keypair()
    public = tmp_path / "officer-token.pub.pem"
    public.write_bytes(public_pem)
    return TokenIssuer.from_pem(private_pem), public


@pytest.fixture
def client(keys: tuple[TokenIssuer, Path]) -> Iterator[TestClient]:
    settings = RatingsSettings(
        officer_token_public_key_file=str(keys[1]),
        signin_url=SIGNIN,
        outbox_relay_enabled=False,
        invitations_enabled=False,
        delivery_enabled=False,
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def officer(unit: str, *roles: Role) -> Officer:
    return Officer("nhap.phieu", "Cán bộ <nhập> phiếu", unit, frozenset(roles))


def test_without_a_token_the_page_sends_the_browser_to_sign_in_and_back(
    client: TestClient,
) -> None:
    response = client.get("/staff?tab=paper")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{SIGNIN}/auth/continue"
    assert parse_qs(location.query)["next"] == ["http://testserver/staff?tab=paper"]


def test_the_signed_in_officer_sees_their_own_unit_by_name_and_their_name_escaped(
    client: TestClient, keys: tuple[TokenIssuer, Path]
) -> None:
    unit = UnitRef("000.00.04.H01", "Công an quận Hoàn Kiếm", ("000.00.04.H01",))
    state = client.app.state  # type: ignore[attr-defined]
    state.staff_pages = replace(state.staff_pages, reference=StaticReference(units=[unit]))
    token = keys[0].issue(officer("000.00.04.H01", Role.STAFF_ENTRY))
    response = client.get("/staff", cookies={TOKEN_COOKIE: token})
    assert response.status_code == 200, response.text
    assert "Công an quận Hoàn Kiếm và các đơn vị trực thuộc" in response.text
    assert "000.00.04.H01" not in response.text
    assert "Cán bộ &lt;nhập&gt; phiếu" in response.text
    assert "<nhập>" not in response.text
    assert f'action="{SIGNIN}/board/logout"' in response.text
    assert client.get("/static/motcua.css").status_code == 200


def test_a_bearer_token_opens_the_page_for_an_api_client(
    client: TestClient, keys: tuple[TokenIssuer, Path]
) -> None:
    token = keys[0].issue(officer("000.00.04.H01", Role.LEADER))
    response = client.get("/staff", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_duty_officer_alone_is_not_for_this_page(
    client: TestClient, keys: tuple[TokenIssuer, Path]
) -> None:
    token = keys[0].issue(officer("000.00.04.H01", Role.DUTY_OFFICER))
    response = client.get("/staff", cookies={TOKEN_COOKIE: token})
    assert response.status_code == 403
    assert "Không có quyền" in response.text


def test_a_token_from_another_key_is_sent_to_sign_in(client: TestClient) -> None:
    other = TokenIssuer.from_pem(generate_keypair()[0])
    token = other.issue(officer("000.00.00.H01", Role.STAFF_ENTRY))
    assert client.get("/staff", cookies={TOKEN_COOKIE: token}).status_code == 303


def test_without_a_public_key_the_page_says_sign_in_is_not_configured() -> None:
    settings = RatingsSettings(
        outbox_relay_enabled=False, invitations_enabled=False, delivery_enabled=False
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get("/staff")
    assert response.status_code == 503
    assert "OFFICER_TOKEN_PUBLIC_KEY_FILE" in response.text
