"""What an officer asks the board for: filters, a cursor, a page size — parsed and checked
here, with no I/O, so the HTML pages, the JSON API and the CSV export agree on every rule.

A cursor is the position after the last row shown, in the board's order (due date, then
dossier code, then id): keyset paging stays fast at any depth and never skips or repeats
a row when others are added in front of it. It is opaque to the caller (URL-safe base64
of JSON) and carries nothing secret; a tampered cursor is a 422, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class BoardStatus(StrEnum):
    """The statuses the board lists (stopped and closed dossiers are off it)."""

    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


class BoardQueryError(ValueError):
    """A filter or cursor the board cannot use, naming the parameter at fault."""

    status = 422
    title = "Invalid request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class OutsideSubtree(BoardQueryError):
    """A unit the officer may not see: refused as reporting refuses it (403), not as a
    malformed filter."""

    status = 403
    title = "Forbidden"


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page, in the board's order."""

    due_at: datetime
    dossier_code: str
    dossier_id: str

    def encode(self) -> str:
        raw = json.dumps([self.due_at.isoformat(), self.dossier_code, self.dossier_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            due_at, code, dossier_id = json.loads(raw)
            moment = datetime.fromisoformat(due_at)
            if moment.tzinfo is None or not (isinstance(code, str) and isinstance(dossier_id, str)):
                raise ValueError
            # The id is compared as a uuid in SQL: a malformed one must be a 422 here.
            dossier_id = str(uuid.UUID(dossier_id))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise BoardQueryError("cursor", "not a cursor this board gave out") from None
        return cls(moment, code, dossier_id)


@dataclass(frozen=True)
class BoardFilter:
    """Narrows the officer's board; every field None (or False) means "everything I see".

    ``unit_code`` must lie within the officer's subtree (checked where the tree is known);
    ``field_code`` selects the procedures of one field (lĩnh vực), resolved through the
    catalogue since events name the procedure only; ``letter_to_issue`` keeps the
    dossiers whose apology letter is owed and still a draft (late, or due soon and marked
    as going to be late); ``dossier_code`` is a whole code or its beginning;
    ``letter_undelivered`` the dossiers
    whose issued letter had not reached the citizen by its apology deadline (rescheduled
    ones too, which have left the board otherwise); ``carried_units`` the retired units
    whose work ``unit_code`` carries on (a merger's), whose dossiers it finds too — resolved
    from the unit tree, never read from the URL.
    """

    unit_code: str | None = None
    status: BoardStatus | None = None
    procedure_code: str | None = None
    field_code: str | None = None
    letter_to_issue: bool = False
    dossier_code: str | None = None
    letter_undelivered: bool = False
    carried_units: tuple[str, ...] = ()

    def query_params(self) -> dict[str, str]:
        """The filter as URL parameters (for links, the next page and the CSV)."""
        params = {
            "unit": self.unit_code,
            "status": self.status.value if self.status else None,
            "procedure": self.procedure_code,
            "field": self.field_code,
            "letter": _LETTER_PARAM.get((self.letter_to_issue, self.letter_undelivered)),
            "dossier_code": self.dossier_code,
        }
        return {key: value for key, value in params.items() if value}


_LETTER_PARAM = {(True, False): "to_issue", (False, True): "undelivered"}


@dataclass(frozen=True)
class BoardRequest:
    filter: BoardFilter = field(default_factory=BoardFilter)
    cursor: Cursor | None = None
    limit: int = DEFAULT_PAGE_SIZE


_MAX_TEXT = 64
_MAX_CURSOR = 512
"""A cursor the board gives out is ~140 characters (instant, dossier code, uuid)."""


def _text(params: Mapping[str, str], name: str, max_length: int = _MAX_TEXT) -> str | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if len(value) > max_length or "\x00" in value:
        raise BoardQueryError(name, f"at most {max_length} characters, no NUL")
    return value


def parse_board_request(params: Mapping[str, str]) -> BoardRequest:
    """The request from URL parameters (``unit``, ``status``, ``procedure``, ``field``,
    ``letter=to_issue`` or ``letter=undelivered``, ``dossier_code``, ``cursor``,
    ``limit``); empty means unset."""
    status_text = _text(params, "status")
    try:
        status = BoardStatus(status_text) if status_text else None
    except ValueError:
        raise BoardQueryError("status", "one of due_soon, overdue") from None
    letter = _text(params, "letter")
    if letter not in (None, "to_issue", "undelivered"):
        raise BoardQueryError("letter", "to_issue, undelivered or empty")
    limit_text = _text(params, "limit")
    if limit_text is None:
        limit = DEFAULT_PAGE_SIZE
    elif limit_text.isdigit() and 1 <= int(limit_text) <= MAX_PAGE_SIZE:
        limit = int(limit_text)
    else:
        raise BoardQueryError("limit", f"a whole number from 1 to {MAX_PAGE_SIZE}")
    cursor_text = _text(params, "cursor", _MAX_CURSOR)
    return BoardRequest(
        filter=BoardFilter(
            unit_code=_text(params, "unit"),
            status=status,
            procedure_code=_text(params, "procedure"),
            field_code=_text(params, "field"),
            letter_to_issue=letter == "to_issue",
            dossier_code=_text(params, "dossier_code"),
            letter_undelivered=letter == "undelivered",
        ),
        cursor=Cursor.decode(cursor_text) if cursor_text else None,
        limit=limit,
    )
