"""Data-subject requests (Luật 91/2025/QH15 Điều 4) as they apply to a state agency's
records, and legal holds. Each request and its answer is logged — the person only as a
keyed hash — and recorded in the audit trail, in the transaction of what it did.

To access: everything intake holds about the person in the caller's subtree. To correct:
a personal field on every dossier of theirs. To erase: only once every dossier of theirs
is past retention and no hold is in force (then anonymised at once); before that the
agency must keep the record, and the refusal says why. To restrict: the rows are marked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection

from motcua.audit import Action, ActorKind, Outcome, record
from services.intake.dossier.errors import IntakeError
from services.intake.dossier.state import DossierState
from services.intake.personal import store
from services.intake.personal.retention import RetentionPolicy, subject_hash


@dataclass(frozen=True)
class Requester:
    """The admin system asking, as the audit trail names it."""

    name: str
    unit_code: str
    address: str | None


@dataclass(frozen=True)
class Refusal:
    """A request answered no, with the reason: logged like an answer, sent as 409."""

    request_id: uuid.UUID
    reason: str


def _unit_path(unit_code: str, db_session: Connection) -> list[str]:
    row = db_session.execute("SELECT path FROM units WHERE code = %s", (unit_code,)).fetchone()
    return list(row[0]) if row else [unit_code]


def _logged(
    kind: str,
    who: Requester,
    subject: bytes,
    outcome: Outcome,
    reason: str,
    details: dict[str, Any],
    db_session: Connection,
) -> uuid.UUID:
    """The request's line in the log and its audit entry (counts and field names only)."""
    request_id = store.log_request(
        kind, who.name, subject, str(outcome), reason, details, db_session=db_session
    )
    record(
        Action(
            who.name,
            ActorKind.SYSTEM,
            f"subject.{kind}",
            record_type="subject_request",
            record_id=str(request_id),
            unit_path=_unit_path(who.unit_code, db_session),
            address=who.address,
            outcome=outcome,
            # A refusal's reason is the service's own words (codes, dates); an admin's
            # free text stays in the request log, where it cannot leak a name here.
            details={**details, "reason": reason} if outcome is Outcome.REFUSED else details,
        ),
        db_session=db_session,
    )
    return request_id


def _nothing_held() -> IntakeError:
    return IntakeError(
        404,
        "Nothing held",
        "intake holds no dossier of this ID number in your subtree",
        field="id_number",
    )


def access(id_number: str, who: Requester, key: bytes, *, db_session: Connection) -> dict[str, Any]:
    """Every dossier of the person with the personal fields it holds, as they are."""
    with db_session.transaction():
        dossiers = store.subject_dossiers(id_number, who.unit_code, db_session=db_session)
        request_id = _logged(
            "access",
            who,
            subject_hash(key, id_number),
            Outcome.OK,
            "",
            {"dossiers": len(dossiers)},
            db_session,
        )
    return {"request_id": str(request_id), "id_number": id_number, "dossiers": dossiers}


def correct(
    id_number: str,
    changes: dict[str, str | None],
    reason: str,
    who: Requester,
    key: bytes,
    *,
    db_session: Connection,
) -> dict[str, Any]:
    with db_session.transaction():
        dossiers = store.subject_dossiers(id_number, who.unit_code, db_session=db_session)
        refs = sorted({d["applicant_ref"] for d in dossiers})
        if not refs:
            raise _nothing_held()
        rows = store.correct(refs, changes, db_session=db_session)
        details = {"fields": sorted(changes), "dossiers": len(dossiers), "applicants": rows}
        request_id = _logged(
            "correct", who, subject_hash(key, id_number), Outcome.OK, reason, details, db_session
        )
    return {"request_id": str(request_id), **details}


def restrict(
    id_number: str, reason: str, who: Requester, key: bytes, *, db_session: Connection
) -> dict[str, Any]:
    with db_session.transaction():
        dossiers = store.subject_dossiers(id_number, who.unit_code, db_session=db_session)
        refs = sorted({d["applicant_ref"] for d in dossiers})
        if not refs:
            raise _nothing_held()
        rows = store.restrict(refs, db_session=db_session)
        details = {"dossiers": len(dossiers), "applicants": rows}
        request_id = _logged(
            "restrict", who, subject_hash(key, id_number), Outcome.OK, reason, details, db_session
        )
    return {"request_id": str(request_id), **details}


def _why_kept(dossiers: list[dict[str, Any]], policy: RetentionPolicy, now: datetime) -> str:
    """Why the agency must still keep the record; empty when every dossier is past
    retention."""
    for dossier in dossiers:
        ends = policy.ends(DossierState(dossier["state"]), dossier["last_event_at"])
        if ends is None:
            return f"dossier {dossier['code']} is still open; its retention starts when it closes"
        if ends > now:
            return (
                f"dossier {dossier['code']} must be kept until {ends.date().isoformat()} "
                "under the agency's retention period for its class of record"
            )
    return ""


def erase(
    id_number: str,
    who: Requester,
    key: bytes,
    policy: RetentionPolicy,
    *,
    db_session: Connection,
) -> dict[str, Any] | Refusal:
    """Anonymise the person now if the law lets the agency; else the refusal, logged."""
    subject = subject_hash(key, id_number)
    now = datetime.now(UTC)
    with db_session.transaction():
        dossiers = store.every_dossier(id_number, db_session=db_session)
        if not any(who.unit_code in d["unit_path"] for d in dossiers):
            raise _nothing_held()
        kept = _why_kept(dossiers, policy, now)
        if not kept and subject in store.held(db_session=db_session):
            kept = "a legal hold is in force for this person"
        details = {"dossiers": len(dossiers)}
        if kept:
            request_id = _logged("erase", who, subject, Outcome.REFUSED, kept, details, db_session)
            return Refusal(request_id, kept)
        refs = sorted({d["ref"] for d in dossiers})
        result_before, refused_before = policy.closed_before(now)
        rows = store.anonymise(refs, result_before, refused_before, db_session=db_session)
        details["applicants"] = rows
        request_id = _logged("erase", who, subject, Outcome.OK, "", details, db_session)
    return {"request_id": str(request_id), "anonymised": True, **details}


def set_hold(
    id_number: str, reason: str, who: Requester, key: bytes, *, db_session: Connection
) -> dict[str, Any]:
    with db_session.transaction():
        hold = store.set_hold(subject_hash(key, id_number), reason, who.name, db_session=db_session)
        _hold_audit("hold.set", hold, who, db_session)
    return hold


def lift_hold(
    hold_id: uuid.UUID, reason: str, who: Requester, *, db_session: Connection
) -> dict[str, Any]:
    with db_session.transaction():
        hold = store.lift_hold(hold_id, reason, who.name, db_session=db_session)
        if hold is None:
            raise IntakeError(
                404, "No such hold", f"no hold {hold_id} is in force", field="hold_id"
            )
        _hold_audit("hold.lifted", hold, who, db_session)
    return hold


def _hold_audit(action: str, hold: dict[str, Any], who: Requester, db_session: Connection) -> None:
    """The hold's id only: its reason, the admin's free text, stays in ``legal_holds``."""
    record(
        Action(
            who.name,
            ActorKind.SYSTEM,
            action,
            record_type="legal_hold",
            record_id=str(hold["id"]),
            unit_path=_unit_path(who.unit_code, db_session),
            address=who.address,
        ),
        db_session=db_session,
    )
