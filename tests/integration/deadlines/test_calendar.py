"""A calendar announcement reaches a running deadlines worker and moves a due-soon alert.

A dossier's due-soon instant lies half an hour of working time ahead, on working day X,
so no alert is due. The admin then records X as a
day off through intake's API: the worker's live calendar takes it from the compacted
topic, recomputes the dossier's next check, and the due-soon alert fires at once —
no restart. The dossier's due date is not touched. X is withdrawn at the end, and the
test waits until the worker has taken the withdrawal (it is today or the next working day,
and the rest of the session must see the calendar it found). The compacted calendar topic
is shared by everything on the broker, so the test computes with the calendar the worker
sees (the topic read to its end), not with the bare package's.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from motcua.calendar import WorkingCalendar
from motcua.calendar_feed import CalendarFeed, LiveCalendar
from motcua.contracts import encode_event
from motcua.kafka import Topic
from services.deadlines.tracking import AlertKind, DeadlinePolicy
from services.intake.app import create_app
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, wait_for
from tests.integration.deadlines.test_alerts import Worker, _produce, _read, _received, worker
from tests.integration.intake.conftest import intake_settings
from tests.integration.kafka_log import read_to_end

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def intake(infra: Infra, intake_url: str) -> Iterator[TestClient]:
    settings = intake_settings(infra, intake_url, inbound_enabled=False)
    with TestClient(create_app(settings)) as client:
        yield client


__all__ = ["worker"]  # the fixture, shared with test_alerts


def test_a_new_day_off_moves_a_running_workers_due_soon_alert(
    infra: Infra, worker: Worker, intake: TestClient, systems: Systems
) -> None:
    plain = _calendar_in_force(infra)
    now = datetime.now(UTC)
    due_soon_at = plain.add_working_time(now, timedelta(minutes=30))
    day_x: date = due_soon_at.astimezone(VN).date()
    # The worker's default policy: due soon one working day before the apology deadline,
    # itself one working day before the due date.
    due = plain.add_working_time(due_soon_at, plain.hours.day_length * 2)
    assert DeadlinePolicy(plain).became_due(AlertKind.DUE_SOON, due) == due_soon_at
    in_force = plain.overrides
    x_off = replace(
        in_force,
        extra_days_off=in_force.extra_days_off | {day_x},
        extra_working_days=in_force.extra_working_days - {day_x},
    )
    moved = DeadlinePolicy(WorkingCalendar(overrides=x_off)).became_due(AlertKind.DUE_SOON, due)
    assert moved < now, (moved, now)  # with X off, the alert is due already

    dossier, probe = str(uuid.uuid4()), str(uuid.uuid4())
    # The probe is due at once: its alert shows the worker is consuming.
    _produce(
        infra,
        [
            (dossier.encode(), encode_event(_received(dossier, due))),
            (probe.encode(), encode_event(_received(probe, now + timedelta(seconds=2)))),
        ],
    )
    alerts = Topic.DEADLINE_ALERTS.value
    probed = _read(infra, alerts, {probe}, time.monotonic() + 60, enough=bool, settle_s=0)
    assert probed, worker.log.read_text()[-3000:]
    # Not due yet: none on the whole topic.
    assert read_to_end(infra.bootstrap_servers, alerts, keys={dossier}) == []

    # The calendar topic is compacted and shared by every session on this broker: the
    # worker's count is compared with itself, before and after this one day.
    overrides_before = worker.metric("motcua_deadlines_calendar_overrides")
    assert overrides_before is not None
    url = f"/v1/calendar/overrides/{day_x}"
    recorded = intake.put(
        url,
        json={"kind": "day_off", "legal_basis": "Quyết định 9999/QĐ-TTg", "note": "thử"},
        headers=auth(systems.admin),
    )
    assert recorded.status_code == 201, recorded.text
    try:
        found = _read(infra, alerts, {dossier}, time.monotonic() + 30, enough=bool)
        kinds = [json.loads(m.value())["type"] for m in found]
        assert kinds == ["vn.motcua.deadline.due_soon.v1"], worker.log.read_text()[-3000:]
        event = json.loads(found[0].value())
        assert datetime.fromisoformat(event["data"]["due_at"]) == due  # the due date stays
        listed = intake.get("/v1/calendar/overrides", headers=auth(systems.admin)).json()
        assert str(day_x) in {override["date"] for override in listed}
        overrides_after = worker.metric("motcua_deadlines_calendar_overrides")
        assert overrides_after == overrides_before + 1, "the worker took exactly the new day"
    finally:
        withdrawn = intake.delete(url, headers=auth(systems.admin))
        assert withdrawn.status_code == 200, withdrawn.text
        wait_for(
            lambda: worker.metric("motcua_deadlines_calendar_overrides") == overrides_before,
            timeout_s=30,
            what="the worker taking the withdrawal of the test's day off",
        )


def _calendar_in_force(infra: Infra) -> WorkingCalendar:
    """The working calendar the worker has: the package's, with every announcement the
    calendar topic holds in force."""
    calendar = LiveCalendar()
    feed = CalendarFeed(infra.bootstrap_servers, calendar)
    feed.start()
    try:
        assert feed.wait_caught_up(30), "the calendar topic was not read to its end"
        return calendar.snapshot()
    finally:
        feed.stop()
