"""Unit endpoints under ``/api/v1/resources``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from pingan.api.deps import CurrentUser, SessionDep
from pingan.api.errors import ErrorBody
from pingan.auth.service import require_role, scope_clause
from pingan.inputs import Id, Offset
from pingan.resources import service
from pingan.resources.models import Resource
from pingan.resources.schemas import PositionIn, ResourceCreate, ResourceRead, StatusIn

router = APIRouter(prefix="/api/v1/resources", tags=["resources"], responses=ErrorBody)


def _read(r: Resource) -> ResourceRead:
    out = ResourceRead.model_validate(r)
    out.allowed_statuses = service.STATUS.allowed(r.status)
    return out


@router.get("", operation_id="list_resources")
def list_resources(
    session: SessionDep,
    principal: CurrentUser,
    kind: str | None = None,
    status: str | None = None,
    station_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> dict[str, object]:
    """Units in your jurisdiction."""
    q = select(Resource).where(scope_clause(principal, Resource.jpath))
    if kind:
        q = q.where(Resource.kind == kind)
    if status:
        q = q.where(Resource.status == status)
    if station_id:
        q = q.where(Resource.station_id == station_id)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(Resource.id).limit(limit).offset(offset)).all()
    return {"items": [_read(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/{resource_id}", operation_id="get_resource")
def get_resource(resource_id: Id, session: SessionDep, principal: CurrentUser) -> ResourceRead:
    """One unit."""
    return _read(service.get_or_raise(session, principal=principal, resource_id=resource_id))


@router.post("", status_code=201, operation_id="create_resource")
def create_resource(
    body: ResourceCreate, session: SessionDep, principal: CurrentUser
) -> ResourceRead:
    """Register a unit at its home station."""
    require_role(principal, "resources")
    r = service.create(session, principal=principal, data=body)
    session.commit()
    return _read(r)


@router.post("/{resource_id}/status", operation_id="set_resource_status")
def set_status(
    resource_id: Id, body: StatusIn, session: SessionDep, principal: CurrentUser
) -> ResourceRead:
    """Change the status (available, dispatched, on_scene, off_duty); 409 names the allowed."""
    require_role(principal, "resources")
    r = service.set_status(
        session, principal=principal, resource_id=resource_id, status=body.status, note=body.note
    )
    session.commit()
    return _read(r)


@router.post("/{resource_id}/positions", operation_id="report_resource_position")
def report_position(
    resource_id: Id, body: PositionIn, session: SessionDep, principal: CurrentUser
) -> ResourceRead:
    """Report the unit's position."""
    require_role(principal, "resources")
    r = service.report_position(session, principal=principal, resource_id=resource_id, data=body)
    session.commit()
    return _read(r)
