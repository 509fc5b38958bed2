"""The evaluation page (``/evaluation``): a community officer's own scorecard on a phone-sized
screen; for chiefs, commanders and administrators the ranking of officers, grid cells,
communities or stations with a trend chart. Every figure opens the records it was computed
from. A shell filled by ``static/js/evaluation.js`` from ``/api/v1/evaluation/*``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.evaluation.periods import LOCAL_TZ, parse_period
from pingan.permissions import scope_of
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _periods(today: dt.date, n: int = 8) -> list[str]:
    cur = parse_period(f"{today.year}Q{(today.month - 1) // 3 + 1}")
    months = [parse_period(f"{today.year}-{today.month:02d}").shift(-k).label for k in range(3)]
    return [cur.shift(-k).label for k in range(n)] + months + [str(today.year)]


@router.get("/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, session: SessionDep) -> Response:
    """My scorecard (community officer) or the ranking board (chiefs and above)."""
    page = page_caller(request, session, "/evaluation")
    if isinstance(page, RedirectResponse):
        return page
    today = dt.datetime.now(dt.UTC).astimezone(LOCAL_TZ).date()
    return render(
        request,
        "evaluation.html",
        {
            "forbidden": not page.allowed,
            # a role that sees only its own evaluation gets its scorecard, the others the board
            "mode": "mine"
            if scope_of(page.principal.role, "evaluation.read") == "own"
            else "board",
            "periods": _periods(today),
        },
        principal=page.principal,
        status_code=page.status_code,
    )
