"""Ratings over the session's real PostgreSQL: invitations inserted as the invitations
helper's rows would be (a token from ``new_token``, stored as ``hash_token``), an app with
the officers' sign-in key, and officers of two subtrees."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.identity import TOKEN_COOKIE, Officer, Role, TokenIssuer, generate_keypair
from services.ratings.app import create_app
from services.ratings.invitations.tokens import hash_token, new_token
from services.ratings.settings import RatingsSettings
from tests.conftest import Database, Infra

PROVINCE = "000.00.00.H26"
DISTRICT = "000.00.12.H26"
OTHER_PROVINCE = "000.00.00.H01"
PROCEDURE = "1.001612"


@dataclass(frozen=True)
class Invited:
    token: str
    invitation_id: uuid.UUID
    dossier_id: uuid.UUID
    dossier_code: str
    unit_code: str


def invite(
    url: str,
    *,
    unit_path: tuple[str, ...] = (PROVINCE, DISTRICT),
    online: bool = False,
    expires_in: timedelta = timedelta(days=30),
    contact_preference: str = "sms",
) -> Invited:
    """One invitation row, as the invitations helper writes it."""
    token = new_token()
    invitation_id, dossier_id = uuid.uuid4(), uuid.uuid4()
    unit = unit_path[-1]
    code = f"{unit}-{random.randrange(10**6):06d}-{random.randrange(10**4):04d}"
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO rating_invitations (id, dossier_id, token_sha256, expires_at, "
            "dossier_code, unit_code, unit_path, procedure_code, online, outcome, "
            "contact_preference, channel) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "'returned', %s, 'sms')",
            (
                invitation_id,
                dossier_id,
                hash_token(token),
                datetime.now(UTC) + expires_in,
                code,
                unit,
                list(unit_path),
                PROCEDURE,
                online,
                contact_preference,
            ),
        )
    return Invited(token, invitation_id, dossier_id, code, unit)


def happy_form(online: bool = False, level: str = "2", **changes: str) -> dict[str, str]:
    from services.ratings.answers.criteria import criteria_for

    form = {c.value: level for c in criteria_for(online)}
    form["overall"] = level
    form.update(changes)
    return form


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def outbox_events(url: str, dossier_id: uuid.UUID) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT topic, message_key, payload FROM outbox WHERE message_key = %s ORDER BY id",
            (str(dossier_id),),
        ).fetchall()
    return [{"topic": t, "key": k, **p} for t, k, p in rows]


@pytest.fixture(scope="session")
def ratings_db(database: Database) -> str:
    return database.service_urls["ratings"]


@pytest.fixture(scope="session")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[TokenIssuer, Path]:
    private_pem, public_pem = generate_keypair()
    public = tmp_path_factory.mktemp("keys") / "officer-token.pub.pem"
    public.write_bytes(public_pem)
    return TokenIssuer.from_pem(private_pem), public


def settings_for(
    infra: Infra, ratings_db: str, public_key: Path, **changes: Any
) -> RatingsSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": infra.bootstrap_servers,
        "database_url": ratings_db,
        "officer_token_public_key_file": str(public_key),
        "signin_url": "http://deadlines.test",
        "form_secret": "test-form-secret",
        "rate_limit_per_address": "100000/minute",
        "rate_limit_per_token": "1000/minute",
    }
    values.update(changes)
    return RatingsSettings(**values)


@pytest.fixture
def client(infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]) -> Iterator[TestClient]:
    app = create_app(settings_for(infra, ratings_db, signer[1]))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def sign_in(
    client: TestClient, signer: tuple[TokenIssuer, Path], unit: str, *roles: Role
) -> Officer:
    officer = Officer(f"cb.{uuid.uuid4().hex[:6]}", "Cán bộ <thử>", unit, frozenset(roles))
    client.cookies.set(TOKEN_COOKIE, signer[0].issue(officer))
    return officer
