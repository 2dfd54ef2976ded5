"""Today's tree: where each unit's figures are carried now (pure).

A unit retired by a merger names its successor; the successor may itself be retired
later, so a unit's figures go to the end of that chain (its final successor) and to
every unit above it. A unit that still exists stays where it is, under its parent's
today path. Reporting computes these paths once per catalogue refresh
(``store.refresh_today_paths``), never per fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitLink:
    """A unit of reporting's copy of the tree: its path as intake states it (root first,
    ending with the unit) and the unit that carries it on when retired."""

    path: tuple[str, ...]
    successor: str | None = None


def final_successor(code: str, units: Mapping[str, UnitLink]) -> str:
    """The end of ``code``'s chain of successors (``code`` itself when not retired); a
    chain that loops back stops before the unit it would repeat."""
    seen = {code}
    while (link := units.get(code)) is not None and link.successor and link.successor not in seen:
        code = link.successor
        seen.add(code)
    return code


def today_paths(units: Mapping[str, UnitLink]) -> dict[str, tuple[str, ...]]:
    """Each unit's path in today's tree: its final successor's, whose ancestors are
    themselves rolled up (a unit under a retired parent moves with it)."""
    done: dict[str, tuple[str, ...]] = {}

    def resolve(code: str, known: tuple[str, ...], depth: int) -> tuple[str, ...]:
        """``known``: the path to use when the unit is not in the copy of the tree."""
        if code not in done:
            final = final_successor(code, units)
            link = units.get(final)
            own = link.path if link else (known if final == code else (final,))
            if len(own) > 1 and depth <= len(units):
                own = (*resolve(own[-2], own[:-1], depth + 1), own[-1])
            done[code] = own
        return done[code]

    return {code: resolve(code, link.path, 0) for code, link in units.items()}
