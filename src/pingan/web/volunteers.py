"""The volunteer-teams page (``/volunteers``): the teams of the station's communities with
their members (masked), today's shifts with check-in and check-out, hours per member and team
with the recognition list, and the hot cells of the patrol plans without a team shift this week
with a button to send a team. A shell filled by ``static/js/volunteers.js`` from
``/api/v1/volunteers``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.jurisdictions.models import Jurisdiction
from pingan.volunteers.models import TEAM_KINDS
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/volunteers", response_class=HTMLResponse)
def volunteers_page(request: Request, session: SessionDep) -> Response:
    """Volunteer teams (群防群治): teams, members, shifts, hours, hot cells without a team."""
    page = page_caller(request, session, "/volunteers")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    communities = []
    if page.allowed:
        communities = list(
            session.scalars(
                select(Jurisdiction)
                .where(Jurisdiction.level == "community", scope_clause(who, Jurisdiction.path))
                .order_by(Jurisdiction.code)
                .limit(500)
            )
        )
    return render(
        request,
        "volunteers.html",
        {"forbidden": not page.allowed, "team_kinds": TEAM_KINDS, "communities": communities},
        principal=who,
        status_code=page.status_code,
    )
