"""The board's pages, rendered on the server from the templates in ``templates/`` over the
shared layout (:mod:`motcua.web`). Pure functions of their arguments: the handlers fetch,
these only shape what the templates show (names for codes, links that keep the filter).
Jinja2 escapes every value; nothing from the data runs as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from motcua.reference import Names, ProcedureRef, UnitRef
from motcua.web import FIELD_LABELS, STATUS_LABELS, TEXTS, Layout, StaticAssets, create_environment
from motcua.web.strings import FILTER_ERRORS
from services.deadlines.board.delivery import LetterDelivery, describe
from services.deadlines.board.query import (
    DEFAULT_PAGE_SIZE,
    BoardFilter,
    BoardQueryError,
    BoardRequest,
    BoardStatus,
)
from services.deadlines.board.service import BoardItem, BoardPage
from services.deadlines.letters.intake_client import DossierParticulars
from services.deadlines.letters.service import LetterTask
from services.deadlines.notices.print_batch import (
    NO_ADDRESS,
    BatchSummary,
    PostLetter,
    PrintBatch,
)

HERE = Path(__file__).parent
ASSETS = StaticAssets(HERE / "static")
ENV = create_environment(HERE / "templates", assets=ASSETS)
ENV.globals["filter_errors"] = FILTER_ERRORS
ENV.filters["delivery"] = describe
FILTER_FIELDS = ("unit", "status", "procedure", "field", "letter")


def query_string(board_filter: BoardFilter, **extra: str) -> str:
    """``?unit=…&status=…`` for a link that keeps the filter (empty for no filter)."""
    params = {**board_filter.query_params(), **{k: v for k, v in extra.items() if v}}
    return f"?{urlencode(params)}" if params else ""


@dataclass(frozen=True)
class CountLink:
    key: str
    label: str
    count: int
    href: str
    current: bool


@dataclass(frozen=True)
class UnitOption:
    code: str
    label: str


@dataclass(frozen=True)
class BoardView:
    """Everything ``board.html`` shows, links already built."""

    layout: Layout
    page: BoardPage | None
    form: Mapping[str, str]
    error: BoardQueryError | None
    counts: list[CountLink]
    units: list[UnitOption]
    procedures: list[tuple[str, list[ProcedureRef]]]
    fields: list[tuple[str, str]]
    hidden: Mapping[str, str]
    rows_query: str
    next_url: str | None
    first_url: str | None
    csv_url: str
    names: Names
    now: datetime
    can_act: bool
    """Acknowledge and letter controls: for duty officers and unit heads, not leaders."""


def _count_links(board_filter: BoardFilter, page: BoardPage) -> list[CountLink]:
    """Each figure links to the rows it counts: the counts cover the filtered view whatever
    status is picked, so each link keeps the filter and sets only the status or the
    letter."""
    wide = replace(board_filter, status=None)
    counts = page.counts
    links = [
        ("total", TEXTS["count_total"], counts.total, wide),
        (
            "due_soon",
            STATUS_LABELS["due_soon"],
            counts.due_soon,
            replace(wide, status=BoardStatus.DUE_SOON),
        ),
        (
            "overdue",
            STATUS_LABELS["overdue"],
            counts.overdue,
            replace(wide, status=BoardStatus.OVERDUE),
        ),
        (
            "letters_to_issue",
            TEXTS["count_letters_to_issue"],
            counts.letters_to_issue,
            replace(wide, letter_to_issue=True, letter_undelivered=False),
        ),
        (
            "letters_undelivered",
            TEXTS["count_letters_undelivered"],
            counts.letters_undelivered,
            replace(wide, letter_to_issue=False, letter_undelivered=True),
        ),
    ]
    letter_rule = board_filter.letter_to_issue or board_filter.letter_undelivered
    current = {
        "total": board_filter.status is None and not letter_rule,
        "due_soon": board_filter.status is BoardStatus.DUE_SOON,
        "overdue": board_filter.status is BoardStatus.OVERDUE,
        "letters_to_issue": board_filter.status is None and board_filter.letter_to_issue,
        "letters_undelivered": board_filter.status is None and board_filter.letter_undelivered,
    }
    return [
        CountLink(key, label, count, f"/board{query_string(target)}", current[key])
        for key, label, count, target in links
    ]


def _unit_options(units: Sequence[UnitRef], officer_unit: str, names: Names) -> list[UnitOption]:
    """The officer's subtree, indented by depth; just the officer's unit when unknown."""
    if not units:
        return [UnitOption(officer_unit, names.unit(officer_unit))]
    top = min(len(u.path) for u in units)
    return [UnitOption(u.code, "— " * (len(u.path) - top) + u.name) for u in units]


def _procedure_groups(procedures: Sequence[ProcedureRef]) -> list[tuple[str, list[ProcedureRef]]]:
    groups: dict[str, list[ProcedureRef]] = {}
    for procedure in sorted(procedures, key=lambda p: p.name):
        groups.setdefault(procedure.field_code, []).append(procedure)
    order = list(FIELD_LABELS)
    return sorted(
        ((FIELD_LABELS.get(f, f), items) for f, items in groups.items()),
        key=lambda group: (
            order.index(group[1][0].field_code) if group[1][0].field_code in order else len(order)
        ),
    )


def _fields(procedures: Sequence[ProcedureRef]) -> list[tuple[str, str]]:
    known = dict(FIELD_LABELS)
    for procedure in procedures:
        known.setdefault(procedure.field_code, procedure.field_code)
    return list(known.items())


def _hidden(board_filter: BoardFilter, limit: str) -> dict[str, str]:
    """What the filter form carries besides its controls: the dossier code, the page size,
    and the "not reached the citizen" rule (the form's checkbox is the other letter rule)."""
    hidden = {
        "dossier_code": board_filter.dossier_code or "",
        "limit": limit,
        "letter": "undelivered" if board_filter.letter_undelivered else "",
    }
    return {key: value for key, value in hidden.items() if value}


def board_view(
    *,
    layout: Layout,
    officer_unit: str,
    request: BoardRequest | None,
    page: BoardPage | None,
    raw: Mapping[str, str],
    error: BoardQueryError | None,
    units: Sequence[UnitRef],
    procedures: Sequence[ProcedureRef],
    names: Names,
    now: datetime,
    can_act: bool = True,
) -> BoardView:
    """The board as shown: ``request`` and ``page`` are None when the filter was refused
    (``error``), and the form then shows what the officer sent (``raw``)."""
    board_filter = request.filter if request else BoardFilter()
    limit = str(request.limit) if request and request.limit != DEFAULT_PAGE_SIZE else ""
    form = (
        dict(board_filter.query_params())
        if request
        else {name: raw.get(name, "")[:64] for name in FILTER_FIELDS}
    )
    hidden = _hidden(board_filter, limit)
    options = _unit_options(units, officer_unit, names)
    chosen = form.get("unit")
    if chosen and all(o.code != chosen for o in options):
        options.append(UnitOption(chosen, names.unit(chosen)))
    next_url = first_url = None
    if request and page and page.next_cursor:
        next_url = (
            f"/board{query_string(board_filter, cursor=page.next_cursor.encode(), limit=limit)}"
        )
    if request and request.cursor:
        first_url = f"/board{query_string(board_filter, limit=limit)}"
    cursor = request.cursor.encode() if request and request.cursor else ""
    return BoardView(
        layout=layout,
        page=page,
        form=form,
        error=error,
        counts=_count_links(board_filter, page) if page else [],
        units=options,
        procedures=_procedure_groups(procedures),
        fields=_fields(procedures),
        hidden=hidden,
        rows_query=query_string(board_filter, cursor=cursor, limit=limit),
        next_url=next_url,
        first_url=first_url,
        csv_url=f"/board/export.csv{query_string(board_filter)}",
        names=names,
        now=now,
        can_act=can_act,
    )


def board_page(view: BoardView) -> str:
    return ENV.get_template("board.html").render(
        title=TEXTS["board_title"], layout=view.layout, view=view
    )


def board_rows(
    items: Sequence[BoardItem], now: datetime, names: Names, back: str = "", *, can_act: bool = True
) -> str:
    """The table's rows alone, which the page's script reloads when the board changes;
    ``back`` is the query string an action returns to."""
    return ENV.get_template("board_rows.html").render(
        items=items, now=now, names=names, back=back, can_act=can_act
    )


def login_page(error: str | None = None, *, next_page: str = "/board") -> str:
    """``next_page`` (already checked by sign-in) is where a successful login goes."""
    return ENV.get_template("login.html").render(
        title=TEXTS["login_title"], layout=Layout(), error=error, next_page=next_page
    )


def letter_page(
    layout: Layout,
    task: LetterTask,
    names: Names,
    *,
    suggested_days: int,
    error: str | None = None,
    error_field: str | None = None,
    reason: str = "",
) -> str:
    return ENV.get_template("letter.html").render(
        title=TEXTS["letter_title"],
        layout=layout,
        task=task,
        procedure_name=names.procedure(task.procedure_code),
        suggested_days=suggested_days,
        error=error,
        error_field=error_field,
        reason=reason or task.last_reason or "",
    )


def message_page(title: str, text: str, layout: Layout) -> str:
    return ENV.get_template("message.html").render(title=title, layout=layout, text=text)


def post_page(
    layout: Layout,
    waiting: Sequence[PostLetter],
    batches: Sequence[BatchSummary],
    names: Names,
    *,
    can_act: bool,
    error: str | None = None,
) -> str:
    """The letters waiting to be posted and the latest print batches."""
    return ENV.get_template("post.html").render(
        title=TEXTS["post_title"],
        layout=layout,
        waiting=waiting,
        batches=batches,
        names=names,
        can_act=can_act,
        error=error,
    )


def _posting_state(letter: PostLetter, posted_at: datetime | None) -> str:
    delivery = LetterDelivery(
        letter_number=letter.letter_number,
        apology_deadline=None,
        reached_at=None,
        channel="post",
        state=letter.state,
        reason=NO_ADDRESS,
        at=posted_at,
        in_batch=True,
    )
    return " ".join(describe(delivery, posted_at or datetime.now(UTC)).lines)


def batch_page(
    layout: Layout,
    batch: PrintBatch,
    addressees: Mapping[str, DossierParticulars] | None,
    *,
    can_act: bool,
    error: str | None = None,
) -> str:
    """One print batch: each letter with the citizen's name and address as intake gives
    them now (``addressees`` by notice id; None when intake could not be asked), a letter
    with no address said so."""
    return ENV.get_template("post_batch.html").render(
        title=TEXTS["post_batch_title"].format(id=batch.summary.id),
        layout=layout,
        batch=batch,
        addressees=addressees,
        states={
            letter.notice_id: _posting_state(letter, batch.summary.posted_at)
            for letter in batch.letters
        },
        can_act=can_act,
        error=error,
    )
