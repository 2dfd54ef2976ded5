"""The board's pages, rendered on the server from the templates in ``templates/`` over the
shared layout (:mod:`motcua.web`). Pure functions of their arguments: the handlers fetch,
these only shape what the templates show (names for codes, links that keep the filter).
Jinja2 escapes every value; nothing from the data runs as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from motcua.dossier import LOCAL_ZONE
from motcua.reference import Names, ProcedureRef, UnitRef
from motcua.web import FIELD_LABELS, STATUS_LABELS, TEXTS, Layout, StaticAssets, create_environment
from motcua.web.strings import FILTER_ERRORS
from services.deadlines.board.delivery import LetterDelivery, describe
from services.deadlines.board.issued import IssuedLetter, LettersRequest
from services.deadlines.board.query import (
    DEFAULT_PAGE_SIZE,
    BoardFilter,
    BoardQueryError,
    BoardRequest,
    BoardStatus,
    Cursor,
)
from services.deadlines.board.service import PAGE_WINDOW, BoardItem, BoardPage
from services.deadlines.board.units import UnitChoice, unit_choice
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
FILTER_FIELDS = ("unit", "status", "procedure", "field", "letter", "dossier_code")


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
class PageLink:
    """A page number in the pager; ``href`` None for a gap ("…")."""

    number: int
    href: str | None
    current: bool


@dataclass(frozen=True)
class Pager:
    previous_url: str | None
    next_url: str | None
    first_url: str | None
    """Page 1, when another page is shown."""
    links: list[PageLink]


@dataclass(frozen=True)
class BoardView:
    """Everything ``board.html`` shows, links already built."""

    layout: Layout
    page: BoardPage | None
    form: Mapping[str, str]
    error: BoardQueryError | None
    counts: list[CountLink]
    units: UnitChoice
    procedures: list[tuple[str, list[ProcedureRef]]]
    fields: list[tuple[str, str]]
    hidden: Mapping[str, str]
    rows_query: str
    pager: Pager
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
    """What the filter form carries besides its controls: the page size and the "not
    reached the citizen" rule (the form's checkbox is the other letter rule)."""
    hidden = {
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
    options = unit_choice(units, officer_unit, form.get("unit"), names)
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
        pager=pager(request, page),
        csv_url=f"/board/export.csv{query_string(board_filter)}",
        names=names,
        now=now,
        can_act=can_act,
    )


@dataclass(frozen=True)
class LettersView:
    """The issued letters' page: ``request`` None when its parameters were refused."""

    layout: Layout
    units: UnitChoice
    request: LettersRequest | None
    letters: Sequence[IssuedLetter]
    more: bool
    """More letters than the page lists: narrow the unit or the month."""
    error: BoardQueryError | None
    now: datetime


MONTHS_BACK = 24
"""How many months the letters page offers to pick (an older one can still be asked for)."""


def month_options(today: date, chosen: str) -> list[tuple[str, str]]:
    """The month picker: ``YYYY-MM`` values named "Tháng mm/yyyy", this month first, the
    chosen one kept when older. A list the server writes, so it reads in Vietnamese whatever
    the browser's own language."""
    options = []
    year, month = today.year, today.month
    for _ in range(MONTHS_BACK):
        options.append(
            (
                f"{year:04d}-{month:02d}",
                TEXTS["letters_month_option"].format(month=f"{month:02d}", year=year),
            )
        )
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    if chosen and all(value != chosen for value, _ in options):
        options.append(
            (chosen, TEXTS["letters_month_option"].format(month=chosen[5:7], year=chosen[:4]))
        )
    return options


def letters_page(
    view: LettersView, names: Names, raw: Mapping[str, str], *, can_act: bool = False
) -> str:
    month = view.request.month_text if view.request else ""
    unit = view.request.unit_code if view.request else raw.get("unit", "")[:64]
    return ENV.get_template("issued.html").render(
        title=TEXTS["letters_title"],
        layout=view.layout,
        view=view,
        names=names,
        month=month,
        months=month_options(view.now.astimezone(LOCAL_ZONE).date(), month),
        unit=unit or "",
        can_act=can_act,
    )


def pager(request: BoardRequest | None, page: BoardPage | None) -> Pager:
    """Page numbers, "Trang trước" and "Trang sau" for the keyset pages: page ``n`` starts
    after ``page.page_starts[n]``; the service numbers the current page by the rows before
    its cursor (rows added since may shift it, never skip or repeat a row)."""
    if request is None or page is None:
        return Pager(None, None, None, [])
    limit = str(request.limit) if request.limit != DEFAULT_PAGE_SIZE else ""

    def url(cursor: Cursor | None) -> str:
        code = cursor.encode() if cursor else ""
        return f"/board{query_string(request.filter, cursor=code, limit=limit)}"

    current = max(2, page.page_number) if request.cursor is not None else 1
    last = max(page.page_count, current + (1 if page.next_cursor else 0))
    shown = sorted(
        {1, last} | set(range(max(1, current - PAGE_WINDOW), min(last, current + PAGE_WINDOW) + 1))
    )
    links: list[PageLink] = []
    for number in shown:
        if links and number > links[-1].number + 1:
            links.append(PageLink(number - 1, None, False))
        cursor = request.cursor if number == current else page.page_starts.get(number)
        known = number == 1 or cursor is not None
        links.append(
            PageLink(
                number, url(cursor if number > 1 else None) if known else None, number == current
            )
        )
    previous = links[[link.number for link in links].index(current - 1)] if current > 1 else None
    return Pager(
        previous_url=previous.href if previous else None,
        next_url=url(page.next_cursor) if page.next_cursor else None,
        first_url=url(None) if current > 1 else None,
        links=links if last > 1 else [],
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


def login_page(
    error: str | None = None, *, next_page: str = "/board", destination: str | None = None
) -> str:
    """``next_page`` (already checked by sign-in) is where a successful login goes;
    ``destination`` says what for (:func:`login_destination`)."""
    return ENV.get_template("login.html").render(
        title=TEXTS["login_title"],
        layout=Layout(),
        error=error,
        next_page=next_page,
        destination=destination or TEXTS["login_for_board"],
    )


@dataclass(frozen=True)
class LetterFormState:
    """What the letter form shows besides the task: the applicant as intake names them now
    (None when intake could not be asked; never stored), the new appointment the letter
    would give, the days as typed, and the board's query string to go back to."""

    applicant: str | None = None
    preview_due_at: datetime | None = None
    days: str | None = None
    back: str = ""


def letter_page(
    layout: Layout,
    task: LetterTask,
    names: Names,
    *,
    suggested_days: int,
    error: str | None = None,
    error_field: str | None = None,
    reason: str = "",
    state: LetterFormState | None = None,
) -> str:
    shown = state or LetterFormState()
    return ENV.get_template("letter.html").render(
        title=TEXTS["letter_title"],
        layout=layout,
        task=task,
        procedure_name=names.procedure(task.procedure_code),
        suggested_days=shown.days or suggested_days,
        error=error,
        error_field=error_field,
        reason=reason or task.last_reason or "",
        state=shown,
    )


def login_destination(next_page: str, *, ratings_url: str | None, reporting_url: str | None) -> str:
    """What the sign-in page says the person signs in for, from the service ``next`` leads
    to (by its origin): the same page serves duty officers, counter staff and leaders."""
    going = urlsplit(next_page)
    for base, key in ((ratings_url, "login_for_ratings"), (reporting_url, "login_for_reporting")):
        service = urlsplit(base or "")
        if going.netloc and (going.scheme, going.netloc) == (service.scheme, service.netloc):
            return TEXTS[key]
    return TEXTS["login_for_board"]


def shared_page(template: str, layout: Layout, context: Mapping[str, object]) -> str:
    """A page of a shared template (the audit trail's) on the board's layout."""
    return ENV.get_template(template).render(layout=layout, **context)


def message_page(title: str, text: str, layout: Layout, back: tuple[str, str] | None = None) -> str:
    """A refusal or a miss, with a way on: ``back`` (address, words), the board by default."""
    return ENV.get_template("message.html").render(
        title=title, layout=layout, text=text, back=back or ("/board", TEXTS["back_to_board"])
    )


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
