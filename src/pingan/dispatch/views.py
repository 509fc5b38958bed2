"""Dispatch endpoints: assignments of units to incidents, their transitions, incident notes,
and the unit board."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, scope_clause
from pingan.dispatch import flows, service
from pingan.dispatch.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentTransitionIn,
    MoveUpCreate,
    MoveUpRead,
    MoveUpTransitionIn,
    NoteIn,
)
from pingan.incidents import service as incidents
from pingan.incidents.models import Incident
from pingan.incidents.schemas import IncidentEventRead
from pingan.inputs import Id
from pingan.jurisdictions.models import Jurisdiction
from pingan.resources.models import Resource

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["dispatch"], responses=ErrorBody)


def lang_of(request: Request) -> str:
    """The caller's page language (session, cookie, then the configured default)."""
    lang = request.session.get("lang") if "session" in request.scope else None
    lang = lang or request.cookies.get("pingan_lang")
    lang = lang or str(request.app.state.settings.default_language)
    return "en" if lang == "en" else "zh-CN"


@router.post(
    "/incidents/{incident_id}/assignments",
    status_code=201,
    operation_id="create_assignment",
)
def create_assignment(
    incident_id: Id,
    body: AssignmentCreate,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.dispatch")],
) -> AssignmentRead:
    """Send a unit to the incident. The unit must be available (409 naming its current
    incident otherwise; of two dispatchers sending it at once exactly one gets the 201); its
    ETA by road at this time of day is stored with the assignment."""
    a = flows.assignment_create_flow(
        session,
        principal=principal,
        incident_id=incident_id,
        resource_id=body.resource_id,
        note=body.note,
        data_dir=Path(request.app.state.settings.data_dir),
    )
    return service.to_read(session, [a], lang=lang_of(request))[0]


@router.get("/incidents/{incident_id}/assignments", operation_id="list_assignments")
def list_assignments(
    incident_id: Id,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
) -> list[AssignmentRead]:
    """The units sent to the incident, oldest first."""
    incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    rows = service.list_for_incident(session, incident_id=incident_id)
    return service.to_read(session, rows, lang=lang_of(request))


@router.post("/assignments/{assignment_id}/transitions", operation_id="transition_assignment")
def transition_assignment(
    assignment_id: Id,
    body: AssignmentTransitionIn,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, allowed("assignment.transition")],
) -> AssignmentRead:
    """Move an assignment: en_route, on_scene, cleared or cancelled (409 naming the allowed
    ones). The unit's status follows (available again when cleared or cancelled) and the
    incident follows its first unit."""
    a = flows.assignment_transition_flow(
        session,
        principal=principal,
        assignment_id=assignment_id,
        to_state=body.to_state,
        note=body.note,
    )
    return service.to_read(session, [a], lang=lang_of(request))[0]


@router.post("/incidents/{incident_id}/notes", status_code=201, operation_id="add_incident_note")
def add_note(
    incident_id: Id,
    body: NoteIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.note")],
) -> IncidentEventRead:
    """Add a note to the incident's timeline (audited)."""
    ev = flows.incident_note_flow(
        session, principal=principal, incident_id=incident_id, text=body.text
    )
    return IncidentEventRead.model_validate(ev)


@router.get("/dispatch/nearby", operation_id="intake_nearby")
def intake_nearby(
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    subtype: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """For a call being taken: open incidents of the same kind within 300 m and 30 minutes
    (probable repeat calls) and the place's history (incidents within 150 m in a year)."""
    return service.nearby(session, principal=principal, lon=lon, lat=lat, subtype=subtype)


@router.get("/dispatch/mine", operation_id="my_incidents")
def my_incidents(
    session: SessionDep,
    principal: Annotated[Principal, allowed("incident.read")],
    hours: Annotated[
        float, Query(gt=0, le=24, description="the shift: the last hours (default 12)")
    ] = service.SHIFT_HOURS,
) -> dict[str, Any]:
    """The queue's "mine" filter: the ids of the incidents you took (created) or sent a unit
    to in your shift (the last ``hours``, 12 by default), newest first, in your scope."""
    ids = service.mine(session, principal=principal, hours=hours)
    return {"hours": hours, "incident_ids": ids}


@router.get("/dispatch/board", operation_id="unit_board")
def unit_board(
    request: Request, session: SessionDep, principal: Annotated[Principal, allowed("resource.read")]
) -> dict[str, Any]:
    """Every unit in your jurisdiction by station, with its status and current incident."""
    lang = lang_of(request)
    rows = session.execute(
        select(Resource, Jurisdiction.name_zh, Jurisdiction.name_en, Incident.code)
        .join(Jurisdiction, Jurisdiction.id == Resource.station_id)
        .outerjoin(Incident, Incident.id == Resource.current_incident_id)
        .where(scope_clause(principal, Resource.jpath))
        .order_by(Jurisdiction.code, Resource.code)
    ).all()
    stations: dict[int, dict[str, Any]] = {}
    moveups = service.active_moveups(session)
    for r, st_zh, st_en, inc_code in rows:
        st = stations.setdefault(
            r.station_id,
            {"id": r.station_id, "name": st_en if lang == "en" else st_zh, "units": []},
        )
        st["units"].append(
            service.unit_json(r, lang=lang, incident_code=inc_code, moveup=moveups.get(r.id))
        )
    return {"stations": list(stations.values())}


@router.post(
    "/resources/{resource_id}/moveups",
    status_code=201,
    operation_id="create_moveup",
)
def create_moveup(
    resource_id: Id,
    body: MoveUpCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("unit.moveup")],
) -> MoveUpRead:
    """Send an available unit to stand at another place to restore 1-3-5 minute coverage (a
    move-up, as the live coverage suggests). The unit stays available for calls; a call
    cancels the move-up. 409 naming its incident when the unit is busy."""
    m = flows.moveup_create_flow(
        session,
        principal=principal,
        resource_id=resource_id,
        lon=body.lon,
        lat=body.lat,
        label=body.label,
        gain=body.gain,
        travel_s=body.travel_s,
    )
    return MoveUpRead.model_validate(m)


@router.post("/moveups/{moveup_id}/transitions", operation_id="transition_moveup")
def transition_moveup(
    moveup_id: Id,
    body: MoveUpTransitionIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("unit.moveup")],
) -> MoveUpRead:
    """Mark a move-up ``arrived`` (the unit's position is set there) or ``cancelled``."""
    m = flows.moveup_transition_flow(
        session, principal=principal, moveup_id=moveup_id, to_state=body.to_state
    )
    return MoveUpRead.model_validate(m)
