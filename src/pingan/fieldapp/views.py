"""Field-app endpoints under ``/api/v1/field``: who the phone's user is, his unit and the
on-duty switch (positions go to ``POST /api/v1/resources/{id}/positions``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.fieldapp import flows, service
from pingan.fieldapp.schemas import DutyIn, FieldMe, FieldPatrols, LinkIn, LinkRead

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/field", tags=["field"], responses=ErrorBody)
FieldUser = Annotated[Principal, allowed("field.use")]
UnitWriter = Annotated[Principal, allowed("resource.write")]


@router.get("/me", operation_id="field_me")
def field_me(session: SessionDep, principal: FieldUser) -> FieldMe:
    """You, your unit and whether you are on duty (your position is shared only then)."""
    return service.me(session, principal=principal)


@router.get("/patrols", operation_id="field_patrols")
def field_patrols(session: SessionDep, principal: FieldUser) -> FieldPatrols:
    """Today's published patrol windows of your station, with the posts, routes and grid areas
    assigned to you or your unit."""
    return service.patrol_windows(session, principal=principal)


@router.post("/duty", operation_id="field_duty")
def field_duty(body: DutyIn, session: SessionDep, principal: FieldUser) -> FieldMe:
    """Go on or off duty; 409 when no unit is linked to you."""
    return flows.duty_switch_flow(session, principal=principal, on_duty=body.on_duty)


@router.put("/links", operation_id="field_link")
def field_link(body: LinkIn, session: SessionDep, principal: UnitWriter) -> LinkRead:
    """Link an officer to the unit whose position his phone shares while he is on duty (both in
    your jurisdiction; audited). Linking again moves him to the new unit."""
    link = flows.unit_link_flow(
        session, principal=principal, username=body.username, unit_code=body.unit_code
    )
    return LinkRead(
        username=body.username,
        unit_code=body.unit_code,
        resource_id=link.resource_id,
        on_duty=link.on_duty,
    )
