"""Personal data in intake's tables: who is past retention, holds, the subject's records,
and the request log. Every query of a person goes by ID number across their applicant
rows (one per dossier unless ``APPLICANT_REF_KEY`` makes them one per person)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.intake.personal.retention import REFUSED_STATES, RESULT_STATES

PERSONAL_FIELDS = ("full_name", "id_number", "phone", "email", "address")
"""What anonymisation replaces: every field naming or reaching the person."""
CORRECTABLE = ("full_name", "phone", "email", "address")
"""What a correction may change: the ID number is how the person is found, so a wrong one
is put right by the upstream case system that keyed it."""
_PASSED = (
    "((d.state = ANY(%(result_states)s) AND d.last_event_at < %(result_before)s) OR "
    "(d.state = ANY(%(refused_states)s) AND d.last_event_at < %(refused_before)s))"
)


@dataclass(frozen=True)
class Subject:
    """One person's applicant rows, all of whose dossiers are past retention."""

    id_number: str | None
    refs: tuple[str, ...]


def _cutoffs(result_before: datetime, refused_before: datetime) -> dict[str, Any]:
    return {
        "result_states": [str(s) for s in RESULT_STATES],
        "refused_states": [str(s) for s in REFUSED_STATES],
        "result_before": result_before,
        "refused_before": refused_before,
    }


def past_retention(
    result_before: datetime, refused_before: datetime, *, db_session: Connection
) -> list[Subject]:
    """People (by ID number; a row without one stands alone) every dossier of whom closed
    before the cutoff of its class, not yet anonymised."""
    rows = db_session.execute(
        "SELECT a.id_number, array_agg(DISTINCT a.ref ORDER BY a.ref) "
        "FROM applicants a JOIN dossiers d ON d.applicant_ref = a.ref "
        "WHERE a.anonymised_at IS NULL "
        "GROUP BY coalesce(a.id_number, a.ref), a.id_number "
        f"HAVING bool_and({_PASSED})",
        _cutoffs(result_before, refused_before),
    ).fetchall()
    return [Subject(row[0], tuple(row[1])) for row in rows]


def anonymise(
    refs: Sequence[str],
    result_before: datetime,
    refused_before: datetime,
    *,
    db_session: Connection,
) -> int:
    """Replace the personal fields of ``refs``; a row that gained a younger dossier since
    it was chosen is left as it is."""
    cursor = db_session.execute(
        "UPDATE applicants a SET full_name = '', id_number = NULL, phone = NULL, "
        "email = NULL, address = NULL, anonymised_at = now(), updated_at = now() "
        "WHERE a.ref = ANY(%(refs)s) AND a.anonymised_at IS NULL AND NOT EXISTS "
        f"(SELECT 1 FROM dossiers d WHERE d.applicant_ref = a.ref AND NOT {_PASSED})",
        {"refs": list(refs), **_cutoffs(result_before, refused_before)},
    )
    return cursor.rowcount


def held(*, db_session: Connection) -> set[bytes]:
    """The subject hashes under a legal hold in force."""
    rows = db_session.execute(
        "SELECT DISTINCT subject_hash FROM legal_holds WHERE lifted_at IS NULL"
    ).fetchall()
    return {bytes(row[0]) for row in rows}


def subject_dossiers(
    id_number: str, unit_code: str, *, db_session: Connection
) -> list[dict[str, Any]]:
    """Everything intake holds about the person in ``unit_code``'s subtree: each dossier
    with the personal fields it was received with, oldest first."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT d.code AS dossier_code, d.procedure_code, d.unit_code, d.state, d.channel, "
            "d.contact_preference, d.received_at, d.due_at, d.completed_at, "
            "d.last_event_at, a.ref AS applicant_ref, a.kind, a.full_name, a.id_number, "
            "a.phone, a.email, a.address, a.restricted_at, a.created_at, a.updated_at, "
            "coalesce(e.details -> 'documents', '[]'::jsonb) AS documents "
            "FROM applicants a JOIN dossiers d ON d.applicant_ref = a.ref "
            "JOIN dossier_events e ON e.dossier_id = d.id AND e.sequence = 1 "
            "WHERE a.id_number = %s AND %s = ANY(d.unit_path) "
            "ORDER BY d.received_at, d.code",
            (id_number, unit_code),
        ).fetchall()


def every_dossier(id_number: str, *, db_session: Connection) -> list[dict[str, Any]]:
    """The state and closing instant of every dossier of the person, anywhere: erasure
    is for the person, not for a subtree."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "SELECT d.code, d.state, d.last_event_at, d.unit_path, a.ref "
            "FROM applicants a JOIN dossiers d ON d.applicant_ref = a.ref "
            "WHERE a.id_number = %s ORDER BY d.code FOR UPDATE OF a",
            (id_number,),
        ).fetchall()


def correct(refs: Sequence[str], changes: dict[str, str | None], *, db_session: Connection) -> int:
    assignments = ", ".join(f"{name} = %({name})s" for name in changes if name in CORRECTABLE)
    cursor = db_session.execute(
        f"UPDATE applicants SET {assignments}, updated_at = now() "
        "WHERE ref = ANY(%(refs)s) AND anonymised_at IS NULL",
        {**changes, "refs": list(refs)},
    )
    return cursor.rowcount


def restrict(refs: Sequence[str], *, db_session: Connection) -> int:
    cursor = db_session.execute(
        "UPDATE applicants SET restricted_at = coalesce(restricted_at, now()), "
        "updated_at = now() WHERE ref = ANY(%s) AND anonymised_at IS NULL",
        (list(refs),),
    )
    return cursor.rowcount


def log_request(
    kind: str,
    requested_by: str,
    subject: bytes,
    outcome: str,
    reason: str,
    details: dict[str, Any],
    *,
    db_session: Connection,
) -> uuid.UUID:
    """One line of the data-subject request log: the person only as a keyed hash."""
    request_id = uuid.uuid4()
    db_session.execute(
        "INSERT INTO subject_requests (id, kind, requested_by, subject_hash, outcome, reason, "
        "details) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (request_id, kind, requested_by, subject, outcome, reason, Jsonb(details)),
    )
    return request_id


def set_hold(subject: bytes, reason: str, set_by: str, *, db_session: Connection) -> dict[str, Any]:
    with db_session.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            "INSERT INTO legal_holds (id, subject_hash, reason, set_by) VALUES (%s, %s, %s, %s) "
            "RETURNING id, reason, set_by, set_at, lifted_by, lifted_at, lift_reason",
            (uuid.uuid4(), subject, reason, set_by),
        ).fetchone()
    assert row is not None
    return row


def lift_hold(
    hold_id: uuid.UUID, reason: str, lifted_by: str, *, db_session: Connection
) -> dict[str, Any] | None:
    """The hold lifted now; None when there is no such hold in force."""
    with db_session.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(
            "UPDATE legal_holds SET lifted_at = now(), lifted_by = %s, lift_reason = %s "
            "WHERE id = %s AND lifted_at IS NULL "
            "RETURNING id, reason, set_by, set_at, lifted_by, lifted_at, lift_reason",
            (lifted_by, reason, hold_id),
        ).fetchone()
