"""The patrol-plan page (``/patrols``): a station's plan for a day and time block on the map
(hot cells, points, lines by mode, areas, drones' sectors) with the day's tracks of its units,
planned against actual, and the patrol cards. A shell filled by ``static/js/patrols.js`` from
``/api/v1/patrols``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.config import get_settings
from pingan.jurisdictions.models import Jurisdiction
from pingan.patrols.models import PatrolPlan
from pingan.permissions import allows
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/patrols", response_class=HTMLResponse)
def patrols_page(request: Request, session: SessionDep) -> Response:
    """Patrol plans (点线面) of a station, planned against actual."""
    page = page_caller(request, session, "/patrols")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    stations = session.scalars(
        select(Jurisdiction)
        .where(Jurisdiction.level == "station", scope_clause(who, Jurisdiction.path))
        .order_by(Jurisdiction.code)
    ).all()
    now = dt.datetime.now(ZoneInfo(get_settings().timezone))
    # open on the station and day of the newest plan in scope (the demo's), else today
    newest = session.scalars(
        select(PatrolPlan)
        .where(scope_clause(who, PatrolPlan.jpath))
        .order_by(PatrolPlan.day.desc(), PatrolPlan.id)
        .limit(1)
    ).first()
    return render(
        request,
        "patrols.html",
        {
            "forbidden": forbidden,
            "stations": stations,
            "station_id": newest.station_id if newest else (stations[0].id if stations else 0),
            "day": (newest.day if newest else now.date()).isoformat(),
            "block": newest.block if newest else now.hour // 6,
            "can_plan": allows(who.role, "patrol.plan"),
        },
        principal=who,
        status_code=403 if forbidden else 200,
    )
