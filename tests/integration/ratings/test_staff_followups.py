"""The follow-ups page as a unit's head uses it: the comments to decide on first, then the
list with units and procedures by name, narrowed by standing, by a unit of the subtree and
by reason (what the page did not offer refused in Vietnamese), the tiles counting what the
filter leaves, and a confirmation on the list after closing one.

Each test works in units of its own (a random province and two districts), so its lists
hold only its own follow-ups."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from motcua.calendar import default_calendar
from motcua.identity import Role, TokenIssuer
from motcua.reference import ProcedureRef, StaticReference, UnitRef
from services.ratings.answers.rules import parse_answer
from services.ratings.answers.service import submit_with_token
from services.ratings.app import create_app
from services.ratings.models import Channel, Entry
from tests.conftest import Infra
from tests.integration.ratings.conftest import (
    PROCEDURE,
    Invited,
    csrf_of,
    happy_form,
    invite,
    settings_for,
    sign_in,
)

Signer = tuple[TokenIssuer, Path]
PROCEDURE_NAME = "Đăng ký thường trú"


@dataclass(frozen=True)
class Units:
    province: str
    first: str
    second: str

    @classmethod
    def new(cls) -> Units:
        tag = uuid.uuid4().hex[:5].upper()
        return cls(*(f"{tag[:3]}.{tag[3:]}.{n}.H26" for n in ("00", "31", "32")))

    def reference(self) -> StaticReference:
        return StaticReference(
            procedures=[ProcedureRef(PROCEDURE, PROCEDURE_NAME, "residence")],
            units=[
                UnitRef(self.province, "Công an tỉnh Thử nghiệm", (self.province,)),
                UnitRef(self.first, "Công an huyện Đông", (self.province, self.first)),
                UnitRef(self.second, "Công an huyện Tây", (self.province, self.second)),
            ],
        )


def answer(url: str, invited: Invited, comment: str | None = None, **levels: str) -> UUID | None:
    """The citizen's answer through the form's own service; the follow-up it opened."""
    form = happy_form(False, "2", **levels)
    overall = form.pop("overall")
    with psycopg.connect(url) as conn:
        recorded = submit_with_token(
            invited.token,
            lambda _: parse_answer(form, overall, comment, online=False),
            Entry(Channel.WEB),
            now=datetime.now(UTC),
            calendar=default_calendar(),
            db_session=conn,
        )
    return recorded.followup_id


def due_in(url: str, followup: UUID, delta: timedelta) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE rating_followups SET due_at = %s WHERE id = %s",
            (datetime.now(UTC) + delta, followup),
        )


@dataclass(frozen=True)
class World:
    units: Units
    on_time: Invited
    """First district, staff conduct: due in 15 working days."""
    overdue: Invited
    """First district, staff conduct: due yesterday."""
    due_soon: Invited
    """Second district, processing time: due in an hour."""
    commented: Invited
    """Second district, happy, with a comment nobody decided on."""
    followups: dict[str, UUID]


def world(url: str) -> World:
    units = Units.new()
    first, second = (units.province, units.first), (units.province, units.second)
    on_time, overdue = invite(url, unit_path=first), invite(url, unit_path=first)
    due_soon, commented = invite(url, unit_path=second), invite(url, unit_path=second)
    followups = {
        "on_time": answer(url, on_time, staff_conduct="0"),
        "overdue": answer(url, overdue, staff_conduct="0"),
        "due_soon": answer(url, due_soon, processing_time="0"),
    }
    assert answer(url, commented, "Nên niêm yết lệ phí ở cửa") is None
    opened = {key: value for key, value in followups.items() if value is not None}
    assert len(opened) == 3
    due_in(url, opened["overdue"], -timedelta(days=1))
    due_in(url, opened["due_soon"], timedelta(hours=1))
    return World(units, on_time, overdue, due_soon, commented, opened)


def use_reference(app: FastAPI, units: Units) -> None:
    """Intake's tree and catalogue as the page would have them, for this test's units."""
    app.state.ratings = replace(app.state.ratings, reference=units.reference())


@pytest.fixture
def app(infra: Infra, ratings_db: str, signer: Signer) -> FastAPI:
    return create_app(settings_for(infra, ratings_db, signer[1]))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def listed(html: str) -> list[str]:
    """The dossier codes of the follow-ups' list, in order."""
    rows = html.split('id="followup-rows"', 1)
    return re.findall(r'class="code" href="/staff/followups/[0-9a-f-]+">([^<]+)<', rows[-1])


def cell(html: str, label: str) -> list[str]:
    return re.findall(rf'<td data-label="{label}"[^>]*>([^<]*)<', html)


def test_the_list_shows_names_and_narrows_by_standing_unit_and_reason(
    app: FastAPI, client: TestClient, ratings_db: str, signer: Signer
) -> None:
    w = world(ratings_db)
    use_reference(app, w.units)
    sign_in(client, signer, w.units.province, Role.STAFF_ENTRY)

    page = client.get("/staff/followups").text
    assert listed(page) == [w.overdue.dossier_code, w.due_soon.dossier_code, w.on_time.dossier_code]
    assert set(cell(page, "Đơn vị")) == {"Công an huyện Đông", "Công an huyện Tây"}
    assert page.count(PROCEDURE_NAME) == 4  # three follow-ups and the comment
    assert page.index("Ý kiến cần quyết định") < page.index("Ý kiến đang chờ xử lý")
    assert "Nên niêm yết lệ phí ở cửa" in page
    for key, count in (("overdue", 1), ("due_soon", 1), ("open", 1)):
        tile = re.search(rf'id="count-{key}"[^>]*><span class="count">(\d+)<', page)
        assert tile, key
        assert int(tile.group(1)) == count, key
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', page)
    assert (w.units.first, "Công an huyện Đông") in options
    assert (w.units.province, "Công an tỉnh Thử nghiệm") in options

    def codes(**query: str) -> list[str]:
        answered = client.get("/staff/followups", params=query)
        assert answered.status_code == 200, answered.text
        return listed(answered.text)

    assert codes(state="overdue") == [w.overdue.dossier_code]
    assert codes(state="due_soon") == [w.due_soon.dossier_code]
    assert codes(state="open") == [w.on_time.dossier_code]
    assert codes(state="closed") == []
    assert codes(unit=w.units.second) == [w.due_soon.dossier_code]
    assert codes(reason="staff_conduct") == [w.overdue.dossier_code, w.on_time.dossier_code]
    assert codes(unit=w.units.first, reason="processing_time") == []
    assert codes(unit=w.units.province, state="overdue") == [w.overdue.dossier_code]
    narrowed = client.get("/staff/followups", params={"unit": w.units.first}).text
    assert re.search(r'id="count-due_soon"[^>]*><span class="count">0<', narrowed)
    assert 'href="/staff/followups?state=overdue&amp;unit=' in narrowed


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"state": "late"}, "Tình trạng đã chọn không có trong danh sách."),
        ({"unit": "000.00.00.H01"}, "Đơn vị đã chọn không thuộc phạm vi của bạn."),
        ({"reason": "fees"}, "Nội dung đã chọn không có trong danh sách."),
    ],
)
def test_a_filter_the_page_did_not_offer_is_refused_in_vietnamese(
    app: FastAPI,
    client: TestClient,
    ratings_db: str,
    signer: Signer,
    query: dict[str, str],
    error: str,
) -> None:
    w = world(ratings_db)
    use_reference(app, w.units)
    sign_in(client, signer, w.units.first, Role.STAFF_ENTRY)
    refused = client.get("/staff/followups", params=query)
    assert refused.status_code == 422
    assert f'<p class="error" role="alert" id="filter-error">{error}</p>' in refused.text
    assert listed(refused.text) == [w.overdue.dossier_code, w.on_time.dossier_code]


def test_closing_returns_to_the_list_with_a_confirmation(
    app: FastAPI, client: TestClient, ratings_db: str, signer: Signer
) -> None:
    w = world(ratings_db)
    use_reference(app, w.units)
    sign_in(client, signer, w.units.first, Role.UNIT_HEAD)
    followup = w.followups["overdue"]
    detail = client.get(f"/staff/followups/{followup}")
    assert '<dd id="unit">Công an huyện Đông</dd>' in detail.text
    assert f'<dd id="procedure">{PROCEDURE_NAME}</dd>' in detail.text
    closed = client.post(
        f"/staff/followups/{followup}/close",
        data={"action_taken": "Đã gọi điện xin lỗi", "csrf_token": csrf_of(detail.text)},
    )
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/staff/followups?closed_id={followup}"
    page = client.get(closed.headers["location"]).text
    notice = re.search(r'<p class="notice" role="status" id="closed-notice">([^<]+)', page)
    assert notice, "no confirmation"
    assert notice.group(1).startswith(f"Đã đóng phản ánh về hồ sơ {w.overdue.dossier_code}")
    assert f'href="/staff/followups/{followup}"' in page
    assert listed(page) == [w.on_time.dossier_code]

    for other in (w.followups["on_time"], uuid.uuid4(), "not-an-id"):  # open, unknown, junk
        assert 'id="closed-notice"' not in client.get(f"/staff/followups?closed_id={other}").text
    sign_in(client, signer, w.units.second, Role.UNIT_HEAD)  # another district's officer
    assert 'id="closed-notice"' not in client.get(closed.headers["location"]).text


def test_a_closed_follow_up_names_who_closed_it_and_an_old_one_its_login(
    app: FastAPI, client: TestClient, ratings_db: str, signer: Signer
) -> None:
    w = world(ratings_db)
    use_reference(app, w.units)
    head = sign_in(client, signer, w.units.first, Role.UNIT_HEAD)
    followup = w.followups["overdue"]
    detail = client.get(f"/staff/followups/{followup}")
    client.post(
        f"/staff/followups/{followup}/close",
        data={"action_taken": "Đã gọi điện xin lỗi", "csrf_token": csrf_of(detail.text)},
    )
    closed = client.get(f"/staff/followups/{followup}").text
    by = re.search(r'<dd id="closed-by">([^<]+)', closed)
    assert by, "no closer on the closed follow-up"
    assert by.group(1).startswith("Cán bộ &lt;thử&gt; · ")
    assert head.username not in closed
    with psycopg.connect(ratings_db) as conn:  # closed before names were recorded
        conn.execute("UPDATE rating_followups SET closed_by_name = NULL WHERE id = %s", (followup,))
    old = re.search(r'<dd id="closed-by">([^<]+)', client.get(f"/staff/followups/{followup}").text)
    assert old, "no closer on the old follow-up"
    assert old.group(1).startswith(f"{head.username} · ")
