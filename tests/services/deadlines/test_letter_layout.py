"""The apology letter (Mẫu 04) as printed, read back from its PDF: the format of
administrative documents (Nghị định 30/2020/NĐ-CP, Phụ lục I), by text and position."""

from __future__ import annotations

import pytest

from motcua.documents import render_pdf
from services.deadlines.letters.models import head_title_of
from tests.documents.layout import (
    HEADING_SPLIT_MM,
    MARGINS,
    assert_a4_with_margins,
    assert_official_heading,
    assert_serif,
    assert_signature_block,
    line,
    lines,
    opened,
    save_pages,
)
from tests.services.deadlines.test_letters import _letter

NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"


def _pdf(**overrides: object) -> bytes:
    values: dict[str, object] = {"agency_head_title": "Trưởng Công an phường"}
    values.update(overrides)
    return render_pdf(_letter(**values).document())


def test_the_letter_is_a4_in_a_times_metric_serif_within_the_margins() -> None:
    pdf = _pdf()
    save_pages(pdf, "letter-mau-04")
    with opened(pdf) as pages:
        assert len(pages) == 1
        assert_a4_with_margins(pages[0])
        assert_serif(pages)
        body = line(lines(pages[0]), "Lý do: Chờ kết quả xác minh của Công an tỉnh Quảng Ninh")
        assert body.sizes == {13.0}


def test_the_heading_is_the_official_one() -> None:
    with opened(_pdf()) as pages:
        page = pages[0]
        assert_official_heading(page, "Công an thành phố Hà Nội", "Công an phường Hoàn Kiếm")
        left, right = lines(page, 0, HEADING_SPLIT_MM), lines(page, HEADING_SPLIT_MM)
        number = line(left, "Số: 7/PXL")
        date = line(right, "Hà Nội, ngày 18 tháng 11 năm 2025")
        assert date.fonts == {"LiberationSerifItalic"}
        assert abs(number.top - date.top) < 1, "the number is level with the place and date"
        motto = line(right, "Độc lập - Tự do - Hạnh phúc")
        assert date.top > motto.bottom
        assert abs(date.centre - motto.centre) < 2


def test_the_title_is_centred_in_bold_capitals() -> None:
    with opened(_pdf()) as pages:
        title = line(lines(pages[0]), "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
        assert title.fonts == {"LiberationSerifBold"}
        text_centre = MARGINS["left"] + (210 - MARGINS["left"] - MARGINS["right"]) / 2
        assert abs(title.centre - text_centre) < 1


def test_kinh_gui_names_the_citizen_with_the_address_under_it() -> None:
    with opened(_pdf()) as pages:
        found = lines(pages[0])
        texts = [candidate.text for candidate in found]
        to = texts.index("Kính gửi: Nguyễn Thị Minh Khai")
        assert texts[to + 1] == "Địa chỉ: 12 phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội"
        assert found[to + 1].left == found[to].left


def test_paragraphs_are_left_aligned_with_an_indented_first_line() -> None:
    with opened(_pdf(reason="Chờ kết quả xác minh " * 12)) as pages:
        found = lines(pages[0])
        texts = [candidate.text for candidate in found]
        first = next(i for i, text in enumerate(texts) if text.startswith("Lý do: Chờ"))
        indent = found[first].left - MARGINS["left"]
        assert 10 <= indent <= 12.7 + 0.1
        following = found[first + 1]
        assert abs(following.left - MARGINS["left"]) < 0.2
        # Left-aligned: one space between words, never stretched.
        assert "  " not in following.text


def test_the_body_closes_with_the_slash_mark_before_the_recipients() -> None:
    with opened(_pdf()) as pages:
        label = line(lines(pages[0], 0, HEADING_SPLIT_MM), "Nơi nhận:")
        body = [found for found in lines(pages[0]) if found.bottom <= label.top]
        assert body[-1].text == "Mong nhận được sự thông cảm của ông/bà. Trân trọng./."


def test_recipients_sit_bottom_left_in_their_sizes() -> None:
    with opened(_pdf()) as pages:
        left = lines(pages[0], 0, HEADING_SPLIT_MM)
        label = line(left, "Nơi nhận:")
        assert label.fonts == {"LiberationSerifBoldItalic"}
        assert label.sizes == {12.0}
        assert abs(label.left - MARGINS["left"]) < 0.2
        first, last = line(left, "- Như trên;"), line(left, "- Lưu: VT.")
        assert first.sizes == last.sizes == {11.0}
        assert label.bottom <= first.top < last.top


def test_the_head_signs_with_the_title_intake_gives() -> None:
    pdf = _pdf(agency="Công an thành phố Hạ Long", agency_head_title="Trưởng Công an thành phố")
    with opened(pdf) as pages:
        assert_signature_block(pages[0], "TRƯỞNG CÔNG AN THÀNH PHỐ", NOTE)
        right = lines(pages[0], HEADING_SPLIT_MM)
        signer = line(right, "TRƯỞNG CÔNG AN THÀNH PHỐ")
        label = line(lines(pages[0], 0, HEADING_SPLIT_MM), "Nơi nhận:")
        assert abs(signer.top - label.top) < 1, "the signer is level with Nơi nhận"


@pytest.mark.parametrize("sentences", range(18, 34))
def test_there_is_room_to_sign_wherever_the_body_ends(sentences: int) -> None:
    """Letters of growing length put the signature ever lower on the page: the block moves
    to the next page rather than lose the room for the signature, the seal and the name."""
    pdf = _pdf(reason="Chờ kết quả xác minh của Công an tỉnh Quảng Ninh. " * sentences)
    with opened(pdf) as pages:
        assert_signature_block(pages[-1], "TRƯỞNG CÔNG AN PHƯỜNG", NOTE)


def test_without_a_title_in_intake_the_unit_kind_gives_it() -> None:
    assert head_title_of("Công an phường Hoàn Kiếm") == "Trưởng Công an phường"
    assert head_title_of("Công an tỉnh Quảng Ninh") == "Giám đốc"
    assert head_title_of("Cục Quản lý xuất nhập cảnh") == "Cục trưởng"
    assert head_title_of("Công an thành phố Hà Nội") == "Thủ trưởng cơ quan"
    with opened(_pdf(agency_head_title=None)) as pages:
        assert_signature_block(pages[0], "TRƯỞNG CÔNG AN PHƯỜNG", NOTE)


def test_a_long_letter_numbers_its_pages_and_keeps_the_signature_whole() -> None:
    pdf = _pdf(reason="Chờ kết quả xác minh của Công an tỉnh Quảng Ninh. " * 40)
    save_pages(pdf, "letter-mau-04-long")
    with opened(pdf) as pages:
        assert len(pages) == 2
        for page in pages:
            assert_a4_with_margins(page)
        top = lines(pages[1])[0]
        assert top.text == "2"
        assert top.bottom < MARGINS["top"]
        assert_signature_block(pages[1], "TRƯỞNG CÔNG AN PHƯỜNG", NOTE)
