"""The entry form's grant: the officer who opened that form, for that form, for a while."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from motcua.identity import Officer, Role
from services.ratings.grants import EntryGrants

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
OFFICER = Officer(
    "cb.nguyen", "Nguyễn Văn A", "000.00.04.H01", frozenset({Role.STAFF_ENTRY, Role.UNIT_HEAD})
)
ACTION = "/staff/kiosk/000.00.04.H01-261202-0001"
GRANTS = EntryGrants(b"k" * 32, timedelta(minutes=60))


def test_a_grant_names_its_officer_for_its_form_until_it_expires() -> None:
    grant = GRANTS.issue(OFFICER, ACTION, now=NOW)
    assert GRANTS.officer(grant, ACTION, now=NOW + timedelta(minutes=59)) == OFFICER
    assert GRANTS.officer(grant, ACTION, now=NOW + timedelta(minutes=60)) is None
    assert GRANTS.officer(grant, ACTION.replace("0001", "0002"), now=NOW) is None
    assert GRANTS.officer(grant, "/staff/paper/000.00.04.H01-261202-0001", now=NOW) is None


def test_a_grant_signed_with_another_key_or_changed_is_refused() -> None:
    grant = GRANTS.issue(OFFICER, ACTION, now=NOW)
    other = EntryGrants(b"o" * 32, timedelta(minutes=60))
    assert other.officer(grant, ACTION, now=NOW) is None
    payload, mac = grant.rsplit(".", 1)
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert GRANTS.officer(f"{flipped}.{mac}", ACTION, now=NOW) is None
    assert GRANTS.officer(f"{payload}.{mac[:-1]}", ACTION, now=NOW) is None


def test_anything_that_is_not_a_grant_is_refused_quietly() -> None:
    for junk in (None, "", ".", "a.b.c", "!!.??", "x" * 5000, "e30.AAAA"):
        assert GRANTS.officer(junk, ACTION, now=NOW) is None
