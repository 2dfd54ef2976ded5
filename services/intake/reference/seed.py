"""The versioned seed files, loaded and checked (pure: only this package's own files)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from services.intake.reference.models import Procedure, Unit

DATA = Path(__file__).parent / "data"


def _records(name: str) -> list[dict[str, Any]]:
    document = json.loads((DATA / name).read_text(encoding="utf-8"))
    records: list[dict[str, Any]] = document["items"]
    return records


def unit_paths(
    units: Iterable[Unit], *, known: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, tuple[str, ...]]:
    """Root-first code path of every unit; ``known`` holds paths already stored.

    Raises ValueError on a duplicate code, an unknown parent or a cycle.
    """
    by_code: dict[str, Unit] = {}
    for unit in units:
        if unit.code in by_code:
            raise ValueError(f"duplicate unit code {unit.code}")
        by_code[unit.code] = unit
    paths: dict[str, tuple[str, ...]] = dict(known or {})

    def path_of(code: str, seen: tuple[str, ...]) -> tuple[str, ...]:
        if code in seen:
            raise ValueError(f"unit {code} is its own ancestor: {' > '.join((*seen, code))}")
        if code in by_code:
            unit = by_code[code]
            if unit.parent is None:
                return (code,)
            if unit.parent not in by_code and unit.parent not in paths:
                raise ValueError(f"unit {code} has an unknown parent {unit.parent}")
            return (*path_of(unit.parent, (*seen, code)), code)
        return paths[code]

    return {**paths, **{code: path_of(code, ()) for code in by_code}}


def load_units() -> list[Unit]:
    """The seed units, each parent before its children."""
    units = [Unit.model_validate(record) for record in _records("units.json")]
    paths = unit_paths(units)
    return sorted(units, key=lambda unit: (len(paths[unit.code]), unit.code))


def load_procedures() -> list[Procedure]:
    procedures = [Procedure.model_validate(record) for record in _records("procedures.json")]
    codes = [procedure.code for procedure in procedures]
    duplicates = {code for code in codes if codes.count(code) > 1}
    if duplicates:
        raise ValueError(f"duplicate procedure codes {sorted(duplicates)}")
    return procedures
