"""The audit log page for administrators (``/audit``): the newest records with filters and
keyset paging, where the chain ends (its anchor), and a check of the chain on request, with
anchors written down earlier. Server-rendered; the API under ``/api/v1/audit`` does the same."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from pingan.api.deps import SessionDep
from pingan.audit.service import chain_head, newest_records, parse_anchor, verify
from pingan.errors import Invalid
from pingan.web.disputes import local_time
from pingan.web.views import page_caller, render

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    entity: str = "",
    action: str = "",
    before_seq: int | None = Query(default=None, ge=1),
    check: bool = False,
    anchor: str = "",
) -> Response:
    """The newest audit records (50 a page), the chain's head and, with ``check``, the result
    of walking the chain (O(records); on request only)."""
    page = page_caller(request, session, "/audit")
    if isinstance(page, RedirectResponse):
        return page
    who = page.principal
    if not page.allowed:
        return render(request, "audit.html", {"forbidden": True}, principal=who, status_code=403)
    head = chain_head(session)  # first: it links this transaction's own pending records
    rows = newest_records(
        session, entity=entity, action=action, before_seq=before_seq, limit=PAGE_SIZE + 1
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    report: Any = None
    anchor_error = ""
    if check:
        try:
            anchors = [parse_anchor(a) for a in anchor.split()]
        except Invalid as exc:
            anchor_error = exc.message
        else:
            report = verify(session, anchors=anchors)
    filters = {k: v for k, v in (("entity", entity), ("action", action)) if v}
    return render(
        request,
        "audit.html",
        {
            "forbidden": False,
            "rows": rows,
            "more": more,
            "older": urlencode({**filters, "before_seq": rows[-1].seq}) if more else "",
            "entity": entity,
            "action": action,
            "head": head,
            "report": report,
            "anchor": anchor,
            "anchor_error": anchor_error,
            "local": local_time,
        },
        principal=who,
        status_code=422 if anchor_error else 200,
    )
