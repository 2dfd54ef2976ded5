"""The national dossier code (Thông tư 01/2018/TT-VPCP Điều 19).

``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX``: the receiving agency's identifier code, the receipt
date, and the receipt's sequence number within that day at that agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from motcua.dossier import DOSSIER_CODE_PATTERN, UNIT_CODE_PATTERN

UNIT_CODE = re.compile(UNIT_CODE_PATTERN)
DOSSIER_CODE = re.compile(DOSSIER_CODE_PATTERN)
MAX_PER_DAY = 9999


@dataclass(frozen=True)
class DossierCode:
    unit_code: str
    received_on: date
    sequence: int

    def __post_init__(self) -> None:
        if not UNIT_CODE.match(self.unit_code):
            raise ValueError(f"not an agency identifier code: {self.unit_code!r}")
        if not 1 <= self.sequence <= MAX_PER_DAY:
            raise ValueError(f"sequence must be 1..{MAX_PER_DAY}, got {self.sequence}")

    def __str__(self) -> str:
        return f"{self.unit_code}-{self.received_on:%y%m%d}-{self.sequence:04d}"

    @classmethod
    def parse(cls, text: str) -> DossierCode:
        match = DOSSIER_CODE.match(text)
        if not match:
            raise ValueError(f"not a dossier code: {text!r}")
        day = match["day"]
        received_on = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
        return cls(match["unit"], received_on, int(match["sequence"]))
