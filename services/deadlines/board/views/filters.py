"""The officer's query, checked against what the officer may see: the board page, its
rows, the CSV and the JSON API all go through :func:`resolve`, so they agree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from motcua.reference import ReferenceData
from motcua.web import FIELD_LABELS
from services.deadlines.board.query import (
    BoardQueryError,
    BoardRequest,
    OutsideSubtree,
    parse_board_request,
)
from services.deadlines.officers import Officer


@dataclass(frozen=True)
class Resolved:
    request: BoardRequest
    procedure_codes: tuple[str, ...] | None
    """The procedures of the chosen field (lĩnh vực); None when no field is chosen."""


def resolve(officer: Officer, params: Mapping[str, str], reference: ReferenceData) -> Resolved:
    """Parse the URL parameters; a unit outside the officer's subtree (403), an unknown
    procedure or field (422) is a :class:`BoardQueryError` naming the parameter. Checks
    needing reference data are skipped when it knows nothing (the query is still scoped
    to the subtree). The unit asked brings the retired units it carries on."""
    request = parse_board_request(params)
    board_filter = request.filter
    units = reference.units_within(officer.unit_code)
    if board_filter.unit_code and units and all(u.code != board_filter.unit_code for u in units):
        raise OutsideSubtree("unit", "not within your unit's subtree")
    if board_filter.unit_code:
        carried = reference.carried_over(board_filter.unit_code)
        board_filter = replace(board_filter, carried_units=carried)
        request = replace(request, filter=board_filter)
    procedures = reference.procedures()
    if (
        board_filter.procedure_code
        and procedures
        and all(p.code != board_filter.procedure_code for p in procedures)
    ):
        raise BoardQueryError("procedure", "not in the procedure catalogue")
    codes = None
    if board_filter.field_code:
        fields = set(FIELD_LABELS) | {p.field_code for p in procedures}
        if board_filter.field_code not in fields:
            raise BoardQueryError("field", f"one of {', '.join(sorted(fields))}")
        codes = tuple(p.code for p in procedures if p.field_code == board_filter.field_code)
    return Resolved(request, codes)
