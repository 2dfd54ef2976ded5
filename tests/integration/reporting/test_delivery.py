"""Apology compliance on delivery, through the real Kafka and PostgreSQL: the letters'
notices as deadlines publishes them on ``motcua.apology-deliveries``, counted once, shown
beside "issued in time" with the dossiers behind it, and exported as gauges."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.contracts import encode_event
from motcua.db import open_pool
from motcua.identity import Role, TokenIssuer
from motcua.kafka import Topic
from services.reporting import metrics
from services.reporting.gauges import Exporter
from services.reporting.measures import MEASURES
from services.reporting.projection import Record
from tests.conftest import ROOT, Infra
from tests.integration.conftest import wait_for
from tests.integration.reporting.conftest import (
    Log,
    Province,
    Topics,
    apply,
    consumer_for,
    consuming,
    sign_in,
    stored_offsets,
)
from tests.services.reporting.events import Dossier, at


def _late(province: Province, commune: int = 0) -> Dossier:
    """Due Wed 11 November 09:00, so its letter must reach the citizen by Tue 10th 09:00."""
    return province.dossier(commune, due_at=at(11, 9))


def _message() -> str:
    return str(uuid.uuid4())


def november(province: Province) -> tuple[list[dict[str, Any]], dict[str, Dossier]]:
    """Five late dossiers, each with a letter issued in time, whose notices end otherwise."""
    the = {
        name: _late(province, commune)
        for name, commune in (
            ("delivered", 0),
            ("sent_late", 0),
            ("failed", 1),
            ("fell_back", 1),
            ("no_notice", 0),
        )
    }
    events = [e for d in the.values() for e in (d.received(), d.apology(at(9, 14), at(13, 9)))]
    sms = {name: _message() for name in the}
    zalo = _message()
    d = the["delivered"]
    events += [
        d.notice("sent", at(9, 15), message_id=sms["delivered"], sent_at=at(9, 15)),
        d.notice("delivered", at(9, 16), message_id=sms["delivered"], sent_at=at(9, 15)),
    ]
    d = the["sent_late"]  # held back (quiet hours, a slow gateway) past the deadline
    events += [
        d.notice(
            "sent", at(10, 9, minute=1), message_id=sms["sent_late"], sent_at=at(10, 9, minute=1)
        ),
        d.notice("delivered", at(10, 9, minute=2), message_id=sms["sent_late"]),
    ]
    d = the["failed"]  # sent in time, then failed for good; its fall-back never went out
    events += [
        d.notice("sent", at(9, 15), message_id=sms["failed"], sent_at=at(9, 15)),
        d.notice(
            "failed_permanent",
            at(9, 16),
            message_id=sms["failed"],
            sent_at=at(9, 15),
            fallback_channel="zalo",
        ),
    ]
    d = the["fell_back"]  # no such number; Zalo carried it in time
    events += [
        d.notice(
            "failed_permanent", at(9, 15), message_id=sms["fell_back"], fallback_channel="zalo"
        ),
        d.notice("sent", at(9, 16), message_id=zalo, channel="zalo", sent_at=at(9, 16)),
        d.notice("delivered", at(9, 17), message_id=zalo, channel="zalo", sent_at=at(9, 16)),
    ]
    events += [dossier.completed(at(16, 9)) for dossier in the.values()]
    return events, the


def _figures(client: TestClient) -> tuple[dict[str, int], dict[str, Any]]:
    summary = client.get("/v1/reports/summary", params={"period": "2026-11"})
    assert summary.status_code == 200, summary.text
    return summary.json()["counts"], summary.json()["figures"]


def _behind(client: TestClient, measure: str) -> list[str]:
    answer = client.get("/v1/reports/dossiers", params={"measure": measure, "period": "2026-11"})
    assert answer.status_code == 200, answer.text
    codes: list[str] = answer.json()["dossier_codes"]
    return codes


def _notices(url: str, dossier: Dossier) -> list[tuple[str, str, bool]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT channel, state, reached_in_time FROM apology_notices WHERE dossier_id = %s "
            "ORDER BY occurred_at",
            (uuid.UUID(dossier.dossier_id),),
        ).fetchall()
    return [(str(c), str(s), bool(r)) for c, s, r in rows]


def test_a_letter_counts_when_it_reached_the_citizen_by_its_deadline(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
) -> None:
    events, the = november(province)
    topics.publish(events)
    sent = len(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == sent, what="all offsets stored")

    sign_in(client, signer, province.code, Role.LEADER)
    counts, figures = _figures(client)
    assert (counts["finished_late"], counts["late_letter_in_time"]) == (5, 5)
    assert counts["late_letter_reached_in_time"] == 2
    assert counts["apology_letters_undelivered"] == 1
    assert (figures["apology_compliance"], figures["apology_delivery_compliance"]) == (1.0, 0.4)
    reached = sorted(the[name].code for name in ("delivered", "fell_back"))
    assert _behind(client, "late_letter_reached_in_time") == reached
    assert _behind(client, "apology_letters_undelivered") == [the["failed"].code]
    assert _notices(reporting_db, the["fell_back"]) == [
        ("sms", "failed_permanent", False),
        ("zalo", "delivered", True),
    ]

    listed = client.get(
        "/reports/dossiers", params={"measure": "late_letter_reached_in_time", "period": "2026-11"}
    )
    assert listed.status_code == 200, listed.text
    assert all(code in listed.text for code in reached)
    assert the["sent_late"].code not in listed.text
    page = client.get("/reports", params={"period": "2026-11"})
    assert "Xin lỗi đến được công dân đúng hạn" in page.text
    assert 'data-rate="apology_delivery_compliance">40,00%' in page.text
    exported = client.get("/v1/reports/summary.csv", params={"period": "2026-11"})
    # The summary export reads down: one figure a row, by its Vietnamese name.
    columns = dict(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert columns["Xin lỗi đến được công dân đúng hạn"] == "40,00%"
    assert columns[MEASURES["late_letter_reached_in_time"].meaning] == "2"


def test_redelivered_and_stale_notice_events_change_nothing(
    infra: Infra,
    reporting_db: str,
    topics: Topics,
    province: Province,
    client: TestClient,
    signer: tuple[TokenIssuer, Path],
) -> None:
    events, the = november(province)
    notices = [e for e in events if e["type"].startswith("vn.motcua.apology.delivery")]
    topics.publish(events)
    topics.publish(notices)  # every notice event again, in order: the older ones after the final
    topics.publish(list(reversed(notices)))  # and backwards
    sent = len(events) + 2 * len(notices)
    with consuming(consumer_for(infra, reporting_db, topics, batch_size=3)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == sent, what="all offsets stored")

    sign_in(client, signer, province.code, Role.LEADER)
    counts, figures = _figures(client)
    assert (counts["late_letter_reached_in_time"], counts["apology_letters_undelivered"]) == (2, 1)
    assert figures["apology_delivery_compliance"] == 0.4
    assert _notices(reporting_db, the["delivered"]) == [("sms", "delivered", True)]
    assert _notices(reporting_db, the["failed"]) == [("sms", "failed_permanent", False)]


def _value(gauge: object, *labels: str) -> float:
    return float(gauge.labels(*labels)._value.get())  # type: ignore[attr-defined]


def test_this_months_delivery_compliance_and_failures_are_gauged(
    infra: Infra, reporting_db: str, topics: Topics, province: Province
) -> None:
    now = datetime.now(UTC)
    reached, failed = (
        province.dossier(received_at=now - timedelta(days=20), due_at=now - timedelta(minutes=5))
        for _ in range(2)
    )
    deadline = default_calendar().apology_deadline(reached.due_at)
    issued = now - timedelta(minutes=2)  # this month, whatever the deadline's
    events = [e for d in (reached, failed) for e in (d.received(), d.apology(issued, now))]
    events += [
        reached.notice("delivered", now, message_id=_message(), sent_at=deadline),
        failed.notice("failed_permanent", now, message_id=_message(), sent_at=deadline),
        reached.completed(now),
        failed.completed(now),
    ]
    topics.publish(events)
    with consuming(consumer_for(infra, reporting_db, topics)):
        wait_for(lambda: stored_offsets(reporting_db, topics) == len(events), what="stored")
    pool = open_pool(reporting_db, max_size=2)
    pool.open(wait=True)
    exporter = Exporter(
        reporting_db, pool, bootstrap_servers=infra.bootstrap_servers, lag_groups=[], intake=None
    )
    try:
        wait_for(exporter.holds_lock, timeout_s=30, what="the exporter's lock")
        exporter.business()
        assert _value(metrics.APOLOGY_DELIVERY_COMPLIANCE, province.code) == 0.5
        assert _value(metrics.APOLOGY_DELIVERY_FAILURES, province.code) == 1
    finally:
        exporter.close()
        pool.close()


def test_a_notice_event_that_breaks_its_contract_or_comes_on_another_topic_is_dead_lettered(
    reporting_db: str, province: Province
) -> None:
    log = Log()
    d = _late(province)
    smuggled = json.loads(
        (
            ROOT / "schemas/examples/apology.delivery_updated.v1/invalid-citizen-phone.json"
        ).read_text()
    )["event"]
    notice = d.notice("delivered", at(9, 16), message_id=_message(), sent_at=at(9, 15))
    deliveries = f"{log.prefix}{Topic.APOLOGY_DELIVERIES.value}"
    letters = f"{log.prefix}{Topic.APOLOGY_LETTERS.value}"
    records = [
        Record(deliveries, 0, 0, json.dumps(smuggled).encode()),
        Record(letters, 0, 0, encode_event(notice)),
        Record(deliveries, 0, 1, encode_event(notice)),
    ]
    applied = apply(reporting_db, log, records)
    assert [(r.topic, r.offset, letter.reason) for r, letter in applied.rejected] == [
        (deliveries, 0, "contract_violation"),
        (letters, 0, "unexpected_type"),
    ]
    assert "destination" in applied.rejected[0][1].detail
    assert applied.events == {deliveries: 1}
    assert applied.offsets == {(deliveries, 0): 2, (letters, 0): 1}
    assert _notices(reporting_db, d) == [("sms", "delivered", True)]
