"""The national dossier code format (Thông tư 01/2018 Điều 19)."""

from __future__ import annotations

from datetime import date

import pytest

from services.intake.dossier.code import DossierCode


def test_code_is_unit_then_receipt_date_then_daily_sequence() -> None:
    code = DossierCode("000.00.12.H01", date(2025, 4, 15), 7)
    assert str(code) == "000.00.12.H01-250415-0007"


def test_parse_round_trips() -> None:
    text = "000.00.03.H31-261124-9999"
    assert str(DossierCode.parse(text)) == text
    assert DossierCode.parse(text).received_on == date(2026, 11, 24)


@pytest.mark.parametrize(
    "text", ["000.00.12.H01-250415-007", "00.00.12.H01-250415-0007", "000.00.12.H01-251315-0001"]
)
def test_malformed_codes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"dossier code|month"):
        DossierCode.parse(text)


@pytest.mark.parametrize("sequence", [0, 10_000])
def test_sequence_must_fit_four_digits(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        DossierCode("000.00.12.H01", date(2025, 1, 1), sequence)
