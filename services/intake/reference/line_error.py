"""What an importer of reference data says about a line it refuses (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineError:
    """One thing wrong with a file, where it is: the line (1 is the header) and the field,
    as the file's header names it (``header`` or ``row`` for the line as a whole)."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.message}"
