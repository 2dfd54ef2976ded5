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
from motcua.kafka import Topic
from motcua.outbox import enqueue_many
from services.ratings.delivery.quiet_hours import QuietHours, next_allowed
from services.ratings.invitations.model import QR, ClosedDossier, NewInvitation, new_invitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.tokens import new_token

SOURCE = "/motcua/ratings"

# One statement per table per batch: the rows travel as arrays (unit paths as text joined
# by spaces, which no unit code contains), so a batch of 500 costs PostgreSQL three
# statements, not 1,500.
_INSERT_INVITATIONS = """
INSERT INTO rating_invitations (id, dossier_id, token_sha256, created_at, expires_at,
    dossier_code, unit_code, unit_path, procedure_code, online, outcome, contact_preference,
    channel)
SELECT r.id, r.dossier_id, r.token_sha256, r.created_at, r.expires_at, r.dossier_code,
    r.unit_code, string_to_array(r.unit_path, ' '), r.procedure_code, r.online, r.outcome,
    r.contact_preference, r.channel
FROM unnest(%s::uuid[], %s::uuid[], %s::bytea[], %s::timestamptz[], %s::timestamptz[],
    %s::text[], %s::text[], %s::text[], %s::text[], %s::boolean[], %s::text[], %s::text[],
    %s::text[]) WITH ORDINALITY AS r(id, dossier_id, token_sha256, created_at, expires_at,
    dossier_code, unit_code, unit_path, procedure_code, online, outcome, contact_preference,
    channel, n)
ORDER BY r.n
ON CONFLICT (dossier_id) DO NOTHING
RETURNING id
"""
_INSERT_DELIVERIES = """
INSERT INTO invitation_deliveries (invitation_id, status, next_attempt_at, token_sealed)
SELECT * FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::bytea[])
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
    rows = [_invitation_row(c) for c in candidates]
    columns = [list(column) for column in zip(*rows, strict=True)]
    inserted = {str(row[0]) for row in db_session.execute(_INSERT_INVITATIONS, columns)}
    created = [c for c in candidates if c.id in inserted]
    if not created:
        return []
    due = next_allowed(quiet, now)
    qr_only = [c.dossier.channel == QR for c in created]
    db_session.execute(
        _INSERT_DELIVERIES,
        (
            [c.id for c in created],
            ["qr_only" if qr else "pending" for qr in qr_only],
            [None if qr else due for qr in qr_only],
            [seal.seal(c.token, c.id) for c in created],
        ),
    )
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


def _invitation_row(invitation: NewInvitation) -> tuple[object, ...]:
    dossier = invitation.dossier
    return (
        invitation.id,
        dossier.dossier_id,
        invitation.token_sha256,
        invitation.created_at,
        invitation.expires_at,
        dossier.dossier_code,
        dossier.unit_code,
        " ".join(dossier.unit_path),
        dossier.procedure_code,
        dossier.online,
        dossier.outcome,
        dossier.contact_preference,
        dossier.channel,
    )
