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
from motcua.outbox import enqueue
from services.ratings.delivery.quiet_hours import QuietHours, next_allowed
from services.ratings.invitations.model import QR, ClosedDossier, NewInvitation, new_invitation
from services.ratings.invitations.sealing import TokenSeal
from services.ratings.invitations.tokens import new_token

SOURCE = "/motcua/ratings"

_INSERT_INVITATION = (
    "INSERT INTO rating_invitations (id, dossier_id, token_sha256, created_at, expires_at, "
    "dossier_code, unit_code, unit_path, procedure_code, online, outcome, contact_preference, "
    "channel) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (dossier_id) DO NOTHING RETURNING id"
)
_INSERT_DELIVERY = (
    "INSERT INTO invitation_deliveries (invitation_id, status, next_attempt_at, token_sealed) "
    "VALUES (%s, %s, %s, %s)"
)


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
    inserted: set[str] = set()
    with db_session.cursor() as cursor:
        cursor.executemany(
            _INSERT_INVITATION, [_invitation_row(c) for c in candidates], returning=True
        )
        while True:
            for row in cursor.fetchall():
                inserted.add(str(row[0]))
            if not cursor.nextset():
                break
    created = [c for c in candidates if c.id in inserted]
    if not created:
        return []
    due = next_allowed(quiet, now)
    with db_session.cursor() as cursor:
        cursor.executemany(
            _INSERT_DELIVERY,
            [
                (c.id, "qr_only", None, seal.seal(c.token, c.id))
                if c.dossier.channel == QR
                else (c.id, "pending", due, seal.seal(c.token, c.id))
                for c in created
            ],
        )
    with db_session.pipeline():
        for invitation in created:
            event = new_event(
                EventType.RATING_INVITED,
                source=SOURCE,
                subject=invitation.dossier.dossier_id,
                data=invitation.event_data(),
                time=now,
            )
            enqueue(
                event,
                topic=Topic.RATING_INVITATIONS.value,
                key=invitation.dossier.dossier_id,
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
        list(dossier.unit_path),
        dossier.procedure_code,
        dossier.online,
        dossier.outcome,
        dossier.contact_preference,
        dossier.channel,
    )
