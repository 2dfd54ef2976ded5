"""The board's unit filter on a national tree: grouped by province, in-service units only,
by name, and a unit's filter bringing the retired units it carries on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from motcua.reference import Names, StaticReference, UnitRef, carried_over
from motcua.web import Layout
from services.deadlines.board.pages import board_page, board_view
from services.deadlines.board.query import parse_board_request
from services.deadlines.board.service import BoardPage, StatusCounts
from services.deadlines.board.units import UnitGroup, UnitOption, unit_choice
from services.deadlines.board.views.filters import resolve
from services.deadlines.officers import Officer

MINISTRY, DEPARTMENT = "000.00.00.B01", "000.00.01.B01"
HANOI, HANOI_PASSPORTS, BA_DINH, HOAN_KIEM = (
    "000.00.00.H01",
    "000.00.20.H01",
    "000.04.00.H01",
    "000.70.00.H01",
)
OLD_BA_DINH, OLDER = "000.01.99.H01", "000.02.99.H01"
HA_GIANG, TUYEN_QUANG, OLD_COMMUNE = "000.00.00.H02", "000.00.00.H08", "000.31.99.H02"
RETIRED = date(2025, 7, 1)


@dataclass(frozen=True)
class Unit(UnitRef):
    """A unit with the successor and retirement intake's ``GET /v1/units`` gives."""

    successor: str | None = None
    retired_on: date | None = None


def _unit(code: str, name: str, *path: str, level: str, successor: str | None = None) -> Unit:
    return Unit(
        code,
        name,
        (*path, code),
        level=level,
        successor=successor,
        retired_on=RETIRED if successor else None,
    )


TREE = [
    _unit(MINISTRY, "Bộ Công an", level="central"),
    _unit(DEPARTMENT, "Cục Cảnh sát QLHC về TTXH", MINISTRY, level="central"),
    _unit(HANOI, "Công an Thành phố Hà Nội", MINISTRY, level="province"),
    _unit(HANOI_PASSPORTS, "Phòng Quản lý xuất nhập cảnh", MINISTRY, HANOI, level="province"),
    _unit(HOAN_KIEM, "Công an phường Hoàn Kiếm", MINISTRY, HANOI, level="commune"),
    _unit(BA_DINH, "Công an phường Ba Đình", MINISTRY, HANOI, level="commune"),
    _unit(
        OLD_BA_DINH, "Công an phường Điện Biên", MINISTRY, HANOI, level="commune", successor=BA_DINH
    ),
    _unit(
        OLDER, "Công an phường Quán Thánh", MINISTRY, HANOI, level="commune", successor=OLD_BA_DINH
    ),
    _unit(TUYEN_QUANG, "Công an tỉnh Tuyên Quang", MINISTRY, level="province"),
    _unit(HA_GIANG, "Công an tỉnh Hà Giang", MINISTRY, level="province", successor=TUYEN_QUANG),
    _unit(
        OLD_COMMUNE, "Công an xã Đạo Đức", MINISTRY, HA_GIANG, level="commune", successor=BA_DINH
    ),
]
REFERENCE = StaticReference(units=TREE)
NAMES = Names(REFERENCE)


def _labels(groups: list[UnitGroup]) -> list[tuple[str | None, list[str]]]:
    return [(group.label, [option.label for option in group.options]) for group in groups]


def test_a_unit_carries_on_every_retired_unit_of_its_mergers_and_no_other() -> None:
    # Quán Thánh merged into Điện Biên, merged in turn into Ba Đình; Đạo Đức into it too.
    assert carried_over(TREE, BA_DINH) == (OLD_BA_DINH, OLDER, OLD_COMMUNE)
    assert carried_over(TREE, OLD_BA_DINH) == (OLDER,)
    assert carried_over(TREE, TUYEN_QUANG) == (HA_GIANG,)
    assert carried_over(TREE, HOAN_KIEM) == ()
    # The catalogue answers the same from its snapshot's index.
    assert [REFERENCE.carried_over(c) for c in (BA_DINH, TUYEN_QUANG, HOAN_KIEM)] == [
        carried_over(TREE, c) for c in (BA_DINH, TUYEN_QUANG, HOAN_KIEM)
    ]


def test_carrying_on_survives_a_cycle_in_a_bad_list() -> None:
    looped = [
        _unit("A", "A", level="commune", successor="B"),
        _unit("B", "B", level="commune", successor="A"),
    ]
    assert carried_over(looped, "A") == ("B",)


def test_a_province_officer_gets_the_province_by_name_in_service_only() -> None:
    choice = unit_choice(REFERENCE.units_within(HANOI), HANOI, None, NAMES)
    assert not choice.by_province
    assert _labels(choice.groups) == [
        (
            "Công an Thành phố Hà Nội",
            [
                "Công an Thành phố Hà Nội",
                "— Công an phường Ba Đình",
                "— Công an phường Hoàn Kiếm",
                "— Phòng Quản lý xuất nhập cảnh",
            ],
        )
    ]


def test_a_national_officer_picks_a_province_then_its_units() -> None:
    first = unit_choice(REFERENCE.units_within(MINISTRY), MINISTRY, None, NAMES)
    assert first.by_province
    assert _labels(first.groups) == [
        (None, ["Bộ Công an", "— Cục Cảnh sát QLHC về TTXH"]),
        ("Tỉnh, thành phố", ["Công an Thành phố Hà Nội", "Công an tỉnh Tuyên Quang"]),
    ]
    [outside, provinces, hanoi] = unit_choice(
        REFERENCE.units_within(MINISTRY), MINISTRY, BA_DINH, NAMES
    ).groups
    assert hanoi.label == "Công an Thành phố Hà Nội"
    assert UnitOption(BA_DINH, "— Công an phường Ba Đình") in hanoi.options
    assert len(hanoi.options) == 3  # Hà Nội's police itself is among the provinces
    assert (outside, provinces) == tuple(first.groups)


def test_a_unit_the_select_does_not_offer_is_kept_and_no_tree_offers_the_own_unit() -> None:
    kept = unit_choice(REFERENCE.units_within(HANOI), HANOI, OLD_BA_DINH, NAMES)
    assert kept.groups[-1] == UnitGroup(None, [UnitOption(OLD_BA_DINH, "Công an phường Điện Biên")])
    unknown = unit_choice([], BA_DINH, None, Names(StaticReference()))
    assert unknown.groups == [UnitGroup(None, [UnitOption(BA_DINH, BA_DINH)])]


def test_the_filter_resolves_the_retired_units_the_unit_asked_carries_on() -> None:
    officer = Officer("truc.hanoi", "Trực ban Hà Nội", HANOI)
    resolved = resolve(officer, {"unit": BA_DINH}, REFERENCE)
    assert resolved.request.filter.carried_units == (OLD_BA_DINH, OLDER, OLD_COMMUNE)
    assert resolve(officer, {"unit": HOAN_KIEM}, REFERENCE).request.filter.carried_units == ()
    assert resolve(officer, {}, REFERENCE).request.filter.carried_units == ()
    # Never from the URL: the parameter does not exist.
    assert resolve(officer, {"carried_units": OLDER}, REFERENCE).request.filter.carried_units == ()


def test_the_board_page_offers_the_groups_and_says_how_to_reach_a_commune() -> None:
    view = board_view(
        layout=Layout(),
        officer_unit=MINISTRY,
        request=parse_board_request({"unit": HANOI}),
        page=BoardPage([], StatusCounts(0, 0, 0, 0), None),
        raw={"unit": HANOI},
        error=None,
        units=REFERENCE.units_within(MINISTRY),
        procedures=[],
        names=NAMES,
        now=datetime(2025, 11, 18, 3, 0, tzinfo=UTC),
    )
    html = board_page(view)
    assert '<optgroup label="Tỉnh, thành phố">' in html
    assert f'<option value="{HANOI}" selected>Công an Thành phố Hà Nội</option>' in html
    assert f'<option value="{BA_DINH}">— Công an phường Ba Đình</option>' in html
    assert "Chọn tỉnh, thành phố rồi bấm Lọc" in html
    assert OLD_BA_DINH not in html  # retired: not offered
    assert html.count(" selected>") == 1
