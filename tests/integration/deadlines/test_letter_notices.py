"""The apology reaches the citizen, through the real processes: intake receives late
dossiers, the duty officer issues (and corrects) the letter on the officers' web, and the
worker's sender tells the citizen on their channel — recorded here, as on the local
stack. The recorded link opens that version's PDF without sign-in; any other link is the
same 404. No contact reaches deadlines' logs or its events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from motcua.http import PROBLEM_JSON
from tests.conftest import Database
from tests.integration.conftest import Systems, auth, receive_command, wait_for
from tests.integration.deadlines.conftest import Platform, metric, officer_client, wait_for_item

EMAIL = "khai.nguyen@example.vn"
REASON = "Chờ kết quả xác minh thông tin cư trú từ Công an tỉnh Quảng Ninh"


@pytest.fixture(scope="module")
def worker_env() -> dict[str, str]:
    """Notices go at any hour in these tests."""
    return {"QUIET_HOURS": ""}


def _late_dossier(platform: Platform, systems: Systems, **overrides: Any) -> tuple[str, dict]:
    """A dossier received long ago (late), its draft letter on the board; (id, command)."""
    command = receive_command(systems.hanoi_commune, **overrides)
    received = httpx.post(
        f"{platform.intake}/v1/dossiers", json=command, headers=auth(systems.hanoi), timeout=20
    )
    assert received.status_code == 201, received.text
    dossier_id, code = received.json()["dossier_id"], received.json()["dossier_code"]
    hanoi = officer_client(platform, "truc.hanoi")
    wait_for_item(hanoi, code, dossier_id=dossier_id, status="overdue", letter_status="draft")
    return dossier_id, command


def _issue(platform: Platform, dossier_id: str, reason: str, days: str | None = "3") -> None:
    form = {"reason": reason} | ({"extension_working_days": days} if days else {})
    hanoi = officer_client(platform, "truc.hanoi")
    issued = hanoi.post(f"/board/dossiers/{dossier_id}/letter", data=form)
    assert issued.status_code == 303, issued.text


def _notices(database: Database, dossier_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        cursor = conn.execute(
            "SELECT n.id::text, n.letter_version, n.channel, n.state, n.next_attempt_at, "
            "m.link, m.attachment, m.destination_masked "
            "FROM letter_notices n JOIN apology_letters l ON l.id = n.letter_id "
            "LEFT JOIN recorded_messages m ON m.notice_id = n.id "
            "WHERE l.dossier_id = %s ORDER BY n.letter_version, m.id",
            (dossier_id,),
        )
        names = [column.name for column in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _settled(database: Database, dossier_id: str, count: int) -> bool:
    notices = _notices(database, dossier_id)
    return len(notices) == count and all(n["next_attempt_at"] is None for n in notices)


def _token(link: str) -> str:
    return link.rsplit("/l/", 1)[1]


def test_each_issued_version_reaches_the_citizen_once_with_a_link_to_that_version(
    platform: Platform, systems: Systems, database: Database
) -> None:
    dossier_id, command = _late_dossier(platform, systems)
    _issue(platform, dossier_id, REASON)
    wait_for(lambda: _settled(database, dossier_id, 1), timeout_s=45, what="the SMS")
    _issue(platform, dossier_id, REASON + " và Sở Tư pháp", days=None)
    wait_for(lambda: _settled(database, dossier_id, 2), timeout_s=45, what="the correction's SMS")
    first, second = _notices(database, dossier_id)
    assert [(n["letter_version"], n["channel"], n["state"]) for n in (first, second)] == [
        (1, "sms", "sent"),
        (2, "sms", "sent"),
    ]
    assert first["destination_masked"] == "09******78"

    hanoi = officer_client(platform, "truc.hanoi")
    public = httpx.Client(base_url=platform.deadlines, timeout=20)  # no sign-in
    for notice in (first, second):
        version = notice["letter_version"]
        opened = public.get(f"/l/{_token(notice['link'])}")
        assert opened.status_code == 200
        assert opened.headers["content-type"] == "application/pdf"
        assert opened.headers["cache-control"] == "no-store"
        board_pdf = hanoi.get(f"/board/dossiers/{dossier_id}/letter.pdf?version={version}")
        assert opened.content == board_pdf.content, f"the link serves version {version}"

    token = _token(first["link"])
    answers = [
        public.get(f"/l/{other}")
        for other in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a/b", token + "=")
    ]
    assert {a.status_code for a in answers} == {404}
    assert {a.headers["content-type"] for a in answers} == {PROBLEM_JSON}
    assert len({a.content for a in answers}) == 1, "every unknown link answers alike"
    assert command["applicant"]["phone"] not in json.dumps(_notices(database, dossier_id))
    assert metric(platform, "motcua_letter_notices_total") >= 2, "counted on the worker's port"


def test_an_email_citizen_gets_the_pdf_and_a_post_citizen_waits_for_the_print_batch(
    platform: Platform, systems: Systems, database: Database
) -> None:
    applicant = receive_command(systems.hanoi_commune)["applicant"] | {"email": EMAIL}
    by_mail, _ = _late_dossier(platform, systems, applicant=applicant, contact_preference="email")
    by_post, _ = _late_dossier(platform, systems, contact_preference="post")
    for dossier_id in (by_mail, by_post):
        _issue(platform, dossier_id, REASON)
    wait_for(lambda: _settled(database, by_mail, 1), timeout_s=45, what="the e-mail")
    wait_for(lambda: _settled(database, by_post, 1), timeout_s=45, what="the post notice")
    [mail] = _notices(database, by_mail)
    assert (mail["channel"], mail["state"]) == ("email", "sent")
    assert mail["attachment"].startswith("phieu-xin-loi-")
    assert mail["attachment"].endswith("-v1.pdf")
    [post] = _notices(database, by_post)
    assert (post["channel"], post["state"], post["link"]) == ("post", "queued", None)


def test_no_contact_in_deadlines_logs_or_events(
    platform: Platform, systems: Systems, database: Database
) -> None:
    """A citizen of this test's own, reached by e-mail: the worker's and the web's logs,
    and every delivery event deadlines staged for the dossier, name none of their phone,
    e-mail or address."""
    tag = uuid.uuid4().hex[:8]
    applicant = receive_command(systems.hanoi_commune)["applicant"] | {
        "phone": f"09{int(tag, 16) % 10**8:08d}",
        "email": f"khai.{tag}@example.vn",
        "address": f"Số 9 ngõ {tag} phố Hàng Bạc, Hoàn Kiếm, Hà Nội",
    }
    dossier_id, _ = _late_dossier(
        platform, systems, applicant=applicant, contact_preference="email"
    )
    _issue(platform, dossier_id, REASON)
    wait_for(lambda: _settled(database, dossier_id, 1), timeout_s=45, what="the e-mail")
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        events = [
            row[0]
            for row in conn.execute(
                "SELECT payload FROM outbox WHERE topic = 'motcua.apology-deliveries' "
                "AND message_key = %s",
                (dossier_id,),
            )
        ]
    assert [e["data"]["state"] for e in events] == ["sent"], "this citizen's notice was staged"
    staged = json.dumps(events, ensure_ascii=False)
    logs = platform.worker.log.read_text() + platform.web.log.read_text()
    for contact in (applicant["phone"], applicant["email"], applicant["address"]):
        assert contact not in staged
        assert contact not in logs
