"""A department's unit list (``manage import-units FILE``) read, checked against the stored
tree, and turned into a plan of changes (pure: text and mappings in, a plan or every error
out; docs/units.md).

The whole file is checked before anything is written, and every error is reported with its
line and field, so that one run tells the department everything to fix. A unit the file does
not list is left as it is: a list may hold one province, or only the units that changed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from services.intake.reference.line_error import LineError
from services.intake.reference.models import Unit

COLUMNS = ("code", "name", "level", "parent", "address", "successor")
OPTIONAL_COLUMNS = ("retired_on", "head_title", "public_phone")
KEPT_UNLESS_LISTED = ("head_title", "public_phone")
"""Columns a file may leave out: a unit then keeps what it has (the ministry's list names
no phone; a department adds its units' numbers in a file of its own, or in the same one)."""
Path = tuple[str, ...]


class UnitListRefused(Exception):
    """The file cannot be imported; ``errors`` says everything wrong with it, in line order."""

    def __init__(self, errors: Iterable[LineError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.line, e.field))
        super().__init__(f"{len(self.errors)} errors")


@dataclass(frozen=True)
class Listed:
    line: int
    unit: Unit


@dataclass
class UnitList:
    """The file's valid rows, the errors of the others, and every code it names in its
    ``code`` column (a row refused for another field is still not an unknown parent)."""

    listed: list[Listed] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)


@dataclass
class UnitPlan:
    """What importing the file changes."""

    added: list[Unit] = field(default_factory=list)
    renamed: list[tuple[Unit, str]] = field(default_factory=list)
    """(the unit, its former name)."""
    moved: list[tuple[Unit, str | None]] = field(default_factory=list)
    """(the unit, its former parent)."""
    retired: list[Unit] = field(default_factory=list)
    updated: list[Unit] = field(default_factory=list)
    """Another field changed (level, address, head title, phone, retirement date, or the
    unit back in service)."""
    unchanged: int = 0
    writes: list[tuple[Unit, Path]] = field(default_factory=list)
    """Every added or changed unit with its path, parents first."""
    paths: dict[str, Path] = field(default_factory=dict)
    """The new path of every unit the file does not change but whose path changes: the
    descendants of a moved unit."""

    @property
    def changes_anything(self) -> bool:
        return bool(self.writes or self.paths)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "renamed": len(self.renamed),
            "moved": len(self.moved),
            "retired": len(self.retired),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
        }


def _header_errors(header: list[str] | None) -> list[LineError]:
    if header is None:
        return [LineError(1, "header", f"the file is empty; expected {','.join(COLUMNS)}")]
    errors = [LineError(1, c, "column missing from the header") for c in COLUMNS if c not in header]
    known = {*COLUMNS, *OPTIONAL_COLUMNS}
    errors += [LineError(1, c or "header", "unknown column") for c in header if c not in known]
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(LineError(1, column, "column named twice"))
        seen.add(column)
    return errors


def _record(row: dict[str | Any, Any], line: int) -> tuple[dict[str, Any], list[LineError]]:
    """The row's values with empty cells as None; an error when it has more or fewer cells
    than the header."""
    if None in row:
        return {}, [LineError(line, "row", "more cells than the header has columns")]
    if any(value is None for value in row.values()):
        return {}, [LineError(line, "row", "fewer cells than the header has columns")]
    return {key: (value.strip() or None) for key, value in row.items()}, []


def _unit(
    record: dict[str, Any], line: int, *, today: date, stored: Mapping[str, Unit]
) -> tuple[Unit | None, list[LineError]]:
    """The row as a unit. A successor without a retirement date retires the unit today, or
    keeps the date it was already retired on (so the same file imported again changes
    nothing); a head title or phone the file has no column for is kept as stored."""
    known = stored.get(record.get("code") or "")
    kept = {c: getattr(known, c) for c in KEPT_UNLESS_LISTED if c not in record and known}
    record = {**record, **kept}
    if record.get("successor") and not record.get("retired_on"):
        record = {**record, "retired_on": known.retired_on if known and known.retired_on else today}
    try:
        return Unit.model_validate(record), []
    except ValidationError as exc:
        return None, [
            LineError(line, ".".join(map(str, error["loc"])) or "row", error["msg"])
            for error in exc.errors()
        ]


def read_unit_list(text: str, *, today: date, stored: Mapping[str, Unit]) -> UnitList:
    """Every row of the CSV text (``code,name,level,parent,address,successor`` and the
    optional ``retired_on``, ``head_title``, ``public_phone``) that is a valid unit, and
    every error of the others."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    read = UnitList(errors=_header_errors(list(reader.fieldnames) if reader.fieldnames else None))
    if read.errors:
        return read
    for row in reader:
        line = reader.line_num
        record, row_errors = _record(row, line)
        unit = None
        if not row_errors:
            read.codes.add(record.get("code") or "")
            unit, row_errors = _unit(record, line, today=today, stored=stored)
        read.errors += row_errors
        if unit is not None:
            read.listed.append(Listed(line, unit))
    if not read.listed and not read.errors:
        read.errors.append(LineError(1, "header", "the file lists no unit"))
    return read


def _duplicates(listed: list[Listed]) -> Iterator[LineError]:
    first: dict[str, int] = {}
    for row in listed:
        if row.unit.code in first:
            yield LineError(
                row.line,
                "code",
                f"{row.unit.code} is listed on line {first[row.unit.code]} already",
            )
        first.setdefault(row.unit.code, row.line)


def _unknown(
    listed: list[Listed], tree: Mapping[str, Unit], codes: set[str]
) -> Iterator[LineError]:
    for row in listed:
        for name, code in (("parent", row.unit.parent), ("successor", row.unit.successor)):
            if code is not None and code not in tree and code not in codes:
                yield LineError(row.line, name, f"no unit has code {code}, in the file or the tree")


def _chain(start: str, step: Mapping[str, str | None]) -> list[str] | None:
    """The circle ``step`` leads into from ``start`` (its first unit repeated at its end),
    or None when the chain ends."""
    seen = [start]
    following = step.get(start)
    while following is not None:
        if following in seen:
            return [*seen, following]
        seen.append(following)
        following = step.get(following)
    return None


def _circles(listed: list[Listed], tree: Mapping[str, Unit]) -> Iterator[LineError]:
    parents = {code: unit.parent for code, unit in tree.items()}
    successors = {code: unit.successor for code, unit in tree.items()}
    for row in listed:
        circle = _chain(row.unit.code, parents)
        if circle is not None:
            yield LineError(
                row.line, "parent", f"the unit would be its own ancestor: {' > '.join(circle)}"
            )
        circle = _chain(row.unit.code, successors)
        if circle is not None:
            yield LineError(row.line, "successor", f"the successors go round: {' > '.join(circle)}")


def _in_service(unit: Unit) -> bool:
    return unit.retired_on is None


def _hierarchy(listed: list[Listed], tree: Mapping[str, Unit]) -> Iterator[LineError]:
    """A unit in service hangs under a unit in service; a retired unit leaves none behind."""
    children: dict[str, list[str]] = {}
    for code, unit in tree.items():
        if unit.parent is not None and _in_service(unit):
            children.setdefault(unit.parent, []).append(code)
    for row in listed:
        parent = tree.get(row.unit.parent or "")
        if _in_service(row.unit) and parent is not None and not _in_service(parent):
            yield LineError(row.line, "parent", f"{parent.code} is retired; it takes no units")
        left = sorted(children.get(row.unit.code, ())) if not _in_service(row.unit) else []
        if left:
            named = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            yield LineError(
                row.line,
                "successor" if row.unit.successor else "retired_on",
                f"the unit is retired but {len(left)} units in service still hang under it "
                f"({named}): move or retire them in the same file",
            )


def _paths(tree: Mapping[str, Unit]) -> dict[str, Path]:
    """Root-first path of every unit (the tree has no circle and no unknown parent)."""
    paths: dict[str, Path] = {}

    def path_of(code: str) -> Path:
        found = paths.get(code)
        if found is None:
            parent = tree[code].parent
            found = (code,) if parent is None else (*path_of(parent), code)
            paths[code] = found
        return found

    for code in tree:
        path_of(code)
    return paths


def _classify(plan: UnitPlan, unit: Unit, before: Unit | None) -> bool:
    """Count the unit under what it changes; False when it changes nothing."""
    if before is None:
        plan.added.append(unit)
        return True
    fields = ("name", "parent", "successor", "retired_on", "level", "address", *KEPT_UNLESS_LISTED)
    if all(getattr(unit, name) == getattr(before, name) for name in fields):
        plan.unchanged += 1
        return False
    if unit.name != before.name:
        plan.renamed.append((unit, before.name))
    if unit.parent != before.parent:
        plan.moved.append((unit, before.parent))
    if unit.retired_on is not None and (unit.successor, unit.retired_on) != (
        before.successor,
        before.retired_on,
    ):
        plan.retired.append(unit)
    elif (unit.level, unit.address, unit.retired_on, unit.head_title, unit.public_phone) != (
        before.level,
        before.address,
        before.retired_on,
        before.head_title,
        before.public_phone,
    ):
        plan.updated.append(unit)
    return True


def plan_import(
    text: str, *, today: date, stored: Mapping[str, Unit], stored_paths: Mapping[str, Path]
) -> UnitPlan:
    """What the file's units change in the stored tree; raises :class:`UnitListRefused` with
    every error (malformed rows, duplicate codes, unknown parents or successors, circles,
    units in service under a retired one or left under one being retired)."""
    read = read_unit_list(text, today=today, stored=stored)
    listed = read.listed
    tree = {**stored, **{row.unit.code: row.unit for row in listed}}
    errors = [
        *read.errors,
        *_duplicates(listed),
        *_unknown(listed, tree, read.codes),
        *_circles(listed, tree),
        *_hierarchy(listed, tree),
    ]
    if errors:
        raise UnitListRefused(errors)
    plan = UnitPlan()
    paths = _paths(tree)
    changed = [row.unit for row in listed if _classify(plan, row.unit, stored.get(row.unit.code))]
    plan.writes = sorted(
        ((unit, paths[unit.code]) for unit in changed), key=lambda w: (len(w[1]), w[0].code)
    )
    written = {unit.code for unit in changed}
    plan.paths = {
        code: path
        for code, path in paths.items()
        if code not in written and stored_paths.get(code) != path
    }
    return plan
