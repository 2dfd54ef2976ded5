"""The board's unit filter on the national tree (pure: reference data in, choices out).

A province has a hundred or more commune-level police and the Ministry sees 3,400 units, so
the filter is a select grouped by province, of the units in service only, by name: an
officer within one province gets the whole province (its police, its departments, then its
communes by name); a national officer gets the provinces, and the communes of the province
chosen — pick a province, press "Lọc", then pick a commune: no script needed.

A merger retires units and names their successor: filtering by a unit also finds the
dossiers of the retired units it carries on (``motcua.reference.carried_over``), since a
dossier keeps the unit that received it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from motcua.reference import Names, UnitRef
from motcua.web import TEXTS

PROVINCE_LEVEL = "province"


@dataclass(frozen=True)
class UnitOption:
    code: str
    label: str


@dataclass(frozen=True)
class UnitGroup:
    """One ``<optgroup>`` of the select; ``label`` None for options outside any group."""

    label: str | None
    options: list[UnitOption]


@dataclass(frozen=True)
class UnitChoice:
    """The unit select of a filter form."""

    groups: list[UnitGroup]
    by_province: bool = False
    """A national officer's: the provinces, and the units of the one chosen (the form says
    to pick a province and filter first)."""


def _fold(text: str) -> str:
    """A sort key for Vietnamese names: accents and đ aside, case aside."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _province_of(unit: UnitRef, by_code: dict[str, UnitRef]) -> str | None:
    """The province-level unit highest on the unit's path (None above or outside one)."""
    for code in unit.path:
        found = by_code.get(code)
        if found is not None and found.level == PROVINCE_LEVEL:
            return code
    return None


def _options(units: Sequence[UnitRef], names: Names) -> list[UnitOption]:
    """The group's head first, then the others by name, indented by depth under it."""
    top = min(len(u.path) for u in units)
    heads = [u for u in units if len(u.path) == top]
    rest = sorted((u for u in units if len(u.path) > top), key=lambda u: (_fold(u.name), u.code))
    return [UnitOption(u.code, "— " * (len(u.path) - top) + u.name) for u in heads + rest]


def _groups(
    units: Sequence[UnitRef], chosen: UnitRef | None, names: Names
) -> tuple[list[UnitGroup], bool]:
    """The in-service units grouped by province; for more than one province, the provinces
    and the chosen one's units only."""
    by_code = {u.code: u for u in units}
    grouped: dict[str | None, list[UnitRef]] = {}
    for unit in units:
        if unit.retired_on is None:
            grouped.setdefault(_province_of(unit, by_code), []).append(unit)
    outside = grouped.pop(None, [])
    groups = [UnitGroup(None, _options(outside, names))] if outside else []
    if len(grouped) <= 1:
        groups += [UnitGroup(names.unit(p or ""), _options(m, names)) for p, m in grouped.items()]
        return groups, False
    heads = sorted((by_code[p] for p in grouped if p), key=lambda u: (_fold(u.name), u.code))
    options = [UnitOption(u.code, u.name) for u in heads]
    groups.append(UnitGroup(TEXTS["filter_unit_provinces"], options))
    province = _province_of(chosen, by_code) if chosen else None
    if province in grouped:
        # Its head is among the provinces already: one option per unit, one selected.
        members = [o for o in _options(grouped[province], names) if o.code != province]
        groups.append(UnitGroup(names.unit(province or ""), members))
    return groups, True


def unit_choice(
    units: Sequence[UnitRef], officer_unit: str, chosen: str | None, names: Names
) -> UnitChoice:
    """The select for an officer's subtree (``units``, root first) with ``chosen`` in the
    filter: just the officer's unit while the tree is unknown, and a chosen unit the
    groups do not offer kept as it was asked."""
    if not any(u.retired_on is None for u in units):
        return UnitChoice([UnitGroup(None, [UnitOption(officer_unit, names.unit(officer_unit))])])
    groups, by_province = _groups(units, next((u for u in units if u.code == chosen), None), names)
    offered = {option.code for group in groups for option in group.options}
    if chosen and chosen not in offered:
        groups.append(UnitGroup(None, [UnitOption(chosen, names.unit(chosen))]))
    return UnitChoice(groups, by_province)
