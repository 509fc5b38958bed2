"""Unit endpoints under ``/api/v1/resources``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal, scope_clause
from pingan.fieldapp.flows import position_report_flow
from pingan.inputs import Id
from pingan.resources import service
from pingan.resources.models import Resource
from pingan.resources.schemas import PositionIn, ResourceCreate, ResourceRead, StatusIn
from pingan.schemas import Page, paginate

router = APIRouter(prefix="/api/v1/resources", tags=["resources"], responses=ErrorBody)


class ResourcePage(Page[ResourceRead]):
    """A page of units."""


def _read(r: Resource) -> ResourceRead:
    out = ResourceRead.model_validate(r)
    out.allowed_statuses = service.STATUS.allowed(r.status)
    return out


@router.get("", operation_id="list_resources")
def list_resources(
    session: SessionDep,
    principal: Annotated[Principal, allowed("resource.read")],
    kind: str | None = None,
    status: str | None = None,
    station_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> ResourcePage:
    """Units in your jurisdiction."""
    q = select(Resource).where(scope_clause(principal, Resource.jpath))
    if kind:
        q = q.where(Resource.kind == kind)
    if status:
        q = q.where(Resource.status == status)
    if station_id:
        q = q.where(Resource.station_id == station_id)
    return paginate(
        session, q, limit=limit, offset=offset, to=_read, page=ResourcePage, order_by=Resource.id
    )


@router.get("/{resource_id}", operation_id="get_resource")
def get_resource(
    resource_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("resource.read")]
) -> ResourceRead:
    """One unit."""
    return _read(service.get_or_raise(session, principal=principal, resource_id=resource_id))


@router.post("", status_code=201, operation_id="create_resource")
def create_resource(
    body: ResourceCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("resource.write")],
) -> ResourceRead:
    """Register a unit at its home station."""
    r = service.create(session, principal=principal, data=body)
    session.commit()
    return _read(r)


@router.post("/{resource_id}/status", operation_id="set_resource_status")
def set_status(
    resource_id: Id,
    body: StatusIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("resource.write")],
) -> ResourceRead:
    """Change the status (available, dispatched, on_scene, off_duty); 409 names the allowed."""
    r = service.set_status(
        session, principal=principal, resource_id=resource_id, status=body.status, note=body.note
    )
    session.commit()
    return _read(r)


@router.post("/{resource_id}/positions", operation_id="report_resource_position")
def report_position(
    resource_id: Id,
    body: PositionIn,
    session: SessionDep,
    principal: Annotated[Principal, allowed("resource.position")],
) -> ResourceRead:
    """Report the unit's position; an officer's phone reports his own unit, while on duty."""
    return _read(
        position_report_flow(session, principal=principal, resource_id=resource_id, data=body)
    )
