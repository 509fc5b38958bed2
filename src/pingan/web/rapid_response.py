"""The coverage page (``/coverage``): 1/3/5-minute areas, key areas and grid cells outside the
standard, a time-of-day slider, and a siting run whose proposed posts are shown beside today's.

The page is a shell; ``static/js/coverage.js`` fills it from ``/api/v1/ogc/collections/coverage-*``,
``/api/v1/coverage/report`` and ``/api/v1/coverage/optimise`` (a job polled at ``/api/v1/jobs``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, session: SessionDep) -> Response:
    """Rapid-response circles, gaps and siting."""
    page = page_caller(request, session, "/coverage")
    if isinstance(page, RedirectResponse):
        return page
    return render(
        request,
        "coverage.html",
        {"forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )
