"""The national procedure database's export read as the portal writes it: Vietnamese or
English headers, CSV or a real XLSX workbook, the portal's values mapped to the catalogue's,
and every bad line named by its line and field while the good lines still come through."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from services.intake.reference.models import (
    OnlineLevel,
    Procedure,
    ProcedureField,
    ProcessingTime,
    ResultChannel,
)
from services.intake.reference.procedure_import import UnreadableFile, read_table
from services.intake.reference.procedure_rows import (
    HeaderError,
    ParsedCatalogue,
    parse_catalogue,
)

VI_HEADER = [
    "STT",
    "Mã thủ tục",
    "Tên thủ tục",
    "Lĩnh vực",
    "Thời hạn giải quyết",
    "Đơn vị thời hạn",
    "Mức độ DVC",
    "Hình thức trả kết quả",
    "Căn cứ pháp lý",
    "Cơ quan thực hiện",
]
EN_HEADER = [
    "code",
    "name",
    "field",
    "processing_time",
    "processing_unit",
    "online_level",
    "result_channels",
    "basis",
]
RESIDENCE = [
    "1",
    "1.004222",
    "Đăng ký thường trú",
    "Đăng ký, quản lý cư trú",
    "7",
    "Ngày làm việc",
    "Toàn trình",
    "Trực tiếp; Trực tuyến",
    "Luật Cư trú 2020, Điều 22",
    "Công an xã",
]


def _csv(tmp_path: Path, text: str) -> ParsedCatalogue:
    path = tmp_path / "thu-tuc.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    return parse_catalogue(*read_table(path))


def _line(cells: list[str], separator: str = ",") -> str:
    return separator.join(f'"{cell}"' for cell in cells) + "\r\n"


def test_a_csv_with_the_portals_headers_and_values_becomes_procedures(tmp_path: Path) -> None:
    passport = [
        "2",
        "1.001456",
        "Cấp hộ chiếu phổ thông ở trong nước tại Công an cấp tỉnh",
        "Quản lý xuất nhập cảnh",
        "08",
        "ngày làm việc",
        "Dịch vụ công trực tuyến một phần",
        "Trực tiếp\nDịch vụ bưu chính",
        "Luật 49/2019/QH14",
        "Công an tỉnh",
    ]
    parsed = _csv(tmp_path, "".join(_line(c, ";") for c in (VI_HEADER, RESIDENCE, passport)))
    assert parsed.errors == ()
    assert parsed.procedures == (
        Procedure(
            code="1.004222",
            name="Đăng ký thường trú",
            field=ProcedureField.RESIDENCE,
            processing_time=ProcessingTime(amount=7, unit="working_days"),
            online_level=OnlineLevel.FULL,
            result_channels=(ResultChannel.COUNTER, ResultChannel.ONLINE),
            basis="Luật Cư trú 2020, Điều 22",
        ),
        Procedure(
            code="1.001456",
            name="Cấp hộ chiếu phổ thông ở trong nước tại Công an cấp tỉnh",
            field=ProcedureField.EXIT_ENTRY,
            processing_time=ProcessingTime(amount=8, unit="working_days"),
            online_level=OnlineLevel.PARTIAL,
            result_channels=(ResultChannel.COUNTER, ResultChannel.POSTAL),
            basis="Luật 49/2019/QH14",
        ),
    )


def test_a_real_xlsx_with_a_title_above_english_headers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH MỤC THỦ TỤC HÀNH CHÍNH BỘ CÔNG AN"])
    sheet.append([])
    sheet.append(EN_HEADER)
    confirmation = ["1.004227", "Xác nhận thông tin về cư trú", "residence", 1.0, "ngày"]
    sheet.append([*confirmation, "none", "Trực tiếp", "Luật Cư trú 2020"])
    sheet.append(["1.011890", "Thẩm định", "Phòng cháy, chữa cháy", 10, "ngày", "Mức độ 3", ""])
    path = tmp_path / "thu-tuc.xlsx"
    workbook.save(path)
    parsed = parse_catalogue(*read_table(path))
    (procedure,) = parsed.procedures
    assert procedure.processing_time.amount == 1
    assert procedure.processing_time.unit == "calendar_days"
    assert procedure.online_level is OnlineLevel.NONE
    assert [str(error) for error in parsed.errors] == [
        "line 5, field result_channels: is empty; every line needs it",
        "line 5, field basis: is empty; every line needs it",
    ]


def test_every_bad_field_of_a_line_is_named_and_the_good_lines_still_come(
    tmp_path: Path,
) -> None:
    bad = ["3", "1.00422", "", "Quản lý vũ khí", "bảy", "tuần", "Mức độ 9", "Bồ câu", "x", ""]
    parsed = _csv(tmp_path, "".join(_line(c) for c in (VI_HEADER, bad, RESIDENCE)))
    assert [p.code for p in parsed.procedures] == ["1.004222"]
    assert [(e.line, e.field) for e in parsed.errors] == [
        (2, "Mã thủ tục"),
        (2, "Tên thủ tục"),
        (2, "Lĩnh vực"),
        (2, "Thời hạn giải quyết"),
        (2, "Đơn vị thời hạn"),
        (2, "Mức độ DVC"),
        (2, "Hình thức trả kết quả"),
    ]
    messages = {error.field: error.message for error in parsed.errors}
    assert "'Quản lý vũ khí' is not a field of the police catalogue" in messages["Lĩnh vực"]
    assert "'tuần' is not a unit of time" in messages["Đơn vị thời hạn"]
    assert "'Bồ câu' is not a result channel" in messages["Hình thức trả kết quả"]


def test_line_numbers_count_the_lines_a_quoted_cell_spans(tmp_path: Path) -> None:
    multi = [*RESIDENCE]
    multi[7] = "Trực tiếp\nTrực tuyến"
    bad = [*RESIDENCE]
    bad[1], bad[5] = "1.004194", "tháng"
    parsed = _csv(tmp_path, "".join(_line(c) for c in (VI_HEADER, multi, bad)))
    assert [str(e) for e in parsed.errors] == [
        "line 4, field Đơn vị thời hạn: 'tháng' is not a unit of time: 'ngày làm việc', "
        "'ngày' or 'giờ làm việc'"
    ]


def test_a_code_listed_twice_refuses_both_lines(tmp_path: Path) -> None:
    again = [*RESIDENCE]
    again[4] = "5"
    parsed = _csv(tmp_path, "".join(_line(c) for c in (VI_HEADER, RESIDENCE, again)))
    assert parsed.procedures == ()
    assert [str(e) for e in parsed.errors] == [
        "line 2, field Mã thủ tục: 1.004222 is also on line 3; list it once",
        "line 3, field Mã thủ tục: 1.004222 is also on line 2; list it once",
    ]


def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(HeaderError, match=r"'Căn cứ pháp lý' \(basis\)"):
        _csv(tmp_path, "".join(_line(c[:-2]) for c in (VI_HEADER, RESIDENCE)))
    with pytest.raises(HeaderError, match="appears twice"):
        _csv(tmp_path, _line([*VI_HEADER, "code"]))
    with pytest.raises(HeaderError, match="'Mã thủ tục'"):
        _csv(tmp_path, "a,b\r\n" * 30)
    (tmp_path / "thu-tuc.ods").write_text("")
    with pytest.raises(UnreadableFile, match=r"\.csv or an \.xlsx"):
        read_table(tmp_path / "thu-tuc.ods")
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    with pytest.raises(UnreadableFile, match="not an XLSX workbook"):
        read_table(tmp_path / "fake.xlsx")
    (tmp_path / "cp1258.csv").write_bytes(_line(VI_HEADER).encode("utf-16"))
    with pytest.raises(UnicodeDecodeError):
        parse_catalogue(*read_table(tmp_path / "cp1258.csv"))
