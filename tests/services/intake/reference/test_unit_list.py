"""A department's unit list checked whole against the stored tree: every error named by
line and field, the plan of what it changes, nothing when it changes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from services.intake.reference.models import Unit, UnitLevel
from services.intake.reference.unit_list import UnitListRefused, UnitPlan, plan_import

TODAY = date(2026, 3, 2)
HEADER = "code,name,level,parent,address,successor\n"
MINISTRY = "000.00.00.B01"
HANOI = "000.00.00.H01"
HAIPHONG = "000.00.00.H31"
WARD = "000.70.00.H01"
OLD = "000.04.99.H01"


def _stored() -> dict[str, Unit]:
    units = [
        Unit(code=MINISTRY, name="Bộ Công an", level=UnitLevel.CENTRAL, parent=None),
        Unit(
            code=HANOI, name="Công an thành phố Hà Nội", level=UnitLevel.PROVINCE, parent=MINISTRY
        ),
        Unit(
            code=HAIPHONG,
            name="Công an thành phố Hải Phòng",
            level=UnitLevel.PROVINCE,
            parent=MINISTRY,
        ),
        Unit(code=WARD, name="Công an phường Hoàn Kiếm", level=UnitLevel.COMMUNE, parent=HANOI),
        Unit(
            code=OLD,
            name="Công an phường Trúc Bạch",
            level=UnitLevel.COMMUNE,
            parent=HANOI,
            successor=WARD,
            retired_on=date(2025, 7, 1),
        ),
    ]
    return {unit.code: unit for unit in units}


PATHS = {
    MINISTRY: (MINISTRY,),
    HANOI: (MINISTRY, HANOI),
    HAIPHONG: (MINISTRY, HAIPHONG),
    WARD: (MINISTRY, HANOI, WARD),
    OLD: (MINISTRY, HANOI, OLD),
}


def _plan(text: str) -> UnitPlan:
    return plan_import(text, today=TODAY, stored=_stored(), stored_paths=PATHS)


def _errors(text: str) -> list[str]:
    with pytest.raises(UnitListRefused) as refused:
        _plan(text)
    return [str(error) for error in refused.value.errors]


def test_the_stored_units_listed_again_change_nothing() -> None:
    rows = [
        f"{MINISTRY},Bộ Công an,central,,,",
        f"{HANOI},Công an thành phố Hà Nội,province,{MINISTRY},,",
        f"{OLD},Công an phường Trúc Bạch,commune,{HANOI},,{WARD}",  # retired_on kept
    ]
    plan = _plan("\ufeff" + HEADER + "\n".join(rows) + "\n")
    assert plan.counts() == {
        "added": 0,
        "renamed": 0,
        "moved": 0,
        "retired": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert not plan.changes_anything


def test_added_renamed_moved_and_retired_are_told_apart() -> None:
    rows = [
        f"001.00.00.H01,Công an quận Mới,district,{HANOI},,",
        f"{WARD},Công an phường Hoàn Kiếm mới,commune,001.00.00.H01,,",
        f"002.00.00.H01,Công an phường Cũ,commune,{HANOI},,",
        f"{HAIPHONG},Công an thành phố Hải Phòng,province,{MINISTRY},,{HANOI}",
    ]
    plan = _plan(HEADER + "\n".join(rows))
    assert [unit.code for unit in plan.added] == ["001.00.00.H01", "002.00.00.H01"]
    assert [(u.code, former) for u, former in plan.renamed] == [(WARD, "Công an phường Hoàn Kiếm")]
    assert [(u.code, former) for u, former in plan.moved] == [(WARD, HANOI)]
    [retired] = plan.retired
    assert (retired.code, retired.successor, retired.retired_on) == (HAIPHONG, HANOI, TODAY)
    written = dict((unit.code, path) for unit, path in plan.writes)
    assert written[WARD] == (MINISTRY, HANOI, "001.00.00.H01", WARD)
    assert next(unit.code for unit, _ in plan.writes) == HAIPHONG  # parents first
    assert plan.unchanged == 0


def test_moving_a_unit_recomputes_the_paths_of_all_its_descendants() -> None:
    plan = _plan(HEADER + f"{HANOI},Công an thành phố Hà Nội,province,{HAIPHONG},,\n")
    assert [(u.code, former) for u, former in plan.moved] == [(HANOI, MINISTRY)]
    assert plan.paths == {
        WARD: (MINISTRY, HAIPHONG, HANOI, WARD),
        OLD: (MINISTRY, HAIPHONG, HANOI, OLD),
    }


def test_an_explicit_retirement_date_is_kept() -> None:
    text = "code,name,level,parent,address,successor,retired_on\n"
    text += f"{WARD},Công an phường Hoàn Kiếm,commune,{HANOI},,{HAIPHONG},2026-01-01\n"
    [retired] = _plan(text).retired
    assert retired.retired_on == date(2026, 1, 1)


def test_a_head_title_and_phone_are_set_by_their_columns_and_kept_without_them() -> None:
    with_phone = "code,name,level,parent,address,successor,head_title,public_phone\n"
    with_phone += f"{WARD},Công an phường Hoàn Kiếm,commune,{HANOI},,,Trưởng Công an phường,"
    with_phone += "024 3825 1234\n"
    plan = _plan(with_phone)
    [updated] = plan.updated
    assert (updated.head_title, updated.public_phone) == ("Trưởng Công an phường", "024 3825 1234")
    assert plan.counts()["updated"] == 1
    # A file without the columns leaves what is stored: listing the unit again after the
    # phone was set changes nothing.
    stored = {**_stored(), WARD: updated}
    again = HEADER + f"{WARD},Công an phường Hoàn Kiếm,commune,{HANOI},,\n"
    plan = plan_import(again, today=TODAY, stored=stored, stored_paths=PATHS)
    assert plan.unchanged == 1
    assert not plan.changes_anything
    # The column present and empty clears the number; a malformed one is refused by line.
    cleared = with_phone.replace("024 3825 1234", "")
    [updated] = plan_import(cleared, today=TODAY, stored=stored, stored_paths=PATHS).updated
    assert updated.public_phone is None
    assert _errors(with_phone.replace("024 3825 1234", "gọi tôi")) == [
        f"line 2, field public_phone: {_phone_error('gọi tôi')}"
    ]


def _phone_error(value: str) -> str:
    """The model's own message for a bad phone (the list repeats it, not a copy)."""
    try:
        Unit(code=WARD, name="x", level=UnitLevel.COMMUNE, parent=HANOI, public_phone=value)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    raise AssertionError("the phone was accepted")


def test_every_error_is_named_by_line_and_field() -> None:
    rows = [
        "00.000.00.H01,Sai mã,commune,000.00.00.H01,,",  # line 2: bad code
        f"003.00.00.H01,Cấp lạ,village,{HANOI},,",  # line 3: unknown level
        "004.00.00.H01,Mồ côi,commune,099.00.00.H01,,",  # line 4: unknown parent
        f"005.00.00.H01,Trùng,commune,{HANOI},,",  # line 5
        f"005.00.00.H01,Trùng,commune,{HANOI},,",  # line 6: duplicate
        f"006.00.00.H01,Không kế nhiệm,commune,{HANOI},,007.00.00.H01",  # line 7
        f"008.00.00.H01,Thừa ô,commune,{HANOI},,,x",  # line 8: a cell too many
        f"009.00.00.H01,Dưới đơn vị cũ,commune,{OLD},,",  # line 9: under a retired unit
    ]
    assert _errors(HEADER + "\n".join(rows)) == [
        "line 2, field code: String should match pattern "
        "'^[0-9A-Z]{3}\\.[0-9A-Z]{2}\\.[0-9A-Z]{2}\\.[A-Z][0-9]{2}$'",
        "line 3, field level: Input should be 'central', 'province', 'district' or 'commune'",
        "line 4, field parent: no unit has code 099.00.00.H01, in the file or the tree",
        "line 6, field code: 005.00.00.H01 is listed on line 5 already",
        "line 7, field successor: no unit has code 007.00.00.H01, in the file or the tree",
        "line 8, field row: more cells than the header has columns",
        f"line 9, field parent: {OLD} is retired; it takes no units",
    ]


def test_circles_of_parents_and_of_successors_are_refused() -> None:
    rows = [
        "010.00.00.H01,A,commune,011.00.00.H01,,",
        "011.00.00.H01,B,commune,010.00.00.H01,,",
        f"012.00.00.H01,C,commune,{HANOI},,013.00.00.H01",
        f"013.00.00.H01,D,commune,{HANOI},,012.00.00.H01",
    ]
    errors = _errors(HEADER + "\n".join(rows))
    assert errors[0] == (
        "line 2, field parent: the unit would be its own ancestor: "
        "010.00.00.H01 > 011.00.00.H01 > 010.00.00.H01"
    )
    assert "line 4, field successor: the successors go round: " in errors[2]
    assert len(errors) == 4


def test_retiring_a_unit_with_units_in_service_under_it_is_refused() -> None:
    text = HEADER + f"{HANOI},Công an thành phố Hà Nội,province,{MINISTRY},,{HAIPHONG}\n"
    assert _errors(text) == [
        "line 2, field successor: the unit is retired but 1 units in service still hang "
        f"under it ({WARD}): move or retire them in the same file"
    ]
    moved = text + f"{WARD},Công an phường Hoàn Kiếm,commune,{HAIPHONG},,\n"
    assert [u.code for u in _plan(moved).retired] == [HANOI]


def test_a_malformed_header_or_an_empty_file_is_refused() -> None:
    assert _errors("") == [
        "line 1, field header: the file is empty; expected code,name,level,parent,address,successor"
    ]
    assert _errors("code,name,level,parent,address,heir\n") == [
        "line 1, field heir: unknown column",
        "line 1, field successor: column missing from the header",
    ]
    assert _errors(HEADER) == ["line 1, field header: the file lists no unit"]
