"""The event-security page (``/events``): an event's plan on the map (venue, perimeter, control
ring, posts by shift, detours, service stations, the drone sector), the live board (incidents
in the zones, posts staffed, 1-3-5 minute coverage, the log) and the after-action report with
its PDF. A shell filled by ``static/js/events.js`` from ``/api/v1/events``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.permissions import allows
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep) -> Response:
    """Event security plans, the live board and the report."""
    page = page_caller(request, session, "/events")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    return render(
        request,
        "events.html",
        {"forbidden": forbidden, "can_command": allows(who.role, "event.command")},
        principal=who,
        status_code=403 if forbidden else 200,
    )
