"""The whole ratings loop through the real Kafka, PostgreSQL and intake: a dossier returned
at intake → one invitation → its SMS recorded with the link → the citizen follows the link
and rates on the web form → ``rating.invited`` and ``rating.submitted`` on Kafka, once each,
carrying neither the citizen's data nor the comment."""

from __future__ import annotations

import json
import uuid

import psycopg
from fastapi.testclient import TestClient

from motcua.contracts import EventType
from motcua.kafka import Topic
from services.ratings.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import Systems, read_events, wait_for
from tests.integration.ratings.conftest import (
    csrf_of,
    happy_form,
    ratings_settings,
    returned_through_intake,
)

COMMENT = "Cán bộ hướng dẫn tận tình <b>cảm ơn</b>"


def _link(ratings_url: str, dossier_id: str) -> str | None:
    with psycopg.connect(ratings_url) as conn:
        row = conn.execute(
            "SELECT m.link FROM recorded_messages m JOIN rating_invitations i "
            "ON i.id = m.invitation_id WHERE i.dossier_id = %s AND m.kind = 'invite'",
            (dossier_id,),
        ).fetchone()
    return str(row[0]) if row else None


def test_a_returned_dossier_is_rated_through_its_link_and_the_rating_reaches_kafka_once(
    infra: Infra, intake_url: str, ratings_url: str, systems: Systems
) -> None:
    phone = f"09{uuid.uuid4().int % 10**8:08d}"
    with returned_through_intake(
        infra, intake_url, systems, applicant={"full_name": "Trần Văn Bình", "phone": phone}
    ) as returned:
        dossier_id = returned.dossier_id
        settings = ratings_settings(
            infra,
            ratings_url,
            invitations_enabled=True,
            delivery_enabled=True,
            outbox_relay_enabled=True,
            intake_url=returned.intake,
            intake_api_key=returned.ratings_key,
            form_secret="test-form-secret",
        )
        with TestClient(create_app(settings), follow_redirects=False) as ratings:
            wait_for(lambda: _link(ratings_url, dossier_id) is not None, what="the SMS")
            link = _link(ratings_url, dossier_id)
            assert link is not None
            path = "/" + link.split("/", 3)[3]
            form = ratings.get(path)
            assert form.status_code == 200, form.text
            answers = {**happy_form(online=False), "comment": COMMENT}
            sent = ratings.post(path, data={**answers, "csrf_token": csrf_of(form.text)})
            assert sent.status_code == 303, sent.text
            assert ratings.get(path).status_code == 409
            # Asking for two and waiting the reads out: a duplicate or a second event would
            # be read too, so "once" is checked, not assumed.
            submitted = read_events(
                infra, {dossier_id}, expect=2, timeout_s=8, topic_of=Topic.RATING_SUBMISSIONS
            )
            invited = read_events(
                infra, {dossier_id}, expect=2, timeout_s=8, topic_of=Topic.RATING_INVITATIONS
            )
    assert [e["type"] for e in invited] == [EventType.RATING_INVITED]
    assert [e["type"] for e in submitted] == [EventType.RATING_SUBMITTED]
    data = submitted[0]["data"]
    assert (data["dossier_id"], data["channel"], data["staff_present"]) == (
        dossier_id,
        "web",
        False,
    )
    assert (data["valid"], data["overall"]) == (True, "very_satisfied")
    for event in (*invited, *submitted):
        text = json.dumps(event, ensure_ascii=False)
        assert phone not in text
        assert "Trần Văn Bình" not in text
        assert "tận tình" not in text, "the comment stays out of events"
