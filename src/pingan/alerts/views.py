"""Early-warning endpoints under ``/api/v1/warnings``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query

from pingan.alerts import flows, service
from pingan.alerts.models import EarlyWarning
from pingan.alerts.schemas import WarningAction, WarningPage, WarningRead
from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.incidents.service import count
from pingan.inputs import Id, Instant, Offset

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"], responses=ErrorBody)


def to_read(w: EarlyWarning) -> WarningRead:
    """A warning with its parsed detail and the actions allowed now."""
    data = {c: getattr(w, c) for c in WarningRead.model_fields if hasattr(w, c) and c != "detail"}
    parts = [p for p in (w.jpath or "/").split("/") if p]
    return WarningRead(
        **data,
        station_id=int(parts[2]) if len(parts) > 2 else None,
        detail=json.loads(w.detail or "{}"),
        allowed_actions=service.LIFECYCLE.allowed(w.status),
    )


@router.get("", operation_id="list_warnings")
def list_warnings(
    session: SessionDep,
    principal: Annotated[Principal, allowed("warning.read")],
    status: str | None = None,
    kind: str | None = None,
    since: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> WarningPage:
    """Early warnings in your jurisdiction, newest first, each with how it was raised."""
    q = service.list_query(principal, status=status, kind=kind, since=since)
    rows = session.scalars(q.limit(limit).offset(offset)).all()
    return WarningPage(
        items=[to_read(w) for w in rows], total=count(session, q), limit=limit, offset=offset
    )


@router.get("/{warning_id}", operation_id="get_warning")
def get_warning(
    warning_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("warning.read")]
) -> WarningRead:
    """One warning."""
    return to_read(service.get_or_raise(session, principal=principal, warning_id=warning_id))


@router.post("/{warning_id}/transitions", operation_id="handle_warning")
def handle_warning(
    warning_id: Id,
    body: WarningAction,
    session: SessionDep,
    principal: Annotated[Principal, allowed("warning.handle")],
) -> WarningRead:
    """Acknowledge, dismiss (with a reason) or mark actioned; 409 names the allowed steps."""
    w = flows.warning_transition_flow(
        session,
        principal=principal,
        warning_id=warning_id,
        to_state=body.to_state,
        reason=body.reason,
    )
    return to_read(w)
