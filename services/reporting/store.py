"""Reporting's facts and consumed offsets in PostgreSQL (reporting's own schema).

Every write is guarded so that applying it twice changes nothing: a dossier's row only
moves forward in its sequence, a letter's notice only to a newer state and never out of a
final one, the other facts are inserted once by their key, an offset only grows. That
makes a replayed batch — after a crash between the commit and the next poll, or by a
worker that lost its partition mid-batch — harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from motcua.db import recordset
from motcua.delivery import FINAL_STATES, DeliveryState
from services.reporting.facts import (
    ApologyFact,
    DossierFact,
    DossierStep,
    FollowupFact,
    InvitationFact,
    NoticeFact,
    RatingFact,
)
from services.reporting.formulas.timeliness import Finish
from services.reporting.tree import UnitLink, today_paths

_DOSSIER_COLUMNS = (
    "dossier_id uuid, dossier_code text, unit_code text, unit_path text[], "
    "procedure_code text, channel text, online_level text, received_at timestamptz, "
    "receipt_due_at timestamptz, due_at timestamptz, rescheduled boolean, state text, "
    "finished_at timestamptz, outcome text, legal_finish text, portal_finish text, "
    "supplement_requests integer, supplement_since timestamptz, waiting_s double precision, "
    "returned_at timestamptz, returned_channel text, ended_at timestamptz, "
    "handler_ref text, last_sequence integer"
)
_DOSSIER_NAMES = [c.split()[0] for c in _DOSSIER_COLUMNS.split(", ")]
_SET = ", ".join(
    f"{name} = EXCLUDED.{name}"
    for name in (*_DOSSIER_NAMES[1:], "supplement_waiting")
    if name != "waiting_s"
)
_UPSERT_DOSSIERS = f"""
INSERT INTO dossiers ({", ".join(n for n in _DOSSIER_NAMES if n != "waiting_s")},
    supplement_waiting)
SELECT {", ".join(f"r.{n}" for n in _DOSSIER_NAMES if n != "waiting_s")},
    make_interval(secs => r.waiting_s)
FROM jsonb_to_recordset(%s) AS r({_DOSSIER_COLUMNS})
ON CONFLICT (dossier_id) DO UPDATE SET {_SET}
WHERE dossiers.last_sequence < EXCLUDED.last_sequence
"""
_SELECT_DOSSIERS = f"""
SELECT {", ".join(n for n in _DOSSIER_NAMES if n != "waiting_s")},
    extract(epoch FROM supplement_waiting)::float8 AS waiting_s
FROM dossiers WHERE dossier_id = ANY(%s::uuid[])
"""


def _dossier_row(fact: DossierFact) -> dict[str, object]:
    return {
        "dossier_id": fact.dossier_id,
        "dossier_code": fact.dossier_code,
        "unit_code": fact.unit_code,
        "unit_path": list(fact.unit_path),
        "procedure_code": fact.procedure_code,
        "channel": fact.channel,
        "online_level": fact.online_level,
        "received_at": fact.received_at,
        "receipt_due_at": fact.receipt_due_at,
        "due_at": fact.due_at,
        "rescheduled": fact.rescheduled,
        "state": fact.state,
        "finished_at": fact.finished_at,
        "outcome": fact.outcome,
        "legal_finish": fact.legal_finish,
        "portal_finish": fact.portal_finish,
        "supplement_requests": fact.supplement_requests,
        "supplement_since": fact.supplement_since,
        "waiting_s": fact.supplement_waiting.total_seconds(),
        "returned_at": fact.returned_at,
        "returned_channel": fact.returned_channel,
        "ended_at": fact.ended_at,
        "handler_ref": fact.handler_ref,
        "last_sequence": fact.last_sequence,
    }


def _dossier_of(row: Mapping[str, Any]) -> DossierFact:
    values = dict(row)
    waiting = values.pop("waiting_s")
    legal, portal = values.pop("legal_finish"), values.pop("portal_finish")
    dossier_id, unit_path = str(values.pop("dossier_id")), tuple(values.pop("unit_path"))
    return DossierFact(
        **values,
        dossier_id=dossier_id,
        unit_path=unit_path,
        supplement_waiting=timedelta(seconds=waiting),
        legal_finish=Finish(legal) if legal else None,
        portal_finish=Finish(portal) if portal else None,
    )


def load_dossiers(ids: Iterable[str], *, db_session: Connection) -> dict[str, DossierFact]:
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SELECT_DOSSIERS, (list(ids),)).fetchall()
    return {str(row["dossier_id"]): _dossier_of(row) for row in rows}


def save_dossiers(facts: Sequence[DossierFact], *, db_session: Connection) -> None:
    if facts:
        db_session.execute(_UPSERT_DOSSIERS, (recordset(_dossier_row(f) for f in facts),))


_INSERT_APOLOGIES = """
INSERT INTO apologies (dossier_id, episode, unit_path, procedure_code, letter_number,
    issued_at, original_due_at, apology_deadline, in_time)
SELECT r.dossier_id, r.episode, r.unit_path, r.procedure_code, r.letter_number, r.issued_at,
    r.original_due_at, r.apology_deadline, r.in_time
FROM jsonb_to_recordset(%s) AS r(dossier_id uuid, episode integer, unit_path text[],
    procedure_code text, letter_number text, issued_at timestamptz,
    original_due_at timestamptz, apology_deadline timestamptz, in_time boolean)
ON CONFLICT (dossier_id, episode) DO NOTHING
"""
_INSERT_INVITATIONS = """
INSERT INTO invitations (dossier_id, invitation_id, unit_path, procedure_code, invited_at)
SELECT r.dossier_id, r.invitation_id, r.unit_path, r.procedure_code, r.invited_at
FROM jsonb_to_recordset(%s) AS r(dossier_id uuid, invitation_id uuid, unit_path text[],
    procedure_code text, invited_at timestamptz)
ON CONFLICT (dossier_id) DO NOTHING
"""
_INSERT_RATINGS = """
INSERT INTO ratings (rating_id, dossier_id, unit_path, procedure_code, channel, staff_present,
    valid, invalid_reason, overall, scores, submitted_at)
SELECT r.rating_id, r.dossier_id, r.unit_path, r.procedure_code, r.channel, r.staff_present,
    r.valid, r.invalid_reason, r.overall, r.scores, r.submitted_at
FROM jsonb_to_recordset(%s) AS r(rating_id uuid, dossier_id uuid, unit_path text[],
    procedure_code text, channel text, staff_present boolean, valid boolean,
    invalid_reason text, overall text, scores smallint[], submitted_at timestamptz)
ON CONFLICT (rating_id) DO NOTHING
"""
_UPSERT_FOLLOWUPS = """
INSERT INTO followups (followup_id, dossier_id, unit_path, opened_at, due_at, closed_at,
    on_time)
SELECT r.followup_id, r.dossier_id, r.unit_path, r.opened_at, r.due_at, r.closed_at, r.on_time
FROM jsonb_to_recordset(%s) AS r(followup_id uuid, dossier_id uuid, unit_path text[],
    opened_at timestamptz, due_at timestamptz, closed_at timestamptz, on_time boolean)
ON CONFLICT (followup_id) DO UPDATE SET closed_at = EXCLUDED.closed_at,
    on_time = EXCLUDED.on_time
WHERE followups.closed_at IS NULL AND EXCLUDED.closed_at IS NOT NULL
"""


_INSERT_STEPS = """
INSERT INTO dossier_steps (dossier_id, sequence, step, at, detail)
SELECT r.dossier_id, r.sequence, r.step, r.at, r.detail
FROM jsonb_to_recordset(%s) AS r(dossier_id uuid, sequence integer, step text,
    at timestamptz, detail text)
ON CONFLICT (dossier_id, sequence) DO NOTHING
"""


def save_steps(steps: Sequence[DossierStep], *, db_session: Connection) -> None:
    if steps:
        rows = recordset(
            {
                "dossier_id": s.dossier_id,
                "sequence": s.sequence,
                "step": s.step,
                "at": s.at,
                "detail": s.detail,
            }
            for s in steps
        )
        db_session.execute(_INSERT_STEPS, (rows,))


def save_apologies(facts: Sequence[ApologyFact], *, db_session: Connection) -> None:
    if facts:
        rows = recordset(
            {
                "dossier_id": f.dossier_id,
                "episode": f.episode,
                "unit_path": list(f.unit_path),
                "procedure_code": f.procedure_code,
                "letter_number": f.letter_number,
                "issued_at": f.issued_at,
                "original_due_at": f.original_due_at,
                "apology_deadline": f.apology_deadline,
                "in_time": f.in_time,
            }
            for f in facts
        )
        db_session.execute(_INSERT_APOLOGIES, (rows,))


def save_invitations(facts: Sequence[InvitationFact], *, db_session: Connection) -> None:
    if facts:
        rows = recordset(
            {
                "dossier_id": f.dossier_id,
                "invitation_id": f.invitation_id,
                "unit_path": list(f.unit_path),
                "procedure_code": f.procedure_code,
                "invited_at": f.invited_at,
            }
            for f in facts
        )
        db_session.execute(_INSERT_INVITATIONS, (rows,))


def save_ratings(facts: Sequence[RatingFact], *, db_session: Connection) -> None:
    if facts:
        rows = recordset(
            {
                "rating_id": f.rating_id,
                "dossier_id": f.dossier_id,
                "unit_path": list(f.unit_path),
                "procedure_code": f.procedure_code,
                "channel": f.channel,
                "staff_present": f.staff_present,
                "valid": f.valid,
                "invalid_reason": f.invalid_reason,
                "overall": f.overall,
                "scores": list(f.scores),
                "submitted_at": f.submitted_at,
            }
            for f in facts
        )
        db_session.execute(_INSERT_RATINGS, (rows,))


def save_followups(facts: Sequence[FollowupFact], *, db_session: Connection) -> None:
    if facts:
        rows = recordset(
            {
                "followup_id": f.followup_id,
                "dossier_id": f.dossier_id,
                "unit_path": list(f.unit_path),
                "opened_at": f.opened_at,
                "due_at": f.due_at,
                "closed_at": f.closed_at,
                "on_time": f.on_time,
            }
            for f in facts
        )
        db_session.execute(_UPSERT_FOLLOWUPS, (rows,))


_NOTICE_COLUMNS = (
    "dossier_id uuid, episode integer, letter_version integer, message_id uuid, "
    "channel text, state text, reason text, sent_at timestamptz, "
    "apology_deadline timestamptz, occurred_at timestamptz, reached_in_time boolean"
)
_NOTICE_NAMES = [c.split()[0] for c in _NOTICE_COLUMNS.split(", ")]
_UPSERT_NOTICES = f"""
INSERT INTO apology_notices ({", ".join(_NOTICE_NAMES)})
SELECT {", ".join(f"r.{n}" for n in _NOTICE_NAMES)}
FROM jsonb_to_recordset(%s) AS r({_NOTICE_COLUMNS})
ON CONFLICT (dossier_id, episode, letter_version, message_id) DO UPDATE SET
    {", ".join(f"{n} = EXCLUDED.{n}" for n in _NOTICE_NAMES[4:])}
WHERE apology_notices.state NOT IN ({", ".join(f"'{s.value}'" for s in sorted(FINAL_STATES))})
    AND apology_notices.occurred_at <= EXCLUDED.occurred_at
"""
_SELECT_NOTICES = f"""
SELECT {", ".join(_NOTICE_NAMES[:-1])} FROM apology_notices WHERE dossier_id = ANY(%s::uuid[])
"""


def load_notices(
    dossier_ids: Iterable[str], *, db_session: Connection
) -> dict[tuple[str, int, int, str], NoticeFact]:
    """The notices of these dossiers' letters, by (dossier, episode, version, message)."""
    with db_session.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_SELECT_NOTICES, (list(dossier_ids),)).fetchall()
    facts = (
        NoticeFact(
            **{
                **row,
                "dossier_id": str(row["dossier_id"]),
                "message_id": str(row["message_id"]),
                "state": DeliveryState(row["state"]),
            }
        )
        for row in rows
    )
    return {fact.key: fact for fact in facts}


def save_notices(facts: Sequence[NoticeFact], *, db_session: Connection) -> None:
    """Each notice's latest state; the guard keeps a final state, and a newer one, from
    being overwritten by a batch applied late (a worker that lost its partitions)."""
    if facts:
        rows = recordset(
            {
                "dossier_id": f.dossier_id,
                "episode": f.episode,
                "letter_version": f.letter_version,
                "message_id": f.message_id,
                "channel": f.channel,
                "state": f.state.value,
                "reason": f.reason,
                "sent_at": f.sent_at,
                "apology_deadline": f.apology_deadline,
                "occurred_at": f.occurred_at,
                "reached_in_time": f.reached_in_time,
            }
            for f in facts
        )
        db_session.execute(_UPSERT_NOTICES, (rows,))


def stored_offsets(*, db_session: Connection) -> dict[tuple[str, int], int]:
    """The next offset to read per (topic, partition), as the last commit left it."""
    rows = db_session.execute("SELECT topic, partition, next_offset FROM consumed_offsets")
    return {(topic, partition): offset for topic, partition, offset in rows}


def save_offsets(offsets: Mapping[tuple[str, int], int], *, db_session: Connection) -> None:
    if offsets:
        rows = recordset(
            {"topic": topic, "partition": partition, "next_offset": offset}
            for (topic, partition), offset in offsets.items()
        )
        db_session.execute(
            "INSERT INTO consumed_offsets (topic, partition, next_offset) "
            "SELECT r.topic, r.partition, r.next_offset FROM jsonb_to_recordset(%s) "
            "AS r(topic text, partition integer, next_offset bigint) "
            "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = "
            "GREATEST(consumed_offsets.next_offset, EXCLUDED.next_offset)",
            (rows,),
        )


def save_units(paths: Mapping[str, tuple[str, ...]], *, db_session: Connection) -> None:
    """Every unit a dossier names, with its root-first path, and each of its ancestors:
    the tree the drill-down walks (intake's API gives the names later)."""
    units: dict[str, list[str]] = {}
    for path in paths.values():
        for depth in range(1, len(path) + 1):
            units.setdefault(path[depth - 1], list(path[:depth]))
    if units:
        rows = recordset({"code": code, "unit_path": path} for code, path in units.items())
        db_session.execute(
            "INSERT INTO units (code, name, unit_path, today_path) "
            "SELECT r.code, r.code, r.unit_path, r.unit_path "
            "FROM jsonb_to_recordset(%s) AS r(code text, unit_path text[]) "
            "ON CONFLICT (code) DO NOTHING",
            (rows,),
        )


def refresh_today_paths(*, db_session: Connection) -> int:
    """Recompute every unit's path in today's tree from the successors in reporting's copy
    of the units (once per catalogue refresh); returns how many paths moved."""
    rows = db_session.execute("SELECT code, unit_path, successor FROM units").fetchall()
    paths = today_paths({code: UnitLink(tuple(path), successor) for code, path, successor in rows})
    changed = db_session.execute(
        "UPDATE units u SET today_path = r.today_path "
        "FROM jsonb_to_recordset(%s) AS r(code text, today_path text[]) "
        "WHERE u.code = r.code AND u.today_path IS DISTINCT FROM r.today_path",
        (recordset({"code": code, "today_path": list(path)} for code, path in paths.items()),),
    )
    return changed.rowcount
