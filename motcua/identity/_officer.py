"""Who an officer is, as every service sees them: the claims of their sign-in token."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What an officer does; pages show and allow according to these."""

    DUTY_OFFICER = "duty_officer"
    """Watches the board, acknowledges alerts, issues apology letters (cán bộ trực)."""
    UNIT_HEAD = "unit_head"
    """Heads a unit: everything a duty officer does, and the unit's figures (thủ trưởng)."""
    LEADER = "leader"
    """Reads the board and the reports of the subtree, acts on nothing (lãnh đạo)."""
    STAFF_ENTRY = "staff_entry"
    """Enters paper rating forms and runs the counter kiosk (cán bộ nhập phiếu)."""
    INSPECTOR = "inspector"
    """Reads the audit trail of the subtree, acts on nothing (thanh tra, kiểm tra)."""


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Roles from text; an unknown role is an error, never silently dropped."""
    roles = []
    for value in values:
        try:
            roles.append(Role(value))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise ValueError(f"unknown role {value!r} (known: {known})") from None
    return frozenset(roles)


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    unit_code: str
    """The root of the unit subtree the officer sees; nothing outside it, ever."""
    roles: frozenset[Role] = frozenset({Role.DUTY_OFFICER})
    carries_on: tuple[str, ...] = ()
    """The retired units whose work the officer's unit carries on since a merger
    (``motcua.reference.carried_over``): their dossiers keep the unit that received them,
    and are this officer's to handle. Filled by the service from its reference data, never
    taken from a token."""

    @property
    def scope(self) -> list[str]:
        """The roots of what the officer sees: their unit and the retired ones it carries
        on (SQL: ``unit_path && %s::text[]``)."""
        return [self.unit_code, *self.carries_on]

    def sees(self, unit_path: Sequence[str]) -> bool:
        """A dossier (or unit) is visible when the officer's unit, or a retired unit it
        carries on, is on its root-first path."""
        return any(code in unit_path for code in self.scope)

    def has(self, *roles: Role) -> bool:
        """True when the officer holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)
