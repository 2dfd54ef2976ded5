"""Guarded sign-in through the real officers' web (uvicorn, PostgreSQL): throttled per
account and per address (429 with Retry-After, the password unchecked), alike for unknown
usernames, lifted by ``manage unlock``; sessions ``manage revoke-sessions`` ends.

Each test signs in from addresses of its own, named in X-Forwarded-For (uvicorn trusts it
from loopback, as it would from the reverse proxy in ``FORWARDED_ALLOW_IPS``), and with
usernames of its own, so the failures other tests leave in the shared table count for
nothing here.
"""

from __future__ import annotations

import uuid

import httpx
import psycopg
import pytest

from motcua.identity import Role
from services.deadlines.manage import main as manage
from services.deadlines.officers import register_officer
from tests.conftest import Database

PASSWORD = "mat-khau-dung-2026"
WRONG = "mat-khau-sai-2026"


@pytest.fixture
def officer(database: Database) -> str:
    username = f"truc.{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(
            username,
            "Trực ban thử",
            "000.00.01.H26",
            PASSWORD,
            roles={Role.DUTY_OFFICER},
            db_session=conn,
        )
    return username


def address() -> str:
    tag = uuid.uuid4().bytes
    return f"10.{tag[0]}.{tag[1]}.{tag[2]}"


def sign_in(web: str, username: str, password: str, source: str) -> httpx.Response:
    return httpx.post(
        f"{web}/v1/session",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": source},
        timeout=20,
    )


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(response.headers["retry-after"]) <= 900
    assert "set-cookie" not in response.headers


def test_fifty_wrong_passwords_meet_429_and_the_lockout_holds_until_unlocked(
    web: str, officer: str, console: None
) -> None:
    source = address()
    statuses = [sign_in(web, officer, WRONG, source).status_code for _ in range(50)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}, "refused unchecked from the sixth on"
    assert_throttled(sign_in(web, officer, PASSWORD, source))
    assert manage(["unlock", officer]) == 0
    assert sign_in(web, officer, PASSWORD, source).status_code == 200


def test_an_address_is_throttled_across_usernames_and_unlocked_by_an_admin(
    web: str, officer: str, console: None
) -> None:
    source = address()
    statuses = [sign_in(web, f"ghost-{i}-{source}", WRONG, source).status_code for i in range(21)]
    assert statuses == [401] * 20 + [429]
    assert_throttled(sign_in(web, officer, PASSWORD, source))
    assert sign_in(web, officer, PASSWORD, address()).status_code == 200, "the account is free"
    assert manage(["unlock", "--address", source]) == 0
    assert sign_in(web, officer, PASSWORD, source).status_code == 200


def test_an_account_is_throttled_across_addresses_alike_for_unknown_usernames(
    web: str, officer: str
) -> None:
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    for username in (officer, ghost):
        assert [sign_in(web, username, WRONG, address()).status_code for _ in range(5)] == [401] * 5
        assert_throttled(sign_in(web, username, PASSWORD, address()))
    page = httpx.post(
        f"{web}/board/login",
        data={"username": officer, "password": PASSWORD, "next": "/board"},
        headers={"X-Forwarded-For": address()},
    )
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) > 0
    assert "Đăng nhập sai quá nhiều lần" in page.text
    assert "thử lại sau 15 phút" in page.text


def test_an_unknown_username_and_a_wrong_password_answer_alike(web: str, officer: str) -> None:
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    unknown, wrong = sign_in(web, ghost, WRONG, address()), sign_in(web, officer, WRONG, address())
    assert (unknown.status_code, unknown.content) == (wrong.status_code, wrong.content)
    assert unknown.headers["content-type"] == wrong.headers["content-type"]
    forms = [
        httpx.post(
            f"{web}/board/login",
            data={"username": username, "password": WRONG, "next": "/board"},
            headers={"X-Forwarded-For": address()},
        )
        for username in (ghost, officer)
    ]
    assert forms[0].status_code == forms[1].status_code == 401
    assert forms[0].text == forms[1].text


def test_revoking_sessions_ends_a_live_session_and_its_token(
    web: str, officer: str, console: None
) -> None:
    with httpx.Client(base_url=web, headers={"X-Forwarded-For": address()}) as client:
        signed_in = client.post("/v1/session", json={"username": officer, "password": PASSWORD})
        assert signed_in.status_code == 200
        token = signed_in.json()["token"]
        assert client.get("/v1/me").status_code == 200
        assert manage(["revoke-sessions", officer]) == 0
        assert client.get("/v1/me").status_code == 401, "neither the session nor its token"
        bearer = httpx.get(f"{web}/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 401
        assert (
            client.post("/v1/session", json={"username": officer, "password": PASSWORD}).status_code
            == 200
        ), "signing in again works"
