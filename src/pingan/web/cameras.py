"""The cameras page (``/cameras``, 视频监控): the cameras on the map with their view sectors at
street zoom, the blind-spot map, figures per station and key area, and the siting of new
cameras with its plan to download (GeoJSON, Excel).

The page is a shell; ``static/js/cameras.js`` fills it from ``/api/v1/ogc/collections/cameras``,
``/api/v1/cameras/figures``, ``/api/v1/cameras/blind-spots``, ``/api/v1/cameras/sectors`` and
``/api/v1/cameras/siting``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.jurisdictions.models import Jurisdiction
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, session: SessionDep) -> Response:
    """Cameras, blind spots, figures and siting."""
    page = page_caller(request, session, "/cameras")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    stations = (
        []
        if forbidden
        else session.scalars(
            select(Jurisdiction)
            .where(Jurisdiction.level == "station", scope_clause(who, Jurisdiction.path))
            .order_by(Jurisdiction.code)
        ).all()
    )
    return render(
        request,
        "cameras.html",
        {
            "forbidden": forbidden,
            "stations": stations,
            "roads": (Path(request.app.state.settings.data_dir) / "roads.npz").exists(),
        },
        principal=who,
        status_code=page.status_code,
    )
