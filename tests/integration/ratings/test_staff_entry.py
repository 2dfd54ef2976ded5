"""Answers staff enter behind the one sign-in, and the follow-ups of unhappy ones: kiosk,
paper (serials, invalid forms) and phone; the subtree; the roles; closing a follow-up and
the citizen's rating of how it was handled."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from fastapi.testclient import TestClient

from motcua.identity import TOKEN_COOKIE, Role, TokenIssuer
from tests.integration.ratings.conftest import (
    DISTRICT,
    OTHER_PROVINCE,
    PROVINCE,
    Invited,
    csrf_of,
    happy_form,
    invite,
    outbox_events,
    sign_in,
)

Signer = tuple[TokenIssuer, Path]


def _enter(client: TestClient, mode: str, code: str, form: dict[str, str]) -> tuple[int, str, str]:
    page = client.get(f"/staff/{mode}", params={"dossier": code})
    assert page.status_code == 200, page.text
    response = client.post(f"/staff/{mode}/{code}", data={**form, "csrf_token": csrf_of(page.text)})
    return response.status_code, response.headers.get("location", ""), response.text


def _row(url: str, dossier_id: uuid.UUID) -> tuple[tuple[Any, ...], ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT channel, entered_by, staff_present, valid, invalid_reason, paper_serial "
            "FROM ratings WHERE dossier_id = %s ORDER BY submitted_at",
            (dossier_id,),
        ).fetchall()
    return tuple(row)


def _rating_id(url: str, invited: Invited) -> uuid.UUID:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM ratings WHERE dossier_id = %s AND valid", (invited.dossier_id,)
        ).fetchone()
    assert row, "no rating stored"
    return uuid.UUID(str(row[0]))


def test_the_kiosk_opens_the_citizen_form_for_the_dossier_and_records_who_and_staff(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    officer = sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    invited = invite(ratings_db)
    page = client.get("/staff/kiosk", params={"dossier": invited.dossier_code.lower()})
    assert page.status_code == 200
    assert "Gửi đánh giá" in page.text
    assert 'class="public"' in page.text
    status, location, _ = _enter(client, "kiosk", invited.dossier_code, happy_form())
    assert (status, location) == (
        303,
        f"/staff/kiosk/done?rating={_rating_id(ratings_db, invited)}",
    )
    assert "trả máy cho cán bộ" in client.get(location).text
    assert _row(ratings_db, invited.dossier_id) == (
        ("kiosk", officer.username, True, True, None, None),
    )
    event = outbox_events(ratings_db, invited.dossier_id)[0]["data"]
    assert (event["channel"], event["staff_present"]) == ("kiosk", True)
    again = client.get("/staff/kiosk", params={"dossier": invited.dossier_code})
    assert again.status_code == 409


GRANT_INPUT = re.compile(r'name="entry_grant" value="([^"]+)"')


def test_a_form_opened_before_the_sign_in_ran_out_is_still_saved_for_its_officer(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    officer = sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    kept, forged = invite(ratings_db), invite(ratings_db)
    pages = {
        invited.dossier_code: client.get("/staff/kiosk", params={"dossier": invited.dossier_code})
        for invited in (kept, forged)
    }
    client.cookies.delete(TOKEN_COOKIE)  # the ten-minute token ran out at the counter

    page = pages[forged.dossier_code].text
    grant = GRANT_INPUT.search(page)
    assert grant is not None
    payload, mac = grant.group(1).rsplit(".", 1)
    response = client.post(
        f"/staff/kiosk/{forged.dossier_code}",
        data={**happy_form(), "csrf_token": csrf_of(page), "entry_grant": f"{payload}.x{mac}"},
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.netloc == "deadlines.test"
    assert parse_qs(location.query)["next"] == [
        f"http://testserver/staff/kiosk?dossier={forged.dossier_code}"
    ]
    assert _row(ratings_db, forged.dossier_id) == ()

    page = pages[kept.dossier_code].text
    grant = GRANT_INPUT.search(page)
    assert grant is not None
    response = client.post(
        f"/staff/kiosk/{kept.dossier_code}",
        data={**happy_form(), "csrf_token": csrf_of(page), "entry_grant": grant.group(1)},
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/staff/kiosk/done?rating={_rating_id(ratings_db, kept)}",
    )
    assert _row(ratings_db, kept.dossier_id) == (
        ("kiosk", officer.username, True, True, None, None),
    )
    forged_page = pages[forged.dossier_code].text
    again = client.post(
        f"/staff/kiosk/{forged.dossier_code}",
        data={**happy_form(), "csrf_token": csrf_of(forged_page), "entry_grant": grant.group(1)},
    )
    assert again.status_code == 303  # a grant is for its own form only
    assert "deadlines.test" in again.headers["location"]
    assert _row(ratings_db, forged.dossier_id) == ()


def test_a_dossier_outside_the_officers_subtree_is_404(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    sign_in(client, signer, OTHER_PROVINCE, Role.STAFF_ENTRY, Role.UNIT_HEAD)
    invited = invite(ratings_db)
    for mode in ("kiosk", "paper", "phone"):
        page = client.get(f"/staff/{mode}", params={"dossier": invited.dossier_code})
        assert page.status_code == 404
        assert "trong phạm vi đơn vị của bạn" in page.text


def test_paper_forms_valid_invalid_and_a_serial_used_twice(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    sign_in(client, signer, DISTRICT, Role.STAFF_ENTRY)
    serial = f"PX-{uuid.uuid4().hex[:8]}"
    invalid = invite(ratings_db)
    status, location, _ = _enter(
        client,
        "paper",
        invalid.dossier_code,
        {"paper_serial": serial + "-A", "validity": "several_levels"},
    )
    assert status == 303
    assert "invalid=1" in location
    assert "không tính vào kết quả" in client.get(location).text
    first = invite(ratings_db)
    status, _, _ = _enter(
        client,
        "paper",
        first.dossier_code,
        {**happy_form(), "paper_serial": serial.lower(), "validity": "valid", "staff_present": "1"},
    )
    assert status == 303
    second = invite(ratings_db)
    status, _, html = _enter(
        client, "paper", second.dossier_code, {**happy_form(), "paper_serial": serial}
    )
    assert status == 409
    assert "Số sê-ri này đã được nhập" in html
    rows = _row(ratings_db, invalid.dossier_id)
    assert rows[0][3:] == (False, "several_levels", serial.upper() + "-A")
    assert _row(ratings_db, first.dossier_id)[0][2:] == (True, True, None, serial.upper())
    assert _row(ratings_db, second.dossier_id) == ()
    invalid_event = outbox_events(ratings_db, invalid.dossier_id)[0]["data"]
    assert invalid_event["valid"] is False
    assert invalid_event["invalid_reason"] == "several_levels"
    assert invalid_event["scores"] == {}
    # An invalid form leaves the invitation open: the citizen may still rate.
    status, _, _ = _enter(client, "phone", invalid.dossier_code, happy_form())
    assert status == 303


def test_a_paper_form_without_serial_or_levels_comes_back_with_the_errors(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    sign_in(client, signer, PROVINCE, Role.UNIT_HEAD)
    invited = invite(ratings_db)
    status, _, html = _enter(client, "paper", invited.dossier_code, {"validity": "valid"})
    assert status == 422
    assert 'href="#paper_serial"' in html
    assert 'href="#processing_time"' in html


def test_phone_entry_is_flagged_and_a_leader_may_not_enter(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    officer = sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    invited = invite(ratings_db)
    status, _, _ = _enter(client, "phone", invited.dossier_code, happy_form())
    assert status == 303
    assert _row(ratings_db, invited.dossier_id)[0][:3] == ("phone", officer.username, True)
    sign_in(client, signer, PROVINCE, Role.LEADER)
    assert client.get("/staff/paper").status_code == 403
    assert client.get("/staff/followups").status_code == 200


def test_an_unhappy_answer_opens_a_follow_up_the_head_closes_and_the_citizen_rates(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    invited = invite(ratings_db, contact_preference="zalo")
    page = client.get(f"/r/{invited.token}")
    form = happy_form(comment="Cán bộ <b>thiếu</b> hướng dẫn", staff_conduct="0")
    posted = client.post(f"/r/{invited.token}", data={**form, "csrf_token": csrf_of(page.text)})
    assert posted.status_code == 303
    assert "thủ trưởng đơn vị" in client.get(posted.headers["location"]).text

    sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    listing = client.get("/staff/followups")
    assert listing.status_code == 200
    link = re.search(rf'href="(/staff/followups/[0-9a-f-]+)">{invited.dossier_code}<', listing.text)
    assert link, "the follow-up is not listed"
    detail = client.get(link.group(1))
    assert "Cán bộ &lt;b&gt;thiếu&lt;/b&gt; hướng dẫn" in detail.text
    assert "Chỉ thủ trưởng đơn vị đóng được ý kiến." in detail.text
    refused = client.post(f"{link.group(1)}/close", data={"action_taken": "x"})
    assert refused.status_code == 403

    head = sign_in(client, signer, PROVINCE, Role.UNIT_HEAD)
    detail = client.get(link.group(1))
    empty = client.post(
        f"{link.group(1)}/close", data={"action_taken": " ", "csrf_token": csrf_of(detail.text)}
    )
    assert empty.status_code == 422
    closed = client.post(
        f"{link.group(1)}/close",
        data={
            "action_taken": "Đã nhắc nhở cán bộ, gọi điện xin lỗi công dân",
            "csrf_token": csrf_of(detail.text),
        },
    )
    assert closed.status_code == 303
    shown = client.get(link.group(1)).text
    assert "Đã nhắc nhở cán bộ" in shown
    assert "Cán bộ &lt;thử&gt;" in shown  # the head who closed it, by name (was their login)
    with psycopg.connect(ratings_db) as conn:  # the login is still kept, beside the name
        by = conn.execute(
            "SELECT closed_by, closed_by_name FROM rating_followups WHERE dossier_code = %s",
            (invited.dossier_code,),
        ).fetchone()
    assert by == (head.username, head.display_name)
    twice = client.post(
        f"{link.group(1)}/close", data={"action_taken": "lại", "csrf_token": csrf_of(detail.text)}
    )
    assert twice.status_code == 409

    types = [e["type"] for e in outbox_events(ratings_db, invited.dossier_id)]
    assert types == [
        "vn.motcua.rating.submitted.v1",
        "vn.motcua.rating.followup_opened.v1",
        "vn.motcua.rating.followup_closed.v1",
    ]
    closed_event = outbox_events(ratings_db, invited.dossier_id)[-1]["data"]
    assert closed_event["notify"] == "zalo"
    assert closed_event["on_time"] is True
    assert "Đã nhắc nhở" not in str(closed_event)

    client.cookies.clear()
    ask = client.get(f"/r/{invited.token}")
    assert ask.status_code == 200
    assert "Đánh giá việc xử lý ý kiến" in ask.text
    rated = client.post(
        f"/r/{invited.token}/handling", data={"handling": "1", "csrf_token": csrf_of(ask.text)}
    )
    assert rated.status_code == 200
    assert client.get(f"/r/{invited.token}").status_code == 409


def test_staff_mark_a_happy_answers_comment_as_a_complaint(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    invited = invite(ratings_db)
    page = client.get(f"/r/{invited.token}")
    form = happy_form(comment="Đề nghị niêm yết phí rõ hơn")
    client.post(f"/r/{invited.token}", data={**form, "csrf_token": csrf_of(page.text)})
    sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    listing = client.get("/staff/followups")
    found = re.search(r'action="(/staff/ratings/[0-9a-f-]+/complaint)"', listing.text)
    assert found
    assert "Đề nghị niêm yết phí rõ hơn" in listing.text
    with psycopg.connect(ratings_db) as conn:
        rating = conn.execute(
            "SELECT id FROM ratings WHERE dossier_id = %s", (invited.dossier_id,)
        ).fetchone()
    assert rating
    marked = client.post(
        f"/staff/ratings/{rating[0]}/complaint", data={"csrf_token": csrf_of(listing.text)}
    )
    assert marked.status_code == 303
    opened = outbox_events(ratings_db, invited.dossier_id)[-1]
    assert opened["type"] == "vn.motcua.rating.followup_opened.v1"
    assert opened["data"]["reasons"] == ["complaint"]
    no_csrf = client.post(f"/staff/ratings/{rating[0]}/complaint", data={})
    assert no_csrf.status_code == 403


def test_an_answer_appears_on_the_staff_side_of_its_subtree_only(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    officer = sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    invited = invite(ratings_db)
    status, _, _ = _enter(client, "kiosk", invited.dossier_code, happy_form())
    assert status == 303
    listed = client.get("/staff/ratings")
    assert listed.status_code == 200
    row = re.search(
        rf"<tr>(?:(?!</tr>).)*{re.escape(invited.dossier_code)}.*?</tr>", listed.text, re.S
    )
    assert row, "the kiosk answer is not on the staff list"
    assert "Kiosk tại quầy" in row.group(0)
    assert "có cán bộ bên cạnh" in row.group(0)
    assert "Rất hài lòng" in row.group(0)
    assert "Cán bộ &lt;thử&gt;" in row.group(0)  # who entered it, by name
    assert officer.username not in row.group(0)
    sign_in(client, signer, OTHER_PROVINCE, Role.STAFF_ENTRY)
    assert invited.dossier_code not in client.get("/staff/ratings").text


def test_an_answer_entered_before_names_were_recorded_shows_the_login(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    officer = sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    invited = invite(ratings_db)
    assert _enter(client, "kiosk", invited.dossier_code, happy_form())[0] == 303
    with psycopg.connect(ratings_db) as conn:
        conn.execute(
            "UPDATE ratings SET entered_by_name = NULL WHERE dossier_id = %s", (invited.dossier_id,)
        )
    listed = client.get("/staff/ratings").text
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(invited.dossier_code)}.*?</tr>", listed, re.S)
    assert row, "the kiosk answer is not on the staff list"
    assert f">{officer.username}<" in row.group(0)


def test_a_citizens_own_answer_is_listed_as_theirs_in_vietnamese(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    invited = invite(ratings_db)
    page = client.get(f"/r/{invited.token}")
    client.post(f"/r/{invited.token}", data={**happy_form(), "csrf_token": csrf_of(page.text)})
    sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    listed = client.get("/staff/ratings").text
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(invited.dossier_code)}.*?</tr>", listed, re.S)
    assert row, "the citizen's answer is not on the staff list"
    assert "Công dân tự đánh giá" in row.group(0)
    assert ">citizen<" not in row.group(0)


def test_an_invalid_paper_form_asks_its_reason_once_and_no_levels(
    client: TestClient, ratings_db: str, signer: Signer
) -> None:
    sign_in(client, signer, PROVINCE, Role.STAFF_ENTRY)
    invited = invite(ratings_db)
    page = client.get("/staff/paper", params={"dossier": invited.dossier_code})
    assert page.text.count("Phiếu không hợp lệ, vì:") == 1
    assert '<div class="answers">' in page.text
    status, _, html = _enter(client, "paper", invited.dossier_code, {"validity": "unreadable"})
    assert status == 422  # the serial is missing; the levels are not asked
    assert 'href="#paper_serial"' in html
    assert 'href="#processing_time"' not in html
    assert '<div class="answers" hidden>' in html
    assert 'id="validity-unreadable" checked' in html
    forged = client.post(
        f"/staff/paper/{invited.dossier_code}",
        data={"paper_serial": "PX-1", "validity": "torn", "csrf_token": csrf_of(page.text)},
    )
    assert forged.status_code == 422
    assert 'id="invalid_reason-error"' in forged.text  # under its own heading
