"""The SMS alphabet's arithmetic: which alphabet a text needs, how many messages it costs
(GSM-7 160/153, UCS-2 70/67), and what ``gsm7`` makes of Vietnamese."""

from __future__ import annotations

import unicodedata

import pytest

from motcua.delivery import is_gsm7, sms_segments, sms_text


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 1), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_fits_160_alone_and_153_a_part(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == segments


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_one_accented_letter_makes_it_ucs2_70_alone_and_67_a_part(
    length: int, segments: int
) -> None:
    assert sms_segments("ệ" + "a" * (length - 1)) == segments


def test_an_escaped_gsm7_character_counts_twice() -> None:
    assert sms_segments("€" * 80) == 1
    assert sms_segments("€" * 81) == 2
    assert is_gsm7("[a]")
    assert not is_gsm7("ả")


def test_unicode_keeps_the_accents_composed() -> None:
    text = sms_text(unicodedata.normalize("NFD", "Hỏi đáp"), "unicode")
    assert text == "Hỏi đáp"
    assert len(text) == 7


def test_gsm7_strips_every_vietnamese_mark() -> None:
    text = sms_text(
        "Công an phường Tây Hồ xin lỗi ông/bà – Hỏi đáp: 024 3835 1185. ĐẶNG Ưng Ở Ữ Ỹ",
        "gsm7",
    )
    assert text == "Cong an phuong Tay Ho xin loi ong/ba - Hoi dap: 024 3835 1185. DANG Ung O U Y"
    assert is_gsm7(text)
    assert sms_text("数", "gsm7") == "?"
