"""The national portal's and VNeID's door on the real PostgreSQL: a system's own key, its
own quota instead of the per-address limit, and the batch with a result per item."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.identity import TokenIssuer
from services.ratings.app import create_app
from services.ratings.invitations.tokens import hash_token, new_token
from services.ratings.systems import revoke_key
from tests.conftest import Infra
from tests.integration.ratings.conftest import (
    DISTRICT,
    PROVINCE,
    happy_form,
    invite,
    portal_key,
    settings_for,
)

Signer = tuple[TokenIssuer, Path]
UNKNOWN_TOKEN = {"token": "khong-co", "scores": {}, "overall": "satisfied"}


def _answer(token: str) -> dict[str, Any]:
    scores = {k: int(v) for k, v in happy_form().items() if k != "overall"}
    return {"token": token, "scores": scores, "overall": "very_satisfied"}


def _invite_many(url: str, count: int) -> list[str]:
    """``count`` invitations in one round of SQL, as the consumer writes them; their tokens."""
    tokens = [new_token() for _ in range(count)]
    stem = f"{DISTRICT}-{random.randrange(10**6):06d}"
    expires = datetime.now(UTC) + timedelta(days=30)
    rows = [
        (uuid.uuid4(), uuid.uuid4(), hash_token(token), expires, f"{stem}-{i:04d}", DISTRICT)
        for i, token in enumerate(tokens)
    ]
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO rating_invitations (id, dossier_id, token_sha256, expires_at, "
            "dossier_code, unit_code, unit_path, procedure_code, online, outcome, "
            "contact_preference, channel) VALUES (%s, %s, %s, %s, %s, %s, "
            f"ARRAY['{PROVINCE}', '{DISTRICT}'], '1.001612', false, 'returned', 'sms', 'sms')",
            rows,
        )
    return tokens


def _stored(url: str, tokens: Sequence[str]) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM ratings r JOIN rating_invitations i ON i.id = r.invitation_id "
            "WHERE i.token_sha256 = ANY(%s) AND r.valid AND r.channel = 'api'",
            ([hash_token(t) for t in tokens],),
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def portal_client(infra: Infra, ratings_db: str, signer: Signer) -> Iterator[TestClient]:
    """The door with the citizens' per-address limit low (20 a minute): a keyed system's
    calls are not counted against it."""
    settings = settings_for(
        infra, ratings_db, signer[1], rate_limit_per_address="20/minute", portal_batch_max_items=450
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def test_a_portal_key_posts_1000_ratings_within_a_minute_from_one_address(
    portal_client: TestClient, ratings_db: str
) -> None:
    tokens = _invite_many(ratings_db, 1000)
    portal = portal_key(ratings_db)
    started = time.monotonic()
    statuses: list[int] = []
    for batch in (tokens[:450], tokens[450:900]):
        answered = portal_client.post(
            "/v1/ratings:batch", json={"items": [_answer(t) for t in batch]}, headers=portal
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["accepted"] == len(batch), answered.json()["results"][:3]
        statuses += [item["status"] for item in answered.json()["results"]]
    for token in tokens[900:]:  # and singles, all from the one address the limit counts
        statuses.append(
            portal_client.post("/v1/ratings", json=_answer(token), headers=portal).status_code
        )
    elapsed = time.monotonic() - started
    assert statuses == [201] * 1000
    assert _stored(ratings_db, tokens) == 1000
    assert elapsed <= 60, f"1,000 ratings took {elapsed:.1f} s"
    # The citizens' own door from that address still counts its own limit, untouched.
    assert portal_client.get(f"/r/{tokens[0]}").status_code == 409


def test_a_keys_own_quota_is_429_with_retry_after_and_leaves_other_keys_alone(
    portal_client: TestClient, ratings_db: str
) -> None:
    small, other = portal_key(ratings_db, per_minute=3), portal_key(ratings_db, per_minute=3)
    unknown = [
        portal_client.post("/v1/ratings", json=UNKNOWN_TOKEN, headers=small) for _ in range(3)
    ]
    assert [r.status_code for r in unknown] == [404, 404, 404]
    refused = portal_client.post("/v1/ratings", json=UNKNOWN_TOKEN, headers=small)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    invited = invite(ratings_db)
    batch = portal_client.post(
        "/v1/ratings:batch", json={"items": [_answer(invited.token)]}, headers=small
    )
    assert batch.status_code == 429
    assert int(batch.headers["retry-after"]) >= 1
    assert _stored(ratings_db, [invited.token]) == 0
    # A batch counts its items: three fit the other key's quota, a fourth does not.
    taken = portal_client.post(
        "/v1/ratings:batch", json={"items": [UNKNOWN_TOKEN] * 3}, headers=other
    )
    assert taken.status_code == 200
    assert portal_client.post("/v1/ratings", json=UNKNOWN_TOKEN, headers=other).status_code == 429
    too_many = portal_client.post(
        "/v1/ratings:batch", json={"items": [UNKNOWN_TOKEN] * 4}, headers=small
    )
    assert too_many.status_code == 413
    assert too_many.json()["field"] == "items"
    metrics = portal_client.get("/metrics").text
    assert 'motcua_ratings_refused_total{reason="rate_limited"}' in metrics


def test_no_key_an_unknown_key_and_a_revoked_key_are_401(
    portal_client: TestClient, ratings_db: str
) -> None:
    invited = invite(ratings_db)
    revoked = portal_key(ratings_db)
    with psycopg.connect(ratings_db) as conn:
        name = conn.execute(
            "SELECT name FROM portal_keys ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        assert name is not None
        assert revoke_key(name[0], actor="test", db_session=conn)
    for headers in (
        {},
        {"X-API-Key": "mcp_khong-phai-khoa"},
        {"Authorization": "Bearer mcp_khong-phai-khoa"},
        revoked,
    ):
        for path, body in (
            ("/v1/ratings", _answer(invited.token)),
            ("/v1/ratings:batch", {"items": [_answer(invited.token)]}),
        ):
            answer = portal_client.post(path, json=body, headers=headers)
            assert answer.status_code == 401, (path, headers, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer")
    # 401 before the body is read: a malformed one is not even looked at.
    assert portal_client.post("/v1/ratings", json={"x": 1}).status_code == 401
    assert _stored(ratings_db, [invited.token]) == 0


def test_a_batch_stores_the_good_items_and_answers_each_refused_one_with_its_problem(
    portal_client: TestClient, ratings_db: str
) -> None:
    portal = portal_key(ratings_db)
    good, bad, rated, later, expired, raced = (invite(ratings_db) for _ in range(6))
    with psycopg.connect(ratings_db) as conn:
        conn.execute(
            "UPDATE rating_invitations SET expires_at = now() - interval '1 day' WHERE id = %s",
            (expired.invitation_id,),
        )
        # A valid rating the invitation does not know of yet: the item is refused by the
        # unique index itself, an error of PostgreSQL's that must not spoil the others.
        conn.execute(
            "INSERT INTO ratings (id, invitation_id, dossier_id, dossier_code, unit_code, "
            "unit_path, procedure_code, online, channel, entered_by, staff_present, valid, "
            "overall, submitted_at) SELECT gen_random_uuid(), id, dossier_id, dossier_code, "
            "unit_code, unit_path, procedure_code, online, 'web', 'citizen', false, true, 2, "
            "now() FROM rating_invitations WHERE id = %s",
            (raced.invitation_id,),
        )
    first = portal_client.post("/v1/ratings", json=_answer(rated.token), headers=portal)
    assert first.status_code == 201
    items = [
        _answer(good.token),
        {**_answer(bad.token), "scores": {"visits": 7}},
        UNKNOWN_TOKEN,
        _answer(rated.token),
        {"token": later.token, "overall": "great"},
        _answer(expired.token),
        _answer(raced.token),
        _answer(later.token),
        _answer(good.token),
    ]
    answered = portal_client.post("/v1/ratings:batch", json={"items": items}, headers=portal)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [201, 422, 404, 409, 422, 410, 409, 201, 409]
    assert [r["index"] for r in body["results"]] == list(range(9))
    assert (body["accepted"], body["refused"]) == (2, 7)
    results = body["results"]
    assert results[0]["body"]["dossier_code"] == good.dossier_code
    assert {"visits", "processing_time"} <= {e["field"] for e in results[1]["body"]["errors"]}
    assert results[2]["body"]["title"] == "Unknown token"
    assert "rated_at" in results[3]["body"]
    assert {"scores", "overall"} <= {e["field"] for e in results[4]["body"]["errors"]}
    assert "expired_at" in results[5]["body"]
    assert "rated_at" in results[6]["body"]
    assert results[7]["body"]["dossier_code"] == later.dossier_code
    assert "rated_at" in results[8]["body"]  # the same token twice in one batch
    assert _stored(ratings_db, [good.token, later.token, rated.token]) == 3
    assert _stored(ratings_db, [bad.token, expired.token]) == 0


def test_a_batch_over_the_most_items_or_without_items_stores_nothing(
    portal_client: TestClient, ratings_db: str
) -> None:
    portal = portal_key(ratings_db)
    tokens = _invite_many(ratings_db, 451)
    over = portal_client.post(
        "/v1/ratings:batch", json={"items": [_answer(t) for t in tokens]}, headers=portal
    )
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    assert _stored(ratings_db, tokens) == 0
    malformed: list[dict[str, Any]] = [{"items": []}, {}, {"items": "x"}, {"items": [1]}]
    for body in malformed:
        answer = portal_client.post("/v1/ratings:batch", json=body, headers=portal)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"][0]["field"].startswith("items")
