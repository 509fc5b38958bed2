"""The services-ledger page (``/ledger``): record a service in one tap (kind, cell, minutes, a
note without personal data), the caller's entries, and the counts per officer, cell and
community per day or month (the station's summary). A shell filled by ``static/js/ledger.js``
from ``/api/v1/ledger``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pingan.api.deps import SessionDep
from pingan.auth.service import scope_clause
from pingan.jurisdictions.models import Jurisdiction
from pingan.ledger.models import KINDS
from pingan.permissions import allows
from pingan.web.views import page_caller, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, session: SessionDep) -> Response:
    """The services ledger (服务台账): record, my entries, the summary."""
    page = page_caller(request, session, "/ledger")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    cells = []
    if page.allowed and allows(who.role, "ledger.record"):
        q = select(Jurisdiction).where(
            Jurisdiction.level == "cell", scope_clause(who, Jurisdiction.path)
        )
        if who.role == "community_officer":
            q = q.where(Jurisdiction.owner_id == who.user_id)
        cells = list(session.scalars(q.order_by(Jurisdiction.code).limit(500)))
    return render(
        request,
        "ledger.html",
        {"forbidden": not page.allowed, "kinds": KINDS, "cells": cells},
        principal=who,
        status_code=page.status_code,
    )
