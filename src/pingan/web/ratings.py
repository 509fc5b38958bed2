"""Pages of the security star ratings: ``/premises`` (rated premises filtered by kind, stars,
colour and station, and one premises' rating explained item by item with its sign download; a
shell filled by ``static/js/premises.js`` from ``/api/v1/ratings`` and
``/api/v1/premises/{id}/rating``), ``/hazards`` (the hazard board per level of government,
``static/js/hazards.js``), and the public page of a sign's QR code (``/v/<token>``): no sign-in,
phone-first, zh-CN."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.jurisdictions.models import Jurisdiction
from pingan.permissions import allows
from pingan.places.models import PREMISES_KINDS
from pingan.ratings.signs import public_sign
from pingan.web.views import page_caller, render, templates

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/premises", response_class=HTMLResponse)
def premises_page(request: Request, session: SessionDep) -> Response:
    """Rated premises: the list with filters and the rating of the one selected."""
    page = page_caller(request, session, "/premises")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    stations = session.scalars(
        select(Jurisdiction)
        .where(Jurisdiction.level == "station", scope_clause(who, Jurisdiction.path))
        .order_by(Jurisdiction.code)
    ).all()
    return render(
        request,
        "premises.html",
        {"forbidden": forbidden, "kinds": PREMISES_KINDS, "stations": stations},
        principal=who,
        status_code=403 if forbidden else 200,
    )


@router.get("/hazards", response_class=HTMLResponse)
def hazards_page(request: Request, session: SessionDep) -> Response:
    """The hazard board: open hazards per level of government (station, district, city), those
    touching most incidents first; chiefs close rectified ones."""
    page = page_caller(request, session, "/hazards")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    forbidden = not page.allowed
    return render(
        request,
        "hazards.html",
        {"forbidden": forbidden, "can_close": allows(who.role, "hazard.close")},
        principal=who,
        status_code=403 if forbidden else 200,
    )


@router.get("/v/{token}", response_class=HTMLResponse)
def public_sign_page(request: Request, session: SessionDep, token: str) -> Response:
    """The public page of a sign: name, stars, colour, valid-until, the station's phone, and
    「已撤销」 once withdrawn. A forged or unknown token is a bare 404."""
    sign = public_sign(session, token)
    if sign is None:
        return HTMLResponse("<!doctype html><title>404</title><p>404</p>", status_code=404)
    return templates.TemplateResponse(request, "sign_public.html", {"request": request, "s": sign})
