"""The reports page (``/reports``): the weekly briefing for the signed-in user's jurisdiction,
any week, in the page language, with an A4 PDF download. Server-rendered from the same
:func:`pingan.crime_analysis.report.build_briefing` as ``pingan report weekly`` and the scheduled
Monday briefing; the download is ``GET /api/v1/analysis/reports/weekly?format=pdf``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.config import get_settings
from pingan.crime_analysis.report import CSS, cached_briefing
from pingan.errors import PingAnError
from pingan.web.views import language, page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: SessionDep, week_end: str = "") -> Response:
    """The briefing of the week ending ``week_end`` (a local day; default yesterday)."""
    page = page_caller(request, session, "/reports")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    if not page.allowed:
        return render(request, "reports.html", {"forbidden": True}, principal=who, status_code=403)
    lang = language(request)
    yesterday = dt.datetime.now(ZoneInfo(get_settings().timezone)).date() - dt.timedelta(days=1)
    error = ""
    day = yesterday
    if week_end:
        try:
            day = dt.date.fromisoformat(week_end)
        except ValueError:
            error = "week_end"
        else:
            if day > yesterday:
                error = "week_end"
    briefing = None
    if not error:
        try:
            briefing = cached_briefing(session, who, week_end=day, lang=lang)
        except PingAnError as exc:
            error = exc.field or "selection"
    return render(
        request,
        "reports.html",
        {
            "forbidden": False,
            "briefing": briefing,
            "css": CSS,
            "week_end": day.isoformat(),
            "max_day": yesterday.isoformat(),
            "error": error,
        },
        principal=who,
        status_code=422 if error == "week_end" else 200,
    )
