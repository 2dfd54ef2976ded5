"""Today's tree (``services.reporting.tree``): where a retired unit's figures are carried."""

from __future__ import annotations

from services.intake.reference.national import iter_national_units
from services.reporting.tree import UnitLink, final_successor, today_paths

ROOT = "R"


def test_a_chain_of_mergers_ends_at_the_final_successor() -> None:
    units = {
        "R": UnitLink(("R",)),
        "P": UnitLink(("R", "P")),
        "A": UnitLink(("R", "P", "A"), successor="B"),
        "B": UnitLink(("R", "P", "B"), successor="C"),
        "C": UnitLink(("R", "P", "C")),
    }
    assert final_successor("A", units) == "C"
    paths = today_paths(units)
    assert paths["A"] == paths["B"] == paths["C"] == ("R", "P", "C")
    assert paths["P"] == ("R", "P")


def test_a_unit_under_a_merged_province_moves_with_it() -> None:
    """An old province merged into another: a unit still under it (a department not yet
    retired itself) is under the province that took it over."""
    units = {
        "R": UnitLink(("R",)),
        "P": UnitLink(("R", "P")),
        "Q": UnitLink(("R", "Q"), successor="P"),
        "Q1": UnitLink(("R", "Q", "Q1")),
        "Q2": UnitLink(("R", "Q", "Q2"), successor="P1"),
        "P1": UnitLink(("R", "P", "P1")),
    }
    paths = today_paths(units)
    assert paths["Q"] == ("R", "P")
    assert paths["Q1"] == ("R", "P", "Q1")
    assert paths["Q2"] == ("R", "P", "P1")


def test_a_loop_of_successors_stops_and_an_unknown_successor_is_its_own_root_path() -> None:
    units = {
        "R": UnitLink(("R",)),
        "A": UnitLink(("R", "A"), successor="B"),
        "B": UnitLink(("R", "B"), successor="A"),
        "C": UnitLink(("R", "C"), successor="X"),
    }
    assert final_successor("A", units) == "B"
    assert final_successor("B", units) == "A"
    assert today_paths(units)["C"] == ("X",)


def test_every_unit_of_the_national_tree_rolls_up_to_one_of_the_34_provinces() -> None:
    """The Prometheus province label is today's province: every retired province's and
    commune's figures land under one of the 34 provincial police of the 2025 reform."""
    parents = {u.code: u.parent for u in iter_national_units()}
    successors = {u.code: u.successor for u in iter_national_units()}

    def path(code: str) -> tuple[str, ...]:
        parent = parents.get(code)
        return (*path(parent), code) if parent in parents and parent else (ROOT, code)

    units = {code: UnitLink(path(code), successors[code]) for code in parents}
    provinces = {p[1] for p in today_paths(units).values()}
    retired = {code for code, successor in successors.items() if successor}
    assert len(provinces) == 34
    assert not provinces & retired
    assert len(retired) > 10_000
