"""``manage import-units FILE`` against PostgreSQL: all or nothing, twice changes nothing,
a move carries its whole subtree's paths, a retirement names the successor."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from motcua.dossier import LOCAL_ZONE
from services.intake.manage import main

HEADER = "code,name,level,parent,address,successor\n"
MINISTRY = "000.00.00.B01"
_PROVINCES = itertools.count(10)
_FILES = itertools.count()


def _province() -> str:
    """A test province of its own (letter T, never the official H), so no test sees
    another's units."""
    return f"T{next(_PROVINCES):02d}"


def _snapshot(intake_url: str) -> list[tuple[Any, ...]]:
    """The whole units table with every row's version (xmin), and the audit trail's size."""
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute("SELECT xmin::text, * FROM units ORDER BY code").fetchall()
        audit = conn.execute("SELECT count(*) FROM audit_log").fetchall()
    return [*rows, *audit]


def _import(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[str],
    header: str = HEADER,
) -> int:
    monkeypatch.setenv("DATABASE_URL", intake_url)
    monkeypatch.delenv("INTAKE_DATABASE_URL", raising=False)
    source = tmp_path / f"units-{next(_FILES)}.csv"
    source.write_text("\ufeff" + header + "\n".join(rows) + "\n", encoding="utf-8")
    return main(["import-units", str(source)])


def _tree(province: str) -> list[str]:
    """A province police with a district and two communes under it."""
    police = f"000.00.00.{province}"
    district = f"001.00.00.{province}"
    return [
        f"{police},Công an tỉnh Thử,province,{MINISTRY},Tỉnh Thử,",
        f"{district},Công an huyện Thử,district,{police},,",
        f'001.01.00.{province},"Công an xã Một, Thử",commune,{district},,',
        f"001.02.00.{province},Công an xã Hai,commune,{district},,",
    ]


def _units(intake_url: str, province: str) -> dict[str, tuple[Any, ...]]:
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT code, parent_code, name, path, successor_code, retired_on FROM units "
            "WHERE code LIKE %s",
            (f"%{province}",),
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_a_file_with_one_error_writes_nothing_and_names_every_error(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    province = _province()
    rows = [
        *_tree(province),
        f"009.00.00.{province},Công an xã Lạc,commune,099.00.00.{province},,",
        f"001.02.00.{province},Công an xã Hai,hamlet,000.00.00.{province},,",
    ]
    before = _snapshot(intake_url)
    assert _import(tmp_path, intake_url, monkeypatch, rows) == 2
    errors = capsys.readouterr().err
    assert f"line 6, field parent: no unit has code 099.00.00.{province}" in errors
    assert "line 7, field level: Input should be" in errors
    assert "2 errors; nothing imported" in errors
    assert _snapshot(intake_url) == before


def test_the_same_file_imported_twice_changes_nothing_the_second_time(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    province = _province()
    rows = _tree(province)
    assert _import(tmp_path, intake_url, monkeypatch, rows) == 0
    assert "4 added, 0 renamed, 0 moved, 0 retired, 0 updated, 0 unchanged" in (
        capsys.readouterr().out
    )
    units = _units(intake_url, province)
    assert units[f"001.01.00.{province}"][1] == "Công an xã Một, Thử"
    assert units[f"001.01.00.{province}"][2] == [
        MINISTRY,
        f"000.00.00.{province}",
        f"001.00.00.{province}",
        f"001.01.00.{province}",
    ]
    before = _snapshot(intake_url)
    assert _import(tmp_path, intake_url, monkeypatch, rows) == 0
    assert "0 added, 0 renamed, 0 moved, 0 retired, 0 updated, 4 unchanged" in (
        capsys.readouterr().out
    )
    assert _snapshot(intake_url) == before, "not a row written, not even the audit entry"


def test_a_departments_phone_numbers_are_loaded_and_kept_by_a_list_without_them(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    province = _province()
    rows = _tree(province)
    assert _import(tmp_path, intake_url, monkeypatch, rows) == 0
    commune = f"001.02.00.{province}"
    phoned = f"{rows[3]},Trưởng Công an xã,0206 3852 111"
    header = HEADER.replace("successor", "successor,head_title,public_phone")
    assert _import(tmp_path, intake_url, monkeypatch, [phoned], header) == 0
    assert "0 added, 0 renamed, 0 moved, 0 retired, 1 updated, 0 unchanged" in (
        capsys.readouterr().out
    )
    with psycopg.connect(intake_url) as conn:
        stored = conn.execute(
            "SELECT head_title, public_phone FROM units WHERE code = %s", (commune,)
        ).fetchone()
    assert stored == ("Trưởng Công an xã", "0206 3852 111")
    # The whole list again, without the columns: the number stays, nothing is written.
    before = _snapshot(intake_url)
    assert _import(tmp_path, intake_url, monkeypatch, rows) == 0
    assert "4 unchanged" in capsys.readouterr().out
    assert _snapshot(intake_url) == before


def test_a_move_recomputes_the_paths_of_the_unit_and_all_its_descendants(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    province = _province()
    assert _import(tmp_path, intake_url, monkeypatch, _tree(province)) == 0
    other = f"000.00.01.{province}"
    moved = [
        f"{other},Công an tỉnh Khác,province,{MINISTRY},,",
        f"001.00.00.{province},Công an huyện Thử mới,district,{other},,",
    ]
    assert _import(tmp_path, intake_url, monkeypatch, moved) == 0
    out = capsys.readouterr().out
    assert f"moved    001.00.00.{province} from 000.00.00.{province} to {other}" in out
    assert "1 added, 1 renamed, 1 moved, 0 retired, 0 updated, 0 unchanged; 2 paths" in out
    units = _units(intake_url, province)
    for commune in (f"001.01.00.{province}", f"001.02.00.{province}"):
        assert units[commune][2] == [MINISTRY, other, f"001.00.00.{province}", commune]
    assert units[f"001.00.00.{province}"][2] == [MINISTRY, other, f"001.00.00.{province}"]


def test_a_retirement_names_the_successor_and_is_audited(
    tmp_path: Path,
    intake_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    province = _province()
    assert _import(tmp_path, intake_url, monkeypatch, _tree(province)) == 0
    one, two = f"001.01.00.{province}", f"001.02.00.{province}"
    merged = [f'{one},"Công an xã Một, Thử",commune,001.00.00.{province},,{two}']
    assert _import(tmp_path, intake_url, monkeypatch, merged) == 0
    today = datetime.now(LOCAL_ZONE).date()
    assert f"retired  {one} on {today}, successor {two}" in capsys.readouterr().out
    assert _units(intake_url, one[-3:])[one][3:] == (two, today)
    with psycopg.connect(intake_url) as conn:
        row = conn.execute(
            "SELECT details FROM audit_log WHERE action = 'unit.changed' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert row
    assert row[0]["retired"] == 1
    assert row[0]["unchanged"] == 0
