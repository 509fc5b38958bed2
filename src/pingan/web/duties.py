"""Duty pages (the pages of :mod:`pingan.instructions` and :mod:`pingan.checklists` together):
the officer's own queue (``/ops/my``, phone-sized) and the chief's board (``/ops/board``).

One page module for both domains because each page shows both: an officer's duties are the
instructions to sign and do and today's checklist tasks, side by side. Both pages are shells
filled by ``static/js/ops.js`` from ``/api/v1/instructions`` and ``/api/v1/checklists`` with the
session cookie and CSRF header."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.jurisdictions.models import Jurisdiction
from pingan.permissions import page_allows
from pingan.web.views import language, page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/ops", response_class=HTMLResponse)
def ops_home(request: Request, session: SessionDep) -> Response:
    """The board for those who may open it (chiefs and commanders), the queue for the others."""
    page = page_caller(request, session, "/ops")
    if isinstance(page, RedirectResponse):
        return page
    board = page_allows(page.principal.role, "/ops/board")
    return RedirectResponse("/ops/board" if board else "/ops/my", 303)


@router.get("/ops/my", response_class=HTMLResponse)
def my_queue(request: Request, session: SessionDep) -> Response:
    """My queue: instructions to sign, to do, overdue; today's checklist tasks."""
    page = page_caller(request, session, "/ops/my")
    if isinstance(page, RedirectResponse):
        return page
    return render(
        request,
        "ops_my.html",
        {"forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )


@router.get("/ops/board", response_class=HTMLResponse)
def board(request: Request, session: SessionDep) -> Response:
    """The chief's board: instructions issued with per-recipient status, the station board,
    checklist completion, on-time rates, escalation notices; issue a new instruction."""
    page = page_caller(request, session, "/ops/board")
    if isinstance(page, RedirectResponse):
        return page
    who, forbidden = page.principal, not page.allowed
    stations: list[tuple[int, str]] = []
    if not forbidden:
        name = Jurisdiction.name_zh if language(request) == "zh-CN" else Jurisdiction.name_en
        stations = [
            (int(i), str(n))
            for i, n in session.execute(
                select(Jurisdiction.id, name)
                .where(Jurisdiction.level == "station", scope_clause(who, Jurisdiction.path))
                .order_by(Jurisdiction.code)
            )
        ]
    own = who.jurisdiction_id if any(s[0] == who.jurisdiction_id for s in stations) else None
    return render(
        request,
        "ops_board.html",
        {"forbidden": forbidden, "stations": stations, "own_station": own},
        principal=who,
        status_code=page.status_code,
    )
