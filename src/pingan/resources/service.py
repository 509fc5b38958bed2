"""Units: registry, status (a declared state machine) and position reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal, get_scoped
from pingan.errors import Conflict, Invalid, PermissionDenied
from pingan.geo.crs import to_wgs84
from pingan.jurisdictions.service import get_by_code
from pingan.resources.models import Resource, ResourcePosition
from pingan.resources.schemas import PositionIn, ResourceCreate
from pingan.store.base import utcnow
from pingan.workflow import StateMachine

__all__ = [
    "STATUS",
    "create",
    "get_or_raise",
    "record_position",
    "report_position",
    "set_status",
]

STATUS = StateMachine(
    name="unit status",
    initial="available",
    transitions={
        "available": ("dispatched", "off_duty"),
        "dispatched": ("en_route", "on_scene", "available"),
        "en_route": ("on_scene", "available"),
        "on_scene": ("available",),
        "off_duty": ("available",),
    },
)


def create(session: Session, *, principal: Principal, data: ResourceCreate) -> Resource:
    """Register a unit at a station inside the caller's scope (audited)."""
    station = get_by_code(session, data.station_code)
    if station is None or station.level != "station":
        raise Invalid("station_code", f"no police station with code {data.station_code!r}")
    if not principal.can_see(station.path):
        raise PermissionDenied("the station is outside your jurisdiction", field="station_code")
    if session.scalar(select(Resource.id).where(Resource.code == data.code)) is not None:
        raise Invalid("code", f"{data.code!r} already exists")
    if data.kind in ("drone", "drone_base") and data.range_m is None:
        raise Invalid("range_m", "drones and drone bases need their operating range")
    lon, lat = data.lon, data.lat
    if lon is None or lat is None:
        lon, lat = (
            station.site_lon or station.centroid_lon,
            station.site_lat or station.centroid_lat,
        )
    r = Resource(
        code=data.code,
        kind=data.kind,
        name_zh=data.name_zh,
        name_en=data.name_en or data.name_zh,
        station_id=station.id,
        jpath=station.path,
        status="available",
        lon=lon,
        lat=lat,
        position_at=utcnow() if lon else None,
        speed_kph=data.speed_kph,
        range_m=data.range_m,
    )
    session.add(r)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="resource",
        entity_id=r.id,
        jpath=r.jpath,
        detail={"code": r.code, "kind": r.kind},
    )
    return r


def get_or_raise(session: Session, *, principal: Principal, resource_id: int) -> Resource:
    """The unit if it exists in scope, else ``NotFound``."""
    return get_scoped(session, Resource, resource_id, principal=principal, what="unit")


def set_status(
    session: Session, *, principal: Principal, resource_id: int, status: str, note: str = ""
) -> Resource:
    """Change a unit's status along its declared machine (409 naming the allowed ones)."""
    r = get_or_raise(session, principal=principal, resource_id=resource_id)
    if r.current_incident_id is not None:
        raise Conflict(
            f"unit {r.code} is assigned to incident {r.current_incident_id}; move its assignment "
            "(POST /api/v1/assignments/{id}/transitions) instead of its status",
            field="status",
            detail={"incident_id": r.current_incident_id},
        )
    STATUS.check(r.status, status)
    previous, r.status = r.status, status
    record(
        session,
        actor=principal.actor,
        action="status",
        entity="resource",
        entity_id=r.id,
        jpath=r.jpath,
        detail={"from": previous, "to": status, "note": note},
    )
    return r


def report_position(
    session: Session, *, principal: Principal, resource_id: int, data: PositionIn
) -> Resource:
    """Store a position report and move the unit (audited as a change)."""
    r = get_or_raise(session, principal=principal, resource_id=resource_id)
    return record_position(session, principal=principal, resource=r, data=data)


def record_position(
    session: Session, *, principal: Principal, resource: Resource, data: PositionIn
) -> Resource:
    """Store a position report of ``resource`` (already checked to be the caller's) and move
    the unit (audited as a change)."""
    r = resource
    lon_a, lat_a = to_wgs84([data.lon], [data.lat], data.crs)
    at = data.at or utcnow()
    if at.tzinfo is None:
        raise Invalid("at", "must include a timezone")
    if at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("at", "is in the future")
    r.lon, r.lat, r.position_at = float(lon_a[0]), float(lat_a[0]), at
    session.add(ResourcePosition(resource_id=r.id, at=at, lon=r.lon, lat=r.lat))
    record(
        session,
        actor=principal.actor,
        action="position",
        entity="resource",
        entity_id=r.id,
        jpath=r.jpath,
        detail={"lon": r.lon, "lat": r.lat},
    )
    return r
