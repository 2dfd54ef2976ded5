"""Issued letters go out through motcua.outbox (in deadlines' schema since
outbox.0001.table): each version's event is staged in the outbox in the transaction that
issues it, and the one relay publishes it. A version that an older worker committed but
had not seen acknowledged (``published_at`` empty) is staged now, rebuilt exactly as it
was first sent (its one event id), so dropping its flag loses no event; consumers
deduplicate it by that id if the old worker had in fact sent it.
"""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from yoyo import step

from motcua.contracts import load_contracts
from motcua.kafka import Topic
from motcua.outbox import enqueue
from services.deadlines.letters.service import LetterTask, apology_event

__depends__ = {"0006.board_paging", "0007.officer_roles", "outbox.0001.table"}


def stage_unpublished(conn: Connection[Any]) -> None:
    load_contracts()
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT l.id AS letter_id, l.dossier_id::text, w.dossier_code, l.unit_code, "
            "w.unit_path, w.procedure_code, l.episode, l.status, l.letter_number, "
            "l.original_due_at, l.new_due_at, v.version, v.reason, v.issued_at "
            "FROM apology_letter_versions v JOIN apology_letters l ON l.id = v.letter_id "
            "JOIN watched_dossiers w ON w.dossier_id = l.dossier_id "
            "WHERE v.published_at IS NULL ORDER BY v.issued_at, l.id, v.version"
        ).fetchall()
    for row in rows:
        version, reason, issued_at = row.pop("version"), row.pop("reason"), row.pop("issued_at")
        task = LetterTask(
            **(row | {"unit_path": tuple(row["unit_path"])}),
            last_version=version,
            last_reason=reason,
        )
        assert task.letter_number is not None
        assert task.new_due_at is not None
        event = apology_event(task, task.letter_number, version, reason, task.new_due_at, issued_at)
        enqueue(event, topic=Topic.APOLOGY_LETTERS.value, key=task.dossier_id, db_session=conn)


steps = [
    step(stage_unpublished),
    step("DROP INDEX apology_letter_versions_unpublished"),
    step("ALTER TABLE apology_letter_versions DROP COLUMN published_at"),
]
