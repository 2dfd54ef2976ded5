"""Names for codes on the officers' pages: the reference data's, else the code itself, so
the board keeps working (showing codes) when the catalogue is unknown or unreachable."""

from __future__ import annotations

from services.deadlines.board.query import ProcedureRef, ReferenceData, UnitRef


class Names:
    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference

    def procedure(self, code: str) -> str:
        found = self.reference.procedure(code)
        return found.name if found else code

    def unit(self, code: str) -> str:
        found = self.reference.unit(code)
        return found.name if found else code

    def field_of(self, procedure_code: str) -> str | None:
        found = self.reference.procedure(procedure_code)
        return found.field_code if found else None


class NoReference:
    """Reference data that knows nothing: every page shows codes. Stands in until the
    catalogue-backed reference data is wired into the worker."""

    def procedure(self, code: str) -> ProcedureRef | None:
        return None

    def procedures(self) -> list[ProcedureRef]:
        return []

    def unit(self, code: str) -> UnitRef | None:
        return None

    def units_within(self, unit_code: str) -> list[UnitRef]:
        return []
