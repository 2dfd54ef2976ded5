"""Invitations in PostgreSQL: created once per dossier, whatever Kafka redelivers.

The dossier id is unique, so ``INSERT … ON CONFLICT (dossier_id) DO NOTHING`` makes a
redelivered, replayed or crash-repeated event a no-op; the delivery row (with the sealed
token) and the ``rating.invited`` outbox row are written only for the invitations that
insert actually made, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from psycopg import Connection

from motcua.contracts import EventType, new_event
from motcua.db import recordset
from motcua.delivery import QuietHours, next_allowed
from motcua.kafka import Topic
from motcua.outbox import enqueue_many
from services.ratings.invitations.model import QR, ClosedDossier, NewInvitation, new_invitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.tokens import new_token

SOURCE = "/motcua/ratings"

# One statement per table per batch (motcua.db.recordset): a batch of 500 costs PostgreSQL
# three statements, not 1,500.
_INSERT_INVITATIONS = """
INSERT INTO rating_invitations (id, dossier_id, token_sha256, created_at, expires_at,
    dossier_code, unit_code, unit_path, procedure_code, online, outcome, contact_preference,
    channel)
SELECT r.id, r.dossier_id, decode(r.token_sha256, 'hex'), r.created_at, r.expires_at,
    r.dossier_code, r.unit_code, r.unit_path, r.procedure_code, r.online, r.outcome,
    r.contact_preference, r.channel
FROM jsonb_to_recordset(%s) AS r(id uuid, dossier_id uuid, token_sha256 text,
    created_at timestamptz, expires_at timestamptz, dossier_code text, unit_code text,
    unit_path text[], procedure_code text, online boolean, outcome text,
    contact_preference text, channel text)
ON CONFLICT (dossier_id) DO NOTHING
RETURNING id
"""
_INSERT_DELIVERIES = """
INSERT INTO invitation_deliveries (invitation_id, status, next_attempt_at, token_sealed)
SELECT r.invitation_id, r.status, r.next_attempt_at, decode(r.token_sealed, 'hex')
FROM jsonb_to_recordset(%s) AS r(invitation_id uuid, status text, next_attempt_at timestamptz,
    token_sealed text)
"""


def create_invitations(
    dossiers: Sequence[ClosedDossier],
    *,
    now: datetime,
    lifetime_days: int,
    seal: TokenSeal,
    quiet: QuietHours | None,
    db_session: Connection,
) -> list[NewInvitation]:
    """In the caller's transaction: an invitation for each dossier not invited yet, its
    delivery (due now, or when quiet hours end; QR only without a message channel) and its
    ``rating.invited`` event. Returns those created."""
    candidates = [
        new_invitation(
            dossier,
            invitation_id=str(uuid.uuid4()),
            token=new_token(),
            now=now,
            lifetime_days=lifetime_days,
        )
        for dossier in dossiers
    ]
    if not candidates:
        return []
    rows = recordset(_invitation_row(c) for c in candidates)
    inserted = {str(row[0]) for row in db_session.execute(_INSERT_INVITATIONS, (rows,))}
    created = [c for c in candidates if c.id in inserted]
    if not created:
        return []
    due = next_allowed(quiet, now)
    deliveries = recordset(
        {
            "invitation_id": c.id,
            "status": "qr_only" if c.dossier.channel == QR else "pending",
            "next_attempt_at": None if c.dossier.channel == QR else due,
            "token_sealed": seal.seal(c.token, c.id),
        }
        for c in created
    )
    db_session.execute(_INSERT_DELIVERIES, (deliveries,))
    events = [
        new_event(
            EventType.RATING_INVITED,
            source=SOURCE,
            subject=invitation.dossier.dossier_id,
            data=invitation.event_data(),
            time=now,
        )
        for invitation in created
    ]
    enqueue_many(
        events,
        topic=Topic.RATING_INVITATIONS.value,
        keys=[c.dossier.dossier_id for c in created],
        db_session=db_session,
    )
    return created


def _invitation_row(invitation: NewInvitation) -> dict[str, object]:
    dossier = invitation.dossier
    return {
        "id": invitation.id,
        "dossier_id": dossier.dossier_id,
        "token_sha256": invitation.token_sha256,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "dossier_code": dossier.dossier_code,
        "unit_code": dossier.unit_code,
        "unit_path": list(dossier.unit_path),
        "procedure_code": dossier.procedure_code,
        "online": dossier.online,
        "outcome": dossier.outcome,
        "contact_preference": dossier.contact_preference,
        "channel": dossier.channel,
    }
