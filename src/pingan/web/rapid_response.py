"""The coverage page (``/coverage``): 1/3/5-minute areas, key areas and grid cells outside the
standard, a time-of-day slider, and a siting run whose proposed posts are shown beside today's.

The page is a shell; ``static/js/coverage.js`` fills it from ``/api/v1/ogc/collections/coverage-*``,
``/api/v1/coverage/report`` and ``/api/v1/coverage/optimise`` (a job polled at ``/api/v1/jobs``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.web.views import render, require_login

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

COVERAGE_ROLES = frozenset({"admin", "commander", "analyst", "dispatcher", "station_chief"})


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, session: SessionDep) -> Response:
    """Rapid-response circles, gaps and siting."""
    who = require_login(request, session)
    if isinstance(who, RedirectResponse):
        return who
    forbidden = who.role not in COVERAGE_ROLES
    return render(
        request,
        "coverage.html",
        {"forbidden": forbidden},
        principal=who,
        status_code=403 if forbidden else 200,
    )
