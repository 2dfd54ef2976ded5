"""The citizens' doors on the real PostgreSQL: the web form and the JSON API, one rating
per dossier, expired and unknown tokens, CSRF, rate limits, and what reaches the outbox."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.contracts import EventType, validate_event
from motcua.identity import TokenIssuer
from services.ratings.answers.rules import parse_answer
from services.ratings.answers.service import AlreadyRated, submit_with_token
from services.ratings.app import create_app
from services.ratings.invitations.tokens import new_token
from services.ratings.models import Answer, Channel, Entry, Invitation
from tests.conftest import Infra
from tests.integration.ratings.conftest import (
    csrf_of,
    happy_form,
    invite,
    outbox_events,
    portal_key,
    settings_for,
)


def _post_form(client: TestClient, token: str, form: dict[str, str]) -> tuple[int, str, str]:
    page = client.get(f"/r/{token}")
    assert page.status_code == 200, page.text
    response = client.post(f"/r/{token}", data={**form, "csrf_token": csrf_of(page.text)})
    return response.status_code, response.headers.get("location", ""), response.text


def test_the_web_form_is_answered_once_and_its_event_is_in_the_outbox(
    client: TestClient, ratings_db: str
) -> None:
    invited = invite(ratings_db, online=True)
    page = client.get(f"/r/{invited.token}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    # The page's address holds the token: never sent to another site (the shared policy).
    assert page.headers["referrer-policy"] in {"no-referrer", "same-origin"}
    assert 'lang="vi"' in page.text
    assert "Chất lượng dịch vụ công trực tuyến" in page.text  # criterion 8: online dossier
    assert invited.dossier_code in page.text

    status, location, _ = _post_form(client, invited.token, happy_form(online=True))
    assert status == 303
    assert location == f"/r/{invited.token}/done"
    thanks = client.get(location)
    assert thanks.status_code == 200
    assert "Cảm ơn ông/bà đã đánh giá" in thanks.text

    again = client.get(f"/r/{invited.token}")
    assert again.status_code == 409
    assert "đã được đánh giá lúc" in again.text
    events = outbox_events(ratings_db, invited.dossier_id)
    assert [e["type"] for e in events] == ["vn.motcua.rating.submitted.v1"]
    event = events[0]
    assert event["topic"] == "motcua.rating-submissions"
    assert event["key"] == str(invited.dossier_id)
    validate_event({k: v for k, v in event.items() if k not in ("topic", "key")})
    assert event["data"]["channel"] == "web"
    assert event["data"]["staff_present"] is False
    assert event["data"]["overall"] == "very_satisfied"
    assert event["data"]["scores"]["online_service"] == 2
    with psycopg.connect(ratings_db) as conn:
        row = conn.execute(
            "SELECT channel, entered_by, valid, online_service FROM ratings WHERE dossier_id = %s",
            (invited.dossier_id,),
        ).fetchone()
    assert row == ("web", "citizen", True, 2)


def test_criterion_8_is_not_shown_to_a_paper_dossier(client: TestClient, ratings_db: str) -> None:
    page = client.get(f"/r/{invite(ratings_db).token}")
    assert "Chất lượng dịch vụ công trực tuyến" not in page.text


def test_a_second_submission_is_409_saying_when(client: TestClient, ratings_db: str) -> None:
    invited = invite(ratings_db)
    page = client.get(f"/r/{invited.token}")
    token = csrf_of(page.text)
    first = client.post(f"/r/{invited.token}", data={**happy_form(), "csrf_token": token})
    assert first.status_code == 303
    second = client.post(f"/r/{invited.token}", data={**happy_form(level="0"), "csrf_token": token})
    assert second.status_code == 409
    assert "Hồ sơ này đã được đánh giá lúc" in second.text


def test_an_expired_invitation_is_410(client: TestClient, ratings_db: str) -> None:
    invited = invite(ratings_db, expires_in=timedelta(seconds=-1))
    page = client.get(f"/r/{invited.token}")
    assert page.status_code == 410
    assert "hết hạn" in page.text
    api = client.post(
        "/v1/ratings",
        json={"token": invited.token, "scores": {"processing_time": 2}, "overall": "satisfied"},
        headers=portal_key(ratings_db),
    )
    assert api.status_code == 410
    assert api.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "tampered", "%3Cscript%3E"])
def test_unknown_tampered_and_malformed_tokens_are_404(client: TestClient, token: str) -> None:
    page = client.get(f"/r/{token}")
    assert page.status_code == 404
    assert "Không tìm thấy phiếu đánh giá" in page.text


def test_a_tampered_token_of_a_real_one_is_404_and_timed_like_any_unknown_one(
    client: TestClient, ratings_db: str
) -> None:
    """A token one character off a real one costs what a random or malformed one costs:
    the same single hash lookup (tests/services/…/test_lookup.py proves it). The known
    token's own page renders a form, so its time says nothing here; medians, not means,
    so one garbage-collection pause cannot decide. Loose: within a factor of 3."""
    known = invite(ratings_db).token
    tampered = known[:-1] + ("A" if known[-1] != "A" else "B")
    unknown = new_token()
    timings: dict[str, list[float]] = {"tampered": [], "unknown": [], "malformed": []}
    assert client.get(f"/r/{known}").status_code == 200
    for _ in range(30):
        for name, token in (("tampered", tampered), ("unknown", unknown), ("malformed", "x")):
            started = time.perf_counter()
            status = client.get(f"/r/{token}").status_code
            timings[name].append(time.perf_counter() - started)
            assert status == 404
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print("median seconds", medians)
    assert max(medians.values()) < 3 * min(medians.values())


def test_a_missing_or_foreign_csrf_token_is_refused(client: TestClient, ratings_db: str) -> None:
    invited = invite(ratings_db)
    client.get(f"/r/{invited.token}")
    missing = client.post(f"/r/{invited.token}", data=happy_form())
    assert missing.status_code == 403
    other = invite(ratings_db)
    foreign = csrf_of(client.get(f"/r/{other.token}").text)
    crossed = client.post(f"/r/{invited.token}", data={**happy_form(), "csrf_token": foreign})
    assert crossed.status_code == 403
    client.cookies.clear()
    no_cookie = client.post(f"/r/{invited.token}", data={**happy_form(), "csrf_token": foreign})
    assert no_cookie.status_code == 403
    assert outbox_events(ratings_db, invited.dossier_id) == []


def test_an_incomplete_form_comes_back_with_every_error_and_nothing_stored(
    client: TestClient, ratings_db: str
) -> None:
    invited = invite(ratings_db)
    form = happy_form()
    del form["visits"]
    form["staff_conduct"] = "7"
    form["comment"] = "giữ lại"
    status, _, html = _post_form(client, invited.token, form)
    assert status == 422
    assert 'href="#visits"' in html
    assert 'href="#staff_conduct"' in html
    assert "giữ lại" in html
    assert outbox_events(ratings_db, invited.dossier_id) == []


def test_a_script_in_the_comment_is_stored_as_text_shown_escaped_and_kept_out_of_events(
    client: TestClient, ratings_db: str
) -> None:
    invited = invite(ratings_db)
    script = "<script>alert('x')</script>"
    form = happy_form(comment=script)
    form["visits"] = "9"  # refused, so the form comes back showing the comment
    status, _, html = _post_form(client, invited.token, form)
    assert status == 422
    assert script not in html
    assert "&lt;script&gt;" in html
    status, _, _ = _post_form(client, invited.token, happy_form(comment=script))
    assert status == 303
    with psycopg.connect(ratings_db) as conn:
        row = conn.execute(
            "SELECT comment FROM ratings WHERE dossier_id = %s", (invited.dossier_id,)
        ).fetchone()
    assert row == (script,)
    assert "script" not in str(outbox_events(ratings_db, invited.dossier_id))


def test_the_api_answers_201_then_409(client: TestClient, ratings_db: str) -> None:
    invited = invite(ratings_db, online=True)
    body = {
        "token": invited.token,
        "scores": {
            "processing_time": 0,
            "agencies_contacted": 2,
            "visits": 2,
            "procedure_information": 2,
            "staff_conduct": 2,
            "lawful_cost": 2,
            "online_service": 1,
        },
        "overall": "satisfied",
        "comment": "Phải chờ lâu",
    }
    portal = portal_key(ratings_db)
    created = client.post("/v1/ratings", json=body, headers=portal)
    assert created.status_code == 201, created.text
    assert created.json()["dossier_code"] == invited.dossier_code
    assert created.json()["followup_opened"] is True
    again = client.post("/v1/ratings", json=body, headers=portal)
    assert again.status_code == 409
    assert "rated_at" in again.json()
    types = [e["type"] for e in outbox_events(ratings_db, invited.dossier_id)]
    assert types == ["vn.motcua.rating.submitted.v1", "vn.motcua.rating.followup_opened.v1"]
    submitted = outbox_events(ratings_db, invited.dossier_id)[0]["data"]
    assert submitted["channel"] == "api"
    assert "comment" not in submitted


def test_the_api_names_bad_fields_and_unknown_tokens(client: TestClient, ratings_db: str) -> None:
    invited = invite(ratings_db)
    portal = portal_key(ratings_db)
    bad = client.post(
        "/v1/ratings",
        json={
            "token": invited.token,
            "scores": {"online_service": 2, "visits": 5},
            "overall": "satisfied",
        },
        headers=portal,
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"online_service", "visits", "processing_time"} <= fields
    unknown = client.post(
        "/v1/ratings",
        json={"token": "nope", "scores": {}, "overall": "satisfied"},
        headers=portal,
    )
    assert unknown.status_code == 404


def test_two_concurrent_submissions_store_one_and_refuse_the_other(ratings_db: str) -> None:
    invited = invite(ratings_db)
    calendar = default_calendar()

    levels = {key: value for key, value in happy_form().items() if key != "overall"}

    def answer_for(invitation: Invitation) -> Answer:
        return parse_answer(levels, "2", None, online=False)

    first = psycopg.connect(ratings_db)
    second = psycopg.connect(ratings_db)
    outcome: list[object] = []
    try:
        stored_first = submit_with_token(
            invited.token,
            answer_for,
            Entry(Channel.WEB),
            now=datetime.now(UTC),
            calendar=calendar,
            db_session=first,
        )

        def race() -> None:
            try:
                submit_with_token(
                    invited.token,
                    answer_for,
                    Entry(Channel.API),
                    now=datetime.now(UTC),
                    calendar=calendar,
                    db_session=second,
                )
                outcome.append("stored")
            except AlreadyRated as exc:
                outcome.append(exc)
            second.rollback()

        racer = threading.Thread(target=race)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive(), "the second submission did not wait for the row lock"
        first.commit()
        racer.join(timeout=10)
    finally:
        first.close()
        second.close()
    assert len(outcome) == 1
    assert isinstance(outcome[0], AlreadyRated)
    # Told when the first answer was (it waited on the lock, then found the invitation used),
    # not merely refused by the unique index at its own time.
    assert outcome[0].at == stored_first.submitted_at
    # The partial unique index alone keeps one valid row; what it does not keep is the
    # refused answer's event out of the outbox, nor the first answer from being replaced.
    events = outbox_events(ratings_db, invited.dossier_id)
    assert [e["type"] for e in events] == [EventType.RATING_SUBMITTED], events
    assert events[0]["data"]["channel"] == Channel.WEB.value
    with psycopg.connect(ratings_db) as conn:
        stored = conn.execute(
            "SELECT id::text, channel FROM ratings WHERE dossier_id = %s", (invited.dossier_id,)
        ).fetchall()
    assert stored == [(events[0]["data"]["rating_id"], Channel.WEB.value)]


def test_rate_limits_answer_429_with_retry_after(
    infra: Infra, ratings_db: str, signer: tuple[TokenIssuer, Path]
) -> None:
    settings = settings_for(
        infra,
        ratings_db,
        signer[1],
        rate_limit_per_address="5/minute",
        rate_limit_per_token="3/minute",
    )
    invited = invite(ratings_db)
    with TestClient(create_app(settings), follow_redirects=False) as limited:
        statuses = [limited.get(f"/r/{invited.token}").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        page = limited.get(f"/r/{invited.token}")
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) >= 1
        assert "Quá nhiều yêu cầu" in page.text
        # The portal's door has its own quota per key (test_portal.py), not this limit.
        body = {"token": "x", "scores": {}, "overall": "satisfied"}
        api = limited.post("/v1/ratings", json=body, headers=portal_key(ratings_db))
        assert api.status_code == 404
        metrics = limited.get("/metrics").text
    assert 'motcua_ratings_refused_total{reason="rate_limited"}' in metrics
