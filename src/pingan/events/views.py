"""Event-security endpoints under ``/api/v1/events``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from pingan.api.deps import SessionDep, allowed, data_dir
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.events import flows, report, service
from pingan.events.models import EventPost
from pingan.events.schemas import (
    BoardRead,
    CheckDone,
    EventCreate,
    EventRead,
    EventSummary,
    LogIn,
    PostCreate,
    PostPlace,
    PostUpdate,
    ReportRead,
    ZoneEdit,
)
from pingan.inputs import Id

router = APIRouter(prefix="/api/v1/events", tags=["events"], responses=ErrorBody)


@router.get("", operation_id="list_events")
def list_events(
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.read")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventSummary]:
    """Events in your jurisdiction, newest first."""
    return [
        service.summary(e) for e in service.list_events(session, principal=principal, limit=limit)
    ]


@router.post("", status_code=201, operation_id="create_event")
def create_event(
    body: EventCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.plan")],
) -> EventRead:
    """Create an event and draw up its security plan from the venue."""
    e = flows.event_create_flow(session, principal=principal, data=body, data_dir=data_dir(request))
    return service.event_read(session, principal=principal, event=e)


@router.get("/{event_id}", operation_id="get_event")
def get_event(
    event_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("event.read")]
) -> EventRead:
    """An event with its plan: zones, posts by shift, detours, checks, the log."""
    e = service.get_or_raise(session, principal=principal, event_id=event_id)
    return service.event_read(session, principal=principal, event=e)


@router.get("/{event_id}/board", operation_id="event_board")
def event_board(
    event_id: Id,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.read")],
) -> BoardRead:
    """The live board: incidents in the zones, units, posts staffed, 1-3-5 minute coverage."""
    e = service.get_or_raise(session, principal=principal, event_id=event_id)
    return service.board(session, principal=principal, event=e, data_dir=data_dir(request))


@router.get("/{event_id}/report", operation_id="event_report")
def event_report(
    event_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("event.read")]
) -> ReportRead:
    """The after-action report."""
    e = service.get_or_raise(session, principal=principal, event_id=event_id)
    return service.report(session, principal=principal, event=e)


@router.get(
    "/{event_id}/report.pdf",
    operation_id="event_report_pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def event_report_pdf(
    event_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("event.read")]
) -> Response:
    """The after-action report as A4 PDF."""
    e = service.get_or_raise(session, principal=principal, event_id=event_id)
    pdf = report.report_pdf(session, principal=principal, event=e)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="event-{e.code}.pdf"'},
    )


@router.post("/{event_id}/log", status_code=201, operation_id="add_event_log")
def add_log(
    event_id: Id,
    body: LogIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.command")],
) -> dict[str, object]:
    """Add a note or an instruction to the event log."""
    row = flows.event_log_flow(
        session, principal=principal, event_id=event_id, kind=body.kind, text=body.text
    )
    return {"id": row.id, "at": row.at, "kind": row.kind, "text": row.text, "author": row.author}


@router.patch("/posts/{post_id}", operation_id="update_event_post")
def update_post(
    post_id: Id,
    body: PostUpdate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.command")],
) -> dict[str, object]:
    """Assign a unit or an officer to a post, or report it staffed."""
    p = flows.event_post_update_flow(
        session,
        principal=principal,
        post_id=post_id,
        resource_id=body.resource_id,
        officer_id=body.officer_id,
        staffed=body.staffed,
    )
    return {"id": p.id, "resource_id": p.resource_id, "officer_id": p.officer_id,
            "staffed_at": p.staffed_at}  # fmt: skip


def _post_out(p: EventPost) -> dict[str, object]:
    return {"id": p.id, "event_id": p.event_id, "name": p.name, "kind": p.kind, "shift": p.shift,
            "lon": p.lon, "lat": p.lat, "radius_m": p.radius_m,
            "officers_needed": p.officers_needed, "detour": p.detour is not None}  # fmt: skip


@router.post("/{event_id}/posts", status_code=201, operation_id="add_event_post")
def add_post(
    event_id: Id,
    body: PostCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.plan")],
) -> dict[str, object]:
    """Add a post to the plan (within 3 km of the venue; not to a past event)."""
    return _post_out(
        flows.event_post_add_flow(session, principal=principal, event_id=event_id, data=body)
    )


@router.patch("/posts/{post_id}/place", operation_id="place_event_post")
def place_post(
    post_id: Id,
    body: PostPlace,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.plan")],
) -> dict[str, object]:
    """Move, rename or resize a post of the plan (a traffic point's detour is dropped when it
    moves: it was drawn from the old place)."""
    return _post_out(
        flows.event_post_place_flow(session, principal=principal, post_id=post_id, data=body)
    )


@router.delete("/posts/{post_id}", status_code=204, operation_id="delete_event_post")
def delete_post(
    post_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("event.plan")]
) -> Response:
    """Remove a post from the plan (not one reported staffed)."""
    flows.event_post_delete_flow(session, principal=principal, post_id=post_id)
    return Response(status_code=204)


@router.put("/zones/{zone_id}", operation_id="edit_event_zone")
def edit_zone(
    zone_id: Id,
    body: ZoneEdit,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.plan")],
) -> dict[str, object]:
    """Reshape the perimeter or the control ring: a GeoJSON polygon, or a buffer around the
    venue; the perimeter holds the venue and lies inside the control ring."""
    z = flows.event_zone_edit_flow(session, principal=principal, zone_id=zone_id, data=body)
    return {"id": z.id, "event_id": z.event_id, "name": z.name, "kind": z.kind,
            "geometry": json.loads(z.geometry)}  # fmt: skip


@router.post("/checks/{check_id}/done", operation_id="event_check_done")
def check_done(
    check_id: Id,
    body: CheckDone,
    session: SessionDep,
    principal: Annotated[Principal, allowed("event.command")],
) -> dict[str, object]:
    """Mark a check or a checklist item done."""
    c = flows.event_check_done_flow(session, principal=principal, check_id=check_id, note=body.note)
    return {"id": c.id, "done_at": c.done_at, "done_by": c.done_by, "note": c.note}
