"""The answers on the staff side: the latest ratings of the officer's subtree, whichever
channel brought them, so a unit sees what its citizens said as it comes in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from motcua.identity import Officer
from motcua.web import TEXTS
from services.ratings.answers.service import recent_ratings
from services.ratings.dependencies import RatingsContext, context
from services.ratings.models import CITIZEN
from services.ratings.staff.pages import StaffPages, _pages, staff_officer

router = APIRouter(include_in_schema=False)
SHOWN = 100


@router.get("/staff/ratings", response_class=HTMLResponse)
def ratings_list(
    officer: Annotated[Officer, Depends(staff_officer)],
    pages: Annotated[StaffPages, Depends(_pages)],
    ctx: Annotated[RatingsContext, Depends(context)],
) -> HTMLResponse:
    with ctx.pool.connection() as conn:
        items = recent_ratings(officer.unit_code, limit=SHOWN, db_session=conn)
    return pages.render(
        "staff_ratings.html",
        officer=officer,
        title=TEXTS["ratings_list_title"],
        items=items,
        names=ctx.names,
        citizen=CITIZEN,
    )
