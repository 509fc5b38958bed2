"""The analysis page (``/analysis``): trend charts, hot-spot map layers, early-warning list.

The page is a shell; ``static/js/analysis.js`` fills it from ``/api/v1/analysis/*`` and
``/api/v1/warnings`` with the session cookie (and the CSRF header for changes).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.incidents.taxonomy import get_taxonomy
from pingan.web.views import language, page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/analysis", response_class=HTMLResponse)
def analysis_page(request: Request, session: SessionDep) -> Response:
    """Trends (YoY bars, hour × weekday), hot-spot map and the warning list."""
    page = page_caller(request, session, "/analysis")
    if isinstance(page, RedirectResponse):
        return page
    lang = language(request)
    tax = get_taxonomy().to_dict()
    name = "name_zh" if lang == "zh-CN" else "name_en"
    classes = [(c["code"], c[name]) for c in tax["classes"]]
    return render(
        request,
        "analysis.html",
        {"classes": classes, "forbidden": not page.allowed},
        principal=page.principal,
        status_code=page.status_code,
    )
