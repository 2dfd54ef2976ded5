"""How the rating form asks (Nghị định 61/2018 Điều 31): each criterion answered on three
levels scoring 2 / 1 / 0, an overall level on the same scale, which criteria a dossier is
asked and which may be left blank.

The criteria themselves are the event contract's (``motcua.contracts.Criterion``); the
Vietnamese wording lives with every other page text in :mod:`motcua.web.strings`.
"""

from __future__ import annotations

from enum import IntEnum

from motcua.contracts import Criterion


class Level(IntEnum):
    """A level and its score: what Thông tư 01/2018 sums and divides."""

    VERY_SATISFIED = 2
    SATISFIED = 1
    DISSATISFIED = 0

    @property
    def key(self) -> str:
        """``very_satisfied``…: the contract's name of the overall level."""
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Level:
        return cls[key.upper()]


LEVELS: tuple[Level, ...] = (Level.VERY_SATISFIED, Level.SATISFIED, Level.DISSATISFIED)
"""Best first, as the form lists them."""

OPTIONAL: frozenset[Criterion] = frozenset({Criterion.FEEDBACK_HANDLING, Criterion.OTHER})
"""Criteria a citizen may leave blank: not everyone filed feedback or has anything else to say
(the Decree's "nếu có"; the form marks them "(không bắt buộc)", once)."""


def criteria_for(online: bool) -> tuple[Criterion, ...]:
    """The criteria asked of a dossier: criterion 8 (online service) only for an online one."""
    return tuple(c for c in Criterion if online or c is not Criterion.ONLINE_SERVICE)
