"""Applicants' personal data over its life, on the real PostgreSQL: anonymisation after
retention (holds honoured, figures untouched), data-subject requests, the receipt after
anonymisation, and intake's audit trail (never naming a citizen).

Old dossiers are made by moving a fresh dossier's state and closing instant back in SQL:
the retention counts from there, and walking each through its transitions would add
nothing to what these tests prove.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from motcua.audit import ActorKind
from motcua.identity import Officer, Role, TokenIssuer
from services.deadlines.letters.intake_client import IntakeDirectory
from services.intake import manage
from services.intake.app import create_app
from services.intake.dossier.receipt import ANONYMISED
from services.intake.personal.anonymise import anonymise_past_retention
from services.intake.personal.retention import RetentionPolicy
from tests.conftest import Infra
from tests.integration.conftest import Systems, auth, new_procedure, receive_command, wait_for
from tests.integration.intake.conftest import intake_settings
from tests.live_server import live_server

HASH_KEY = "test-subject-key"
POLICY = RetentionPolicy(result_years=10, refused_years=5)
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def admin_client(
    infra: Infra, intake_url: str, signer: tuple[TokenIssuer, Path]
) -> Iterator[TestClient]:
    settings = intake_settings(
        infra,
        intake_url,
        inbound_enabled=False,
        subject_hash_key=HASH_KEY,
        anonymisation_interval_s=0,
        officer_token_public_key_file=str(signer[1]),
    )
    with TestClient(create_app(settings)) as client:
        yield client


PEOPLE: list[tuple[str, str]] = []
"""Every person this module made: no audit entry may name one of them."""


def _person() -> tuple[str, str]:
    """A fresh ID number and name of the test's own."""
    person = f"{random.randrange(10**11, 10**12)}", f"Người Thử {uuid.uuid4().hex[:8]}"
    PEOPLE.append(person)
    return person


def _receive(client: TestClient, systems: Systems, id_number: str, name: str) -> str:
    command = receive_command(
        systems.hanoi_commune,
        applicant={
            "full_name": name,
            "id_number": id_number,
            "phone": "0912000111",
            "email": "thu@example.vn",
            "address": "1 phố Thử, Hà Nội",
        },
    )
    response = client.post("/v1/dossiers", json=command, headers=auth(systems.hanoi))
    assert response.status_code == 201, response.text
    return str(response.json()["dossier_code"])


def _close(intake_url: str, code: str, state: str, closed: str) -> None:
    with psycopg.connect(intake_url) as conn:
        conn.execute(
            "UPDATE dossiers SET state = %s, last_event_at = %s WHERE code = %s",
            (state, closed, code),
        )


def _applicant(intake_url: str, code: str) -> dict[str, Any]:
    with psycopg.connect(intake_url, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT a.full_name, a.id_number, a.phone, a.email, a.address, a.kind, a.ref, "
            "a.anonymised_at, a.restricted_at FROM applicants a "
            "JOIN dossiers d ON d.applicant_ref = a.ref WHERE d.code = %s",
            (code,),
        ).fetchone()
    assert row
    return row


def _snapshot(intake_url: str) -> tuple[Any, ...]:
    """Every row that dossiers, timelines and every figure come from, and the outbox."""
    with psycopg.connect(intake_url) as conn:
        dossiers = conn.execute("SELECT * FROM dossiers ORDER BY id").fetchall()
        timeline = conn.execute("SELECT * FROM dossier_events ORDER BY id").fetchall()
        outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()
        applicants = conn.execute("SELECT count(*), array_agg(ref ORDER BY ref) FROM applicants")
        return dossiers, timeline, outbox, applicants.fetchone()


def _counts(intake_url: str) -> tuple[int, ...]:
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM subject_requests), (SELECT count(*) FROM legal_holds), "
            "(SELECT count(*) FROM audit_log), "
            "(SELECT count(*) FROM applicants WHERE restricted_at IS NOT NULL)"
        ).fetchone()
    assert row
    return tuple(row)


def _anonymise(intake_url: str) -> int:
    with psycopg.connect(intake_url) as conn:
        report = anonymise_past_retention(
            POLICY, HASH_KEY.encode(), actor="test", actor_kind=ActorKind.ADMIN, db_session=conn
        )
    assert report.ran
    return report.applicants


def test_anonymisation_after_retention_keeps_every_dossier_and_figure(
    admin_client: TestClient, systems: Systems, intake_url: str
) -> None:
    (old_id, old_name), (held_id, held_name), (young_id, young_name) = (_person() for _ in "abc")
    old = [_receive(admin_client, systems, old_id, old_name) for _ in range(2)]
    held = _receive(admin_client, systems, held_id, held_name)
    young = [_receive(admin_client, systems, young_id, young_name) for _ in range(2)]
    _close(intake_url, old[0], "returned", "2012-03-01T09:00:00+07:00")
    _close(intake_url, old[1], "withdrawn", "2019-03-01T09:00:00+07:00")
    _close(intake_url, held, "completed", "2012-03-01T09:00:00+07:00")
    _close(intake_url, young[0], "returned", "2012-03-01T09:00:00+07:00")  # young[1] is open
    hold = admin_client.post(
        "/v1/legal-holds",
        json={"id_number": held_id, "reason": "Thanh tra số 12/2026"},
        headers=auth(systems.admin),
    )
    assert hold.status_code == 201, hold.text
    before = _snapshot(intake_url)

    assert _anonymise(intake_url) >= 2

    assert _snapshot(intake_url) == before
    for code in old:
        row = _applicant(intake_url, code)
        assert [row[f] for f in ("full_name", "id_number", "phone", "email", "address")] == [
            "",
            None,
            None,
            None,
            None,
        ]
        assert row["anonymised_at"] is not None
        assert row["kind"] == "citizen"
    assert _applicant(intake_url, held)["full_name"] == held_name
    assert {_applicant(intake_url, c)["id_number"] for c in young} == {young_id}
    assert _anonymise(intake_url) == 0  # idempotent

    receipt = admin_client.get(f"/v1/dossiers/{old[0]}/receipt", headers=auth(systems.hanoi))
    assert receipt.status_code == 200, receipt.text
    body = receipt.json()["receipt"]
    assert body["applicant_anonymised"] is True
    assert body["applicant_name"] == ANONYMISED
    assert body["applicant_phone"] is None
    assert body["applicant_address"] is None
    pdf = admin_client.get(
        f"/v1/dossiers/{old[0]}/receipt",
        headers={**auth(systems.hanoi), "Accept": "application/pdf"},
    )
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    lifted = admin_client.post(
        f"/v1/legal-holds/{hold.json()['id']}/lift",
        json={"reason": "Kết thúc thanh tra"},
        headers=auth(systems.admin),
    )
    assert lifted.status_code == 200, lifted.text
    assert _anonymise(intake_url) >= 1
    assert _applicant(intake_url, held)["anonymised_at"] is not None
    with psycopg.connect(intake_url) as conn:
        audited = conn.execute(
            "SELECT action FROM audit_log WHERE record_id = %s ORDER BY seq", (hold.json()["id"],)
        ).fetchall()
        runs = conn.execute(
            "SELECT actor_kind, details FROM audit_log WHERE action = 'anonymisation.run' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert audited == [("hold.set",), ("hold.lifted",)]
    assert runs is not None
    assert runs[0] == "admin"
    assert runs[1]["applicants"] >= 1


def test_access_lists_exactly_what_intake_holds_about_the_person(
    admin_client: TestClient, systems: Systems, intake_url: str
) -> None:
    (id_number, name), (other_id, other_name) = _person(), _person()
    codes = {_receive(admin_client, systems, id_number, name) for _ in range(2)}
    _receive(admin_client, systems, other_id, other_name)
    response = admin_client.post(
        "/v1/subject-requests/access", json={"id_number": id_number}, headers=auth(systems.admin)
    )
    assert response.status_code == 200, response.text
    export = response.json()
    with psycopg.connect(intake_url) as conn:
        held = conn.execute(
            "SELECT d.code, a.full_name, a.id_number, a.phone, a.email, a.address "
            "FROM applicants a JOIN dossiers d ON d.applicant_ref = a.ref "
            "WHERE a.id_number = %s ORDER BY d.code",
            (id_number,),
        ).fetchall()
        logged = conn.execute(
            "SELECT kind, outcome, subject_hash FROM subject_requests WHERE id = %s",
            (export["request_id"],),
        ).fetchone()
    fields = ("dossier_code", "full_name", "id_number", "phone", "email", "address")
    assert sorted(tuple(d[f] for f in fields) for d in export["dossiers"]) == held
    assert {d["dossier_code"] for d in export["dossiers"]} == codes
    assert other_name not in response.text
    assert other_id not in response.text
    assert all(d["documents"] for d in export["dossiers"])
    assert logged
    assert logged[:2] == ("access", "ok")
    assert id_number.encode() not in bytes(logged[2])


def test_correct_restrict_and_erase_are_answered_and_logged(
    admin_client: TestClient, systems: Systems, intake_url: str
) -> None:
    id_number, name = _person()
    code = _receive(admin_client, systems, id_number, name)
    admin = auth(systems.admin)
    corrected = admin_client.post(
        "/v1/subject-requests/correct",
        json={"id_number": id_number, "phone": "0987654321", "reason": "Đơn đề nghị ngày 1/3"},
        headers=admin,
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["fields"] == ["phone"]
    assert _applicant(intake_url, code)["phone"] == "0987654321"
    restricted = admin_client.post(
        "/v1/subject-requests/restrict",
        json={"id_number": id_number, "reason": "Đơn đề nghị ngày 2/3"},
        headers=admin,
    )
    assert restricted.status_code == 200, restricted.text
    assert _applicant(intake_url, code)["restricted_at"] is not None

    refused = admin_client.post(
        "/v1/subject-requests/erase", json={"id_number": id_number}, headers=admin
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert code in refused.json()["detail"]
    assert refused.json()["field"] == "id_number"
    assert _applicant(intake_url, code)["full_name"] == name

    _close(intake_url, code, "rejected", "2015-01-05T10:00:00+07:00")
    erased = admin_client.post(
        "/v1/subject-requests/erase", json={"id_number": id_number}, headers=admin
    )
    assert erased.status_code == 200, erased.text
    assert _applicant(intake_url, code)["anonymised_at"] is not None
    with psycopg.connect(intake_url) as conn:
        log = conn.execute(
            "SELECT kind, outcome FROM subject_requests WHERE id = ANY(%s) ORDER BY at",
            (
                [
                    uuid.UUID(r.json()["request_id"])
                    for r in (corrected, restricted, refused, erased)
                ],
            ),
        ).fetchall()
        audit = conn.execute(
            "SELECT action, outcome FROM audit_log WHERE record_id = ANY(%s) ORDER BY seq",
            ([r.json()["request_id"] for r in (corrected, restricted, refused, erased)],),
        ).fetchall()
    expected = [("correct", "ok"), ("restrict", "ok"), ("erase", "refused"), ("erase", "ok")]
    assert log == expected
    assert audit == [(f"subject.{kind}", outcome) for kind, outcome in expected]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/subject-requests/access", {"id_number": "12ab"}, "id_number"),
        ("/v1/subject-requests/correct", {"id_number": "001190099999", "reason": "x"}, "body"),
        ("/v1/subject-requests/correct", {"id_number": "001190099999", "phone": "1"}, "phone"),
        (
            "/v1/subject-requests/correct",
            {"id_number": "001190099999", "full_name": None, "reason": "x"},
            "full_name",
        ),
        ("/v1/subject-requests/restrict", {"id_number": "001190099999"}, "reason"),
        ("/v1/legal-holds", {"id_number": "001190099999", "reason": "x", "extra": 1}, "extra"),
        ("/v1/subject-requests/erase", {"id_number": "000000000001"}, "id_number"),
        ("/v1/legal-holds/00000000-0000-4000-8000-000000000000/lift", {"reason": "x"}, "hold_id"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    admin_client: TestClient,
    systems: Systems,
    intake_url: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    before = _counts(intake_url)
    response = admin_client.post(path, json=body, headers=auth(systems.admin))
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == PROBLEM
    assert field in response.text
    assert _counts(intake_url) == before
    not_admin = admin_client.post(path, json=body, headers=auth(systems.hanoi))
    assert not_admin.status_code == 403
    assert _counts(intake_url) == before


def test_audit_trail_records_intake_actions_for_inspectors_and_names_no_citizen(
    admin_client: TestClient,
    systems: Systems,
    intake_url: str,
    signer: tuple[TokenIssuer, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    procedure = new_procedure()
    changed = admin_client.put(
        f"/v1/procedures/{procedure['code']}", json=procedure, headers=auth(systems.admin)
    )
    assert changed.status_code == 200, changed.text
    monkeypatch.setenv("DATABASE_URL", intake_url)
    name = f"audit-test-{uuid.uuid4().hex[:6]}"
    assert manage.main(["register-system", name, systems.hanoi_province]) == 0
    assert manage.main(["revoke-system", name]) == 0
    assert manage.main(["verify-audit"]) == 0
    assert "audit log intact" in capsys.readouterr().out

    with psycopg.connect(intake_url) as conn:
        root = conn.execute("SELECT code FROM units WHERE parent_code IS NULL").fetchone()
        people = (
            PEOPLE
            + conn.execute(
                "SELECT id_number, full_name FROM applicants WHERE id_number IS NOT NULL"
            ).fetchall()
        )
        text = conn.execute("SELECT string_agg(record_id || details::text, ' ') FROM audit_log")
        logged = text.fetchone()
    assert root
    assert logged
    assert not [p for p in people if p[0] in logged[0] or p[1] in logged[0]]

    issuer = signer[0]
    inspector = issuer.issue(Officer("tt1", "Thanh tra", root[0], frozenset({Role.INSPECTOR})))
    officer = issuer.issue(Officer("cb1", "Cán bộ", root[0]))
    url = "/v1/audit?limit=1000"
    entries = admin_client.get(url, headers=auth(inspector)).json()["entries"]
    seen = {(e["action"], e["record_id"]) for e in entries}
    assert ("procedure.changed", procedure["code"]) in seen
    assert {("key.registered", name), ("key.revoked", name)} <= seen
    assert admin_client.get(url).status_code == 401
    assert admin_client.get(url, headers=auth(officer)).status_code == 403

    page = admin_client.get("/audit", params={"record_id": name}, headers=auth(inspector))
    assert page.status_code == 200
    assert "Nhật ký thao tác" in page.text
    assert "Cấp khoá hệ thống" in page.text
    assert "Thu hồi khoá hệ thống" in page.text
    logs = re.findall(r'<li><a href="([^"]+/audit)"( aria-current="page")?>', page.text)
    assert [href.rsplit("/", 2)[-2:] for href, _ in logs] == [
        ["127.0.0.1:8001", "audit"],
        ["board", "audit"],
        ["staff", "audit"],
        ["reports", "audit"],
    ]
    assert [bool(current) for _, current in logs] == [True, False, False, False]
    with psycopg.connect(intake_url) as conn:
        root_name = conn.execute("SELECT name FROM units WHERE code = %s", root).fetchone()
    assert root_name
    assert f"Đơn vị {root_name[0]}" in page.text
    nobody = admin_client.get("/audit", follow_redirects=False)
    assert nobody.status_code == 303
    assert "/auth/continue?next=" in nobody.headers["location"]
    refused = admin_client.get("/audit", headers=auth(officer))
    assert refused.status_code == 403
    assert "chỉ dành cho cán bộ thanh tra" in refused.text


def test_a_letter_reprinted_after_erasure_names_the_anonymised_applicant_so(
    admin_client: TestClient, systems: Systems, intake_url: str, infra: Infra
) -> None:
    """Deadlines asks intake for the addressee when it renders a letter: an anonymised
    applicant reaches it as the words that say so, not as an error."""
    id_number, name = _person()
    code = _receive(admin_client, systems, id_number, name)
    _close(intake_url, code, "withdrawn", "2014-06-02T08:00:00+07:00")
    erased = admin_client.post(
        "/v1/subject-requests/erase", json={"id_number": id_number}, headers=auth(systems.admin)
    )
    assert erased.status_code == 200, erased.text
    app = create_app(intake_settings(infra, intake_url, inbound_enabled=False))
    with live_server(app) as base_url:
        who = asyncio.run(IntakeDirectory(base_url, systems.hanoi).particulars(code))
    assert who.citizen_name == ANONYMISED
    assert who.citizen_address is None


def test_the_process_anonymises_on_its_own_and_one_run_at_a_time(
    admin_client: TestClient, systems: Systems, intake_url: str, infra: Infra
) -> None:
    id_number, name = _person()
    code = _receive(admin_client, systems, id_number, name)
    _close(intake_url, code, "returned", "2011-09-09T09:00:00+07:00")
    with psycopg.connect(intake_url) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('motcua.intake.anonymisation'))")
        with psycopg.connect(intake_url) as conn:
            busy = anonymise_past_retention(
                POLICY, HASH_KEY.encode(), actor="t", actor_kind=ActorKind.ADMIN, db_session=conn
            )
        assert not busy.ran
        assert _applicant(intake_url, code)["anonymised_at"] is None
    settings = intake_settings(
        infra,
        intake_url,
        inbound_enabled=False,
        subject_hash_key=HASH_KEY,
        anonymisation_interval_s=0.1,
    )
    with TestClient(create_app(settings)):
        wait_for(
            lambda: _applicant(intake_url, code)["anonymised_at"] is not None,
            timeout_s=30,
            what="the scheduled run anonymises the applicant",
        )
    with psycopg.connect(intake_url) as conn:
        run = conn.execute(
            "SELECT actor_kind FROM audit_log WHERE action = 'anonymisation.run' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert run == ("scheduler",)
