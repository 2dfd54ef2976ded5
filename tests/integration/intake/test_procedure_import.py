"""``manage import-procedures`` against intake's tables: the good lines come in, a bad line is
reported by its line and field, the same file twice changes nothing (no version bump, no new
``updated_at``), a changed line is rewritten and keeps the stored pause policy, and each run
leaves an audit entry."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import ROOT

HEADER = (
    "Mã thủ tục,Tên thủ tục,Lĩnh vực,Thời hạn giải quyết,Đơn vị thời hạn,Mức độ DVC,"
    "Hình thức trả kết quả,Căn cứ pháp lý\r\n"
)


def _codes() -> tuple[str, str]:
    """Codes of this run only: the session's database is shared with other tests."""
    number = 1_000 + uuid.uuid4().int % 998_000
    return f"9.{number:06d}", f"9.{number + 1:06d}"


def _import(intake_url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.intake.manage", "import-procedures", str(path)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": intake_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _stored(intake_url: str, codes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    with psycopg.connect(intake_url) as conn:
        rows = conn.execute(
            "SELECT code, processing_amount, pause_policy, version, updated_at "
            "FROM procedures WHERE code = ANY(%s)",
            (list(codes),),
        ).fetchall()
    return {
        code: {"amount": amount, "policy": policy, "version": version, "updated_at": at}
        for code, amount, policy, version, at in rows
    }


def test_import_twice_changes_nothing_and_a_bad_line_is_named(
    intake_url: str, tmp_path: Path
) -> None:
    first, second = _codes()
    lines = [
        f'{first},Đăng ký tạm trú (thử),"Đăng ký, quản lý cư trú",3,ngày làm việc,Toàn trình,'
        '"Trực tiếp; Trực tuyến","Luật Cư trú 2020, Điều 28"',
        f"{second},Khai báo tạm vắng (thử),Cư trú,1,ngày làm việc,Một phần,Trực tiếp,"
        "Luật Cư trú 2020",
        "9.000000,Cấp giấy phép vũ khí,Quản lý vũ khí,5,ngày,Một phần,Trực tiếp,Luật 14/2024",
    ]
    path = tmp_path / "thu-tuc.csv"
    path.write_text(HEADER + "\r\n".join(lines) + "\r\n", encoding="utf-8")

    done = _import(intake_url, path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"{path}: line 4, field Lĩnh vực: 'Quản lý vũ khí' is not a field" in done.stderr
    assert "2 added, 0 changed, 0 unchanged, 1 lines refused" in done.stdout
    before = _stored(intake_url, (first, second, "9.000000"))
    assert set(before) == {first, second}
    with psycopg.connect(intake_url) as conn:
        conn.execute("UPDATE procedures SET pause_policy = 'clock_runs' WHERE code = %s", (first,))
    before[first]["policy"] = "clock_runs"

    again = _import(intake_url, path)
    assert "0 added, 0 changed, 2 unchanged, 1 lines refused" in again.stdout, again.stderr
    assert _stored(intake_url, (first, second)) == before

    path.write_text(HEADER + "\r\n".join([lines[0].replace(",3,", ",4,"), lines[1]]) + "\r\n")
    changed = _import(intake_url, path)
    assert changed.returncode == 0, changed.stderr[-2000:]
    assert "0 added, 1 changed, 1 unchanged, 0 lines refused" in changed.stdout
    after = _stored(intake_url, (first, second))
    assert after[second] == before[second]
    assert (after[first]["amount"], after[first]["version"]) == (4, before[first]["version"] + 1)
    assert after[first]["policy"] == "clock_runs", "the export does not publish pause policies"
    assert after[first]["updated_at"] > before[first]["updated_at"]

    with psycopg.connect(intake_url) as conn:
        audited = conn.execute(
            "SELECT details FROM audit_log WHERE action = 'procedure.changed' "
            "AND details->>'source' = 'thu-tuc.csv' AND details->'added' ? %s",
            (first,),
        ).fetchall()
    assert [row[0]["refused_lines"] for row in audited] == [1]


def test_an_unreadable_file_imports_nothing(intake_url: str, tmp_path: Path) -> None:
    path = tmp_path / "thu-tuc.csv"
    path.write_text("Mã thủ tục,Tên thủ tục\r\n9.000001,Thử\r\n", encoding="utf-8")
    done = _import(intake_url, path)
    assert done.returncode == 2
    assert "the header lacks the columns 'Lĩnh vực' (field)" in done.stderr
    assert "nothing imported" in done.stderr
    assert _stored(intake_url, ("9.000001",)) == {}
