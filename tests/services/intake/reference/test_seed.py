"""The seed files: a valid unit tree of any depth and the legal times of docs/domain.md."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.reference.models import Procedure, Unit, UnitLevel
from services.intake.reference.national import iter_national_units
from services.intake.reference.seed import load_procedures, load_units, unit_paths


def test_units_load_parents_first_with_root_first_paths() -> None:
    units = load_units()
    paths = unit_paths(units)
    seen: set[str] = set()
    for unit in units:
        assert unit.parent is None or unit.parent in seen
        seen.add(unit.code)
        assert paths[unit.code][-1] == unit.code
        assert paths[unit.code][0] == "000.00.00.B01"


def test_depth_is_data_three_and_four_level_branches() -> None:
    """The seed file holds the Ministry and its departments; the national tree is three
    levels deep since the district level ended, and a four-level branch (a district, as a
    department's own list may still have) is as valid."""
    units = [*load_units(), *iter_national_units()]
    district = Unit(
        code="001.00.00.H01", name="Quận", level=UnitLevel.DISTRICT, parent="000.00.00.H01"
    )
    commune = Unit(
        code="001.01.00.H01", name="Phường", level=UnitLevel.COMMUNE, parent="001.00.00.H01"
    )
    depths = {len(path) for path in unit_paths([*units, district, commune]).values()}
    assert {3, 4} <= depths
    assert {unit.level for unit in load_units()} == {UnitLevel.CENTRAL}


def _unit(code: str, parent: str | None) -> Unit:
    return Unit(code=code, name=code, level=UnitLevel.COMMUNE, parent=parent)


def test_loader_refuses_cycles_unknown_parents_and_duplicates() -> None:
    with pytest.raises(ValueError, match="own ancestor"):
        unit_paths(
            [_unit("000.00.01.H01", "000.00.02.H01"), _unit("000.00.02.H01", "000.00.01.H01")]
        )
    with pytest.raises(ValueError, match="unknown parent"):
        unit_paths([_unit("000.00.01.H01", "000.00.09.H01")])
    with pytest.raises(ValueError, match="duplicate"):
        unit_paths([_unit("000.00.01.H01", None), _unit("000.00.01.H01", None)])


@pytest.mark.parametrize(
    ("name_part", "days"),
    [
        ("Cấp thẻ căn cước", 7),
        ("Đăng ký thường trú", 7),
        ("Đăng ký tạm trú", 3),
        ("Cấp hộ chiếu phổ thông ở trong nước tại Công an cấp tỉnh", 8),
        ("Cấp hộ chiếu phổ thông ở trong nước tại Cục", 5),
        ("Trình báo mất hộ chiếu", 1),
    ],
)
def test_legal_processing_times_match_domain(name_part: str, days: int) -> None:
    [procedure] = [p for p in load_procedures() if p.name.startswith(name_part)]
    assert procedure.processing_time.amount == days
    assert procedure.processing_time.unit == "working_days"


CONFIRMED = {
    "2.000200",
    "2.001195",
    "2.001194",
    "1.004222",
    "1.004194",
    "1.002755",
    "1.004206",
    "1.004227",
    "1.003677",
    "1.001456",
    "1.001471",
    "1.001445",
}
"""The procedures whose times docs/domain.md's table gives; every other one is flagged."""


def test_unconfirmed_times_are_flagged() -> None:
    procedures = load_procedures()
    flagged = {p.field.value for p in procedures if p.unconfirmed}
    assert {"vehicle_registration", "fire_safety"} <= flagged
    assert {p.code for p in procedures if not p.unconfirmed} == CONFIRMED
    assert all(p.notes for p in procedures if p.unconfirmed), "say why it is unconfirmed"


def test_extra_fields_are_refused_naming_the_field() -> None:
    record = load_procedures()[0].model_dump(mode="json") | {"fee": 50_000}
    with pytest.raises(ValidationError, match="fee"):
        Procedure.model_validate(record)
