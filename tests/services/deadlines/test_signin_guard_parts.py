"""Guarded sign-in's and the audit page's parts without a server: when the throttle
lifts, where an officer lands, who sees the audit trail's link, which units are top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from motcua.identity import Officer, Role
from motcua.reference import StaticReference, UnitRef
from services.deadlines.board.views.context import AUDIT_PATH, BoardConfig, BoardContext
from services.deadlines.board.views.login import landing
from services.deadlines.signin_guard import wait_seconds

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_the_throttle_lifts_when_the_failure_that_filled_it_leaves_the_window() -> None:
    assert wait_seconds([None, None], NOW, WINDOW) is None
    assert wait_seconds([NOW - timedelta(minutes=5), None], NOW, WINDOW) == 600
    later = [NOW - timedelta(minutes=14), NOW - timedelta(minutes=1, seconds=0.5)]
    assert wait_seconds(later, NOW, WINDOW) == 840, "the later of the two, rounded up"
    assert wait_seconds([NOW - WINDOW], NOW, WINDOW) == 1, "never zero while it holds"


def _officer(*roles: Role) -> Officer:
    return Officer("o", "Cán bộ", "000.00.01.H01", frozenset(roles))


def test_an_inspector_lands_on_the_audit_trail_unless_going_elsewhere() -> None:
    assert landing(_officer(Role.INSPECTOR), "/board") == AUDIT_PATH
    assert landing(_officer(Role.INSPECTOR), "/board/letters") == "/board/letters"
    assert landing(_officer(Role.INSPECTOR, Role.LEADER), "/board") == "/board"
    assert landing(_officer(Role.DUTY_OFFICER), "/board") == "/board"


def _context() -> BoardContext:
    reference = StaticReference(
        units=[
            UnitRef("000.00.00.H01", "Công an tỉnh", ("000.00.00.H01",)),
            UnitRef("000.00.01.H01", "Công an tỉnh Hà Nội", ("000.00.00.H01", "000.00.01.H01")),
            UnitRef(
                "000.00.02.H01",
                "Công an xã",
                ("000.00.00.H01", "000.00.01.H01", "000.00.02.H01"),
            ),
        ]
    )
    config = BoardConfig(calendar=cast(Any, None), suggested_extension_days=5)
    none = cast(Any, None)
    return BoardContext(none, none, none, reference, none, config)


def test_only_inspectors_get_the_audit_link_and_top_units_are_the_ministry_and_provinces() -> None:
    ctx = _context()
    links = {link.href: link for link in ctx.layout(_officer(Role.INSPECTOR), "audit").nav}
    assert links[AUDIT_PATH].current
    assert not links["/board"].current
    assert AUDIT_PATH not in {link.href for link in ctx.layout(_officer(Role.LEADER)).nav}
    assert ctx.is_top_unit("000.00.00.H01")
    assert ctx.is_top_unit("000.00.01.H01")
    assert not ctx.is_top_unit("000.00.02.H01")
    assert not ctx.is_top_unit("999.99.99.Z99"), "unknown to the reference: not top"
