"""The national unit tree, derived from the official lists (pure: package data only, no I/O
beyond reading it).

Since the reform of 1 July 2025 the police have three levels that take in dossiers: the
Ministry's departments, the 34 provincial police, and the 3,321 commune-level police (one
per ward, commune and special zone). `vietnam-provinces` carries the 2025 list with its
official codes; `vietnamadminunits` carries the 63 provinces and 10,040 communes before the
reform and which new commune each became. docs/units.md explains the codes:

- the Ministry and its departments keep the seed file's codes (``000.00.NN.B01``);
- a provincial police: ``000.00.00.H<pp>``, ``pp`` the province's official two-digit code;
- its departments that handle procedures: ``000.00.<NN>.H<pp>`` (:data:`PROVINCE_DEPARTMENTS`);
- a commune-level police: ``<www>.<ww>.00.H<pp>``, ``wwwww`` the commune's official
  five-digit code, split across the V and Z fields;
- a commune police retired by the 2025 reform: ``<www>.<ww>.99.H<qq>``, its commune's
  code before the reform and its province's code before the reform; ``99`` in the Y field
  keeps the old codes apart from the new, which reuse many of the old commune numbers.

The codes are derived from the official numbers rather than numbered in order, so the same
commune has the same code whatever else the list holds; a department that has the Ministry's
own list loads it with ``manage import-units`` instead.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from vietnam_provinces import Province, Ward

from services.intake.reference.models import Unit, UnitLevel

MINISTRY = "000.00.00.B01"
REFORM_DAY = date(2025, 7, 1)
"""The day the district level ended and the merged communes and provinces took over."""

LEGACY_FIELD = "99"


@dataclass(frozen=True)
class Department:
    number: str
    name: str


PROVINCE_DEPARTMENTS = (
    Department("20", "Phòng Quản lý xuất nhập cảnh"),
    Department("21", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội"),
    Department("22", "Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
    Department("23", "Phòng Cảnh sát giao thông"),
)
"""The provincial police's departments that take in dossiers (passports, residence and ID
cards for what communes do not, fire safety, vehicles), with their fixed Y field."""


def province_police_code(province_code: int) -> str:
    return f"000.00.00.H{province_code:02d}"


def department_code(province_code: int, department: Department) -> str:
    return f"000.00.{department.number}.H{province_code:02d}"


def commune_police_code(province_code: int, commune_code: int) -> str:
    digits = f"{commune_code:05d}"
    return f"{digits[:3]}.{digits[3:]}.00.H{province_code:02d}"


def legacy_commune_police_code(province_code: int, commune_code: int) -> str:
    digits = f"{commune_code:05d}"
    return f"{digits[:3]}.{digits[3:]}.{LEGACY_FIELD}.H{province_code:02d}"


def _tidy(name: str) -> str:
    """One space between words (the package data has the odd double space)."""
    return " ".join(name.split())


def police_name(division_name: str) -> str:
    """'Phường Hoàn Kiếm' -> 'Công an phường Hoàn Kiếm'; 'Thành phố Hà Nội' -> 'Công an
    thành phố Hà Nội' (the division's kind in lower case, as units write their names)."""
    division_name = _tidy(division_name)
    for kind in ("Thành phố", "Tỉnh", "Phường", "Xã", "Thị trấn", "Đặc khu"):
        if division_name.lower().startswith(kind.lower() + " "):
            return f"Công an {kind.lower()} {division_name[len(kind) + 1 :]}"
    return f"Công an {division_name}"


def _head_title(police: str) -> str:
    # "Công an phường X" is led by "Trưởng Công an phường".
    kind = police.removeprefix("Công an ").split(" ")[0]
    if kind in {"thị", "đặc"}:
        kind = " ".join(police.removeprefix("Công an ").split(" ")[:2])
    return f"Trưởng Công an {kind}"


def _fold(name: str) -> str:
    """Names compared by their letters alone: 'Hòa' and 'Hoà', 'Chân Mây - Lăng Cô' and
    'Chân Mây – Lăng Cô' are the same commune."""
    decomposed = unicodedata.normalize("NFD", name.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if ch.isalnum())


def province_name(province: Province) -> str:
    """'Thành phố Hà Nội', 'Tỉnh Cao Bằng': the package names provinces without their kind."""
    if province.name.lower().startswith(("thành phố ", "tỉnh ")):
        return province.name
    kind = "Thành phố" if province.division_type.value.startswith("thành phố") else "Tỉnh"
    return f"{kind} {province.name}"


def current_units() -> list[Unit]:
    """The 34 provincial police with their departments and the 3,321 commune-level police,
    parents first (the Ministry itself comes from the seed file)."""
    units: list[Unit] = []
    provinces = {p.code.value: p for p in Province.iter_all()}
    for code, province in sorted(provinces.items()):
        police = province_police_code(code)
        full_name = province_name(province)
        units.append(
            Unit(
                code=police,
                name=police_name(full_name),
                level=UnitLevel.PROVINCE,
                parent=MINISTRY,
                address=full_name,
                head_title="Giám đốc",
            )
        )
        for department in PROVINCE_DEPARTMENTS:
            units.append(
                Unit(
                    code=department_code(code, department),
                    name=f"{department.name} - {police_name(full_name)}",
                    level=UnitLevel.PROVINCE,
                    parent=police,
                    address=full_name,
                    head_title="Trưởng phòng",
                )
            )
    for ward in sorted(Ward.iter_all(), key=lambda w: w.code.value):
        province = provinces[ward.province_code.value]
        name = police_name(ward.name)
        units.append(
            Unit(
                code=commune_police_code(province.code.value, ward.code.value),
                name=name,
                level=UnitLevel.COMMUNE,
                parent=province_police_code(province.code.value),
                address=f"{_tidy(ward.name)}, {province_name(province)}",
                head_title=_head_title(name),
            )
        )
    return units


@dataclass(frozen=True)
class _Legacy:
    province_code: int
    province: str
    commune_code: int | None
    commune: str
    district: str


def _dataset() -> sqlite3.Connection:
    path = resources.files("vietnamadminunits") / "data" / "dataset.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _converter() -> dict[str, dict[str, object]]:
    path = resources.files("vietnamadminunits") / "data" / "converter_2025.json"
    converter: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    return converter


_Official = tuple[int, int]
"""A commune by its official codes: (province, commune)."""


@dataclass(frozen=True)
class _Old:
    """A commune before the reform: its official codes and names."""

    province: int
    commune: int
    province_name: str
    commune_name: str


def _legacy_keys() -> dict[str, _Old]:
    """The library's key of each old commune -> the commune."""
    with _dataset() as db:
        return {
            f"{pk}_{dk}_{wk}": _Old(int(pc), int(wc), province, ward)
            for pk, dk, wk, pc, wc, province, ward in db.execute(
                "SELECT provinceKey, districtKey, wardKey, provinceCode, wardCode, province, ward "
                "FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode != ''"
            )
        }


def _official_of_new() -> dict[tuple[str, str], _Official]:
    """The library's key of each new commune -> its official codes in `vietnam-provinces`
    (matched by name where the two packages number a commune differently)."""
    current = {(w.province_code.value, _fold(w.name)): w for w in Ward.iter_all()}
    by_code = {w.code.value: w for w in Ward.iter_all()}
    with _dataset() as db:
        rows = db.execute(
            "SELECT provinceKey, wardKey, provinceCode, wardCode, ward FROM admin_units"
        ).fetchall()
    official: dict[tuple[str, str], _Official] = {}
    for province_key, ward_key, province, code, name in rows:
        ward = by_code.get(int(code))
        if ward is None or _fold(ward.name) != _fold(name):
            ward = current[(int(province), _fold(name))]
        official[(province_key, ward_key)] = (ward.province_code.value, ward.code.value)
    return official


def _successor_keys(converter: dict[str, dict[str, object]]) -> Iterator[tuple[str, str, str]]:
    """(old commune's key, new province's key, new commune's key) for every old commune.

    A commune split between several new ones has as its successor the one the library
    names as the default (where most of it went).
    """
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        assert isinstance(wards, dict)
        for ward_key, olds in wards.items():
            for old in olds:
                yield old, province_key, ward_key
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        assert isinstance(olds, dict)
        for old, parts in olds.items():
            default = next((p for p in parts if p["isDefaultNewWard"]), parts[0])
            yield old, province_key, default["newWardKey"]


@cache
def _mapping() -> tuple[dict[int, int], dict[_Old, _Official]]:
    """(old province -> new province, old commune -> (new province, new commune)), by
    official codes."""
    legacy = _legacy_keys()
    official = _official_of_new()
    communes = {
        legacy[old]: official[(province_key, ward_key)]
        for old, province_key, ward_key in _successor_keys(_converter())
        if old in legacy
    }
    provinces: dict[int, int] = {}
    for old_commune, (new_province, _) in communes.items():
        provinces.setdefault(old_commune.province, new_province)
    return provinces, communes


def legacy_units() -> list[Unit]:
    """The provincial and commune police the 2025 reform retired, each naming its successor
    (parents first; the current tree must be loaded before them).

    Every old commune is retired, a commune the reform kept whole included: its police
    answered to a district that no longer exists. The district level is not rebuilt: an
    old commune hangs under its old province (docs/units.md).
    """
    provinces, communes = _mapping()
    names = {old.province: old.province_name for old in communes}
    current = {p.code.value for p in Province.iter_all()}
    units: list[Unit] = []
    for old_province, new_province in sorted(provinces.items()):
        if old_province in current:
            continue
        units.append(
            Unit(
                code=province_police_code(old_province),
                name=police_name(names[old_province]),
                level=UnitLevel.PROVINCE,
                parent=MINISTRY,
                address=names[old_province],
                head_title="Giám đốc",
                successor=province_police_code(new_province),
                retired_on=REFORM_DAY,
            )
        )
    for old, (new_province, new_code) in sorted(
        communes.items(), key=lambda item: (item[0].province, item[0].commune)
    ):
        units.append(_legacy_commune(old, new_province, new_code))
    return units


def _legacy_commune(old: _Old, new_province: int, new_code: int) -> Unit:
    name = police_name(old.commune_name)
    return Unit(
        code=legacy_commune_police_code(old.province, old.commune),
        name=name,
        level=UnitLevel.COMMUNE,
        parent=province_police_code(old.province),
        address=f"{_tidy(old.commune_name)}, {old.province_name}",
        head_title=_head_title(name),
        successor=commune_police_code(new_province, new_code),
        retired_on=REFORM_DAY,
    )


def iter_national_units() -> Iterator[Unit]:
    """Today's tree, then the retired units: the order an upsert needs."""
    yield from current_units()
    yield from legacy_units()
