"""The national unit tree derived from the official lists (docs/units.md)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from motcua.dossier import UNIT_CODE_PATTERN
from services.intake.reference.models import UnitLevel
from services.intake.reference.national import (
    MINISTRY,
    REFORM_DAY,
    commune_police_code,
    current_units,
    iter_national_units,
    legacy_commune_police_code,
    legacy_units,
    police_name,
)
from services.intake.reference.seed import load_units, unit_paths


def test_thirty_four_provinces_each_under_the_ministry() -> None:
    provinces = [u for u in current_units() if u.parent == MINISTRY]
    assert len(provinces) == 34
    assert all(u.level is UnitLevel.PROVINCE for u in provinces)


def test_exactly_3321_commune_level_units() -> None:
    communes = [u for u in current_units() if u.level is UnitLevel.COMMUNE]
    assert len(communes) == 3321
    assert all(u.parent is not None and u.parent.startswith("000.00.00.H") for u in communes)


def test_codes_are_unique_and_follow_the_agency_pattern() -> None:
    codes = [u.code for u in [*load_units(), *iter_national_units()]]
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    pattern = re.compile(UNIT_CODE_PATTERN)
    assert [code for code in codes if not pattern.match(code)] == []


def test_the_whole_tree_hangs_from_the_ministry() -> None:
    paths = unit_paths([*load_units(), *iter_national_units()])
    assert {path[0] for path in paths.values()} == {MINISTRY}


def test_codes_are_derived_from_the_official_numbers() -> None:
    by_code = {u.code: u for u in current_units()}
    assert commune_police_code(1, 70) == "000.70.00.H01"
    assert by_code["000.70.00.H01"].name == "Công an phường Hoàn Kiếm"
    assert by_code["000.70.00.H01"].parent == "000.00.00.H01"
    assert by_code["000.00.00.H01"].name == "Công an thành phố Hà Nội"
    assert commune_police_code(79, 26734) == "267.34.00.H79"
    assert legacy_commune_police_code(1, 4) == "000.04.99.H01"
    assert "000.00.20.H01" in by_code


def test_names_carry_the_kind_in_lower_case() -> None:
    by_code = {u.code: u for u in current_units()}
    assert by_code["000.00.00.H04"].name == "Công an tỉnh Cao Bằng"
    assert police_name("Đặc khu Phú Quốc") == "Công an đặc khu Phú Quốc"
    assert by_code["000.70.00.H01"].head_title == "Trưởng Công an phường"


def test_every_retired_unit_names_a_current_successor() -> None:
    current = {u.code for u in current_units()}
    retired = legacy_units()
    assert len([u for u in retired if u.level is UnitLevel.PROVINCE]) == 29
    assert all(u.retired_on == REFORM_DAY for u in retired)
    assert [u.code for u in retired if u.successor not in current] == []
    assert not current & {u.code for u in retired}


def test_the_merged_wards_of_ba_dinh_go_to_phuong_ba_dinh() -> None:
    retired = {u.code: u for u in legacy_units()}
    ba_dinh = {u.name: u.code for u in current_units()}["Công an phường Ba Đình"]
    truc_bach, quan_thanh = retired["000.04.99.H01"], retired["000.13.99.H01"]
    assert (truc_bach.name, quan_thanh.name) == (
        "Công an phường Trúc Bạch",
        "Công an phường Quán Thánh",
    )
    assert truc_bach.successor == quan_thanh.successor == ba_dinh


def test_a_merged_province_is_retired_into_its_successor() -> None:
    retired = {u.code: u for u in legacy_units()}
    ha_giang = retired["000.00.00.H02"]
    assert ha_giang.name == "Công an tỉnh Hà Giang"
    assert ha_giang.successor == "000.00.00.H08"
    assert ha_giang.retired_on == date(2025, 7, 1)
