"""A returned or rejected dossier becomes an invitation: its channel follows the contact
preference, the online flag follows how it arrived, and its event carries no token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from motcua.contracts import EventType, new_event, validate_data
from services.ratings.invitations.model import ClosedDossier, channel_for, new_invitation
from services.ratings.invitations.tokens import hash_token
from tests.contracts._examples import VALID


def _example(folder: str) -> dict[str, Any]:
    return next(e.content for e in VALID if e.folder == folder)


@pytest.mark.parametrize(
    ("preference", "channel"),
    [
        ("sms", "sms"),
        ("email", "email"),
        ("zalo", "zalo"),
        ("phone", "qr"),
        ("post", "qr"),
        ("none", "qr"),
    ],
)
def test_the_channel_follows_the_preference(preference: str, channel: str) -> None:
    assert channel_for(preference) == channel


def test_a_returned_event_names_the_dossier() -> None:
    event = _example("dossier.returned.v1")
    dossier = ClosedDossier.from_event(event)
    assert dossier is not None
    assert dossier.outcome == "returned"
    assert dossier.unit_path[-1] == dossier.unit_code
    assert dossier.online is False


def test_a_rejection_invites_too_and_other_events_do_not() -> None:
    rejected = ClosedDossier.from_event(_example("dossier.rejected.v1"))
    assert rejected is not None
    assert rejected.outcome == "rejected"
    assert ClosedDossier.from_event(_example("dossier.received.v1")) is None


def test_the_invitation_event_carries_no_token() -> None:
    dossier = ClosedDossier(
        dossier_id="3f6c2a9e-8b1d-4c7e-9a52-1d0e7b4f6a21",
        dossier_code="000.00.12.H26-250610-0007",
        unit_code="000.00.12.H26",
        unit_path=("000.00.00.H26", "000.00.12.H26"),
        procedure_code="1.001612",
        outcome="returned",
        contact_preference="zalo",
        online=True,
    )
    now = datetime(2025, 6, 27, 1, tzinfo=UTC)
    invitation = new_invitation(
        dossier,
        invitation_id="0b7c6c1e-1f0a-4f55-9a55-2f6f3b0d1c11",
        token="A" * 22,
        now=now,
        lifetime_days=30,
    )
    assert invitation.token_sha256 == hash_token("A" * 22)
    assert invitation.expires_at == now + timedelta(days=30)
    assert invitation.channels == ["zalo", "qr"]
    data = invitation.event_data()
    validate_data(EventType.RATING_INVITED, data)
    event = new_event(
        EventType.RATING_INVITED,
        source="/motcua/ratings",
        subject=dossier.dossier_id,
        data=data,
        time=now,
    )
    assert "A" * 22 not in json.dumps(event)
