"""The board after a merger, over HTTP against the real intake and worker: a dossier an old
commune received before the 2025 reform keeps that commune, and is on the board of the
commune that carries its work on (the reference data's successor), where its officer
acknowledges it and writes its letter; a commune beside it sees none of it."""

from __future__ import annotations

import uuid

import psycopg

from services.deadlines.officers import register_officer
from tests.conftest import Database
from tests.integration.conftest import Systems
from tests.integration.deadlines.conftest import (
    PASSWORD,
    Platform,
    board_json,
    officer_client,
    wait_for_item,
)
from tests.integration.deadlines.test_board_scoping import _receive


def _merged_communes(intake_url: str, province: str) -> tuple[str, str, str]:
    """(retired, successor, neighbour): an old commune of the province, the commune that
    carries it on, and another commune in service under the same province."""
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT old.code, old.successor_code, n.code FROM units old "
            "JOIN units n ON n.parent_code = %s AND n.level = 'commune' "
            "AND n.retired_on IS NULL AND n.code <> old.successor_code "
            "WHERE old.parent_code = %s AND old.level = 'commune' "
            "AND old.retired_on IS NOT NULL ORDER BY old.code, n.code LIMIT 1",
            (province, province),
        ).fetchone()
    assert row, f"the seed has no retired commune under {province}"
    return str(row[0]), str(row[1]), str(row[2])


def _officer_at(database: Database, unit: str) -> str:
    username = f"truc.{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database.service_urls["deadlines"]) as conn:
        register_officer(username, "Trực ban phường", unit, PASSWORD, db_session=conn)
    return username


def test_a_retired_communes_old_dossier_is_on_its_successors_board_and_no_one_elses(
    platform: Platform, systems: Systems, intake_url: str, database: Database
) -> None:
    retired, successor, neighbour = _merged_communes(intake_url, systems.hanoi_province)
    # Received in April 2025, before the commune was retired: accepted, and long overdue.
    received = _receive(platform, systems, retired)
    dossier_id, code = received.id, received.code

    carrier = officer_client(platform, _officer_at(database, successor))
    item = wait_for_item(carrier, code, dossier_id=dossier_id, letter_status="draft")
    assert item["unit_code"] == retired, "the dossier keeps the unit that received it"
    acknowledged = carrier.post(f"/board/dossiers/{dossier_id}/ack")
    assert acknowledged.status_code == 303, acknowledged.text
    assert board_json(carrier, code)[0]["acknowledged_by"], "the acknowledgement recorded"
    issued = carrier.post(
        f"/board/dossiers/{dossier_id}/letter",
        data={"reason": "Chờ xác minh của cơ quan khác", "extension_working_days": "3"},
    )
    assert issued.status_code == 303, issued.text
    wait_for_item(carrier, code, dossier_id=dossier_id, letter_status="issued")

    beside = officer_client(platform, _officer_at(database, neighbour))
    # The neighbour's board is read after the successor's showed the dossier: the worker
    # had it, and the neighbour is refused it, not too early to see it.
    assert board_json(beside, code) == []
    assert beside.get(f"/board/dossiers/{dossier_id}/letter").status_code == 404
    assert beside.post(f"/board/dossiers/{dossier_id}/ack").status_code == 404
