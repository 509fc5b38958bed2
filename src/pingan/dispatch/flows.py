"""Dispatch flows: send a unit (with its ETA by road), move an assignment, write a note. Each
commits once, with its audit record in the same transaction.

Permissions, from the permission table: ``incident.dispatch`` (send a unit),
``assignment.transition`` (en route, on scene, cleared, cancelled), ``incident.note``,
``unit.moveup`` (send an available unit to stand elsewhere, mark it arrived or cancelled).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.dispatch import service
from pingan.dispatch.models import Assignment, MoveUp
from pingan.errors import Conflict, Invalid
from pingan.incidents import service as incidents
from pingan.incidents.models import IncidentEvent
from pingan.permissions import check
from pingan.rapid_response import data as coverage_data
from pingan.rapid_response import service as coverage_service
from pingan.rapid_response import straight as coverage_straight
from pingan.resources.models import Resource
from pingan.store.base import utcnow

__all__ = [
    "assignment_create_flow",
    "assignment_transition_flow",
    "eta_and_route",
    "incident_note_flow",
    "local_time",
    "moveup_create_flow",
    "moveup_transition_flow",
    "road_eta_s",
]


def local_time(when: dt.datetime) -> dt.time:
    """The time of day of ``when`` in the bureau's zone (the speed profile's clock)."""
    local = when.astimezone(zoneinfo.ZoneInfo(get_settings().timezone))
    return dt.time(local.hour, local.minute)


def road_eta_s(
    session: Session,
    *,
    principal: Principal,
    data_dir: Path | None,
    point: tuple[float, float],
    resource_id: int,
) -> float | None:
    """The unit's ETA to ``point`` by road at this time of day (drones by air), computed as the
    recommendations compute it; by straight line when there is no road network; ``None`` when
    the unit cannot be ranked (no position, no route)."""
    return eta_and_route(
        session, principal=principal, data_dir=data_dir, point=point, resource_id=resource_id
    )[0]


def eta_and_route(
    session: Session,
    *,
    principal: Principal,
    data_dir: Path | None,
    point: tuple[float, float],
    resource_id: int,
) -> tuple[float | None, dict[str, Any] | None]:
    """:func:`road_eta_s` with the route (a GeoJSON LineString) the unit is expected to take."""
    if data_dir is None:
        return None, None
    unit = session.get(Resource, resource_id)
    if unit is not None:  # ranked a moment ago from where it still stands: no second routing
        hit = coverage_straight.recall(point, resource_id, unit.lon, unit.lat)
        if hit is not None:
            return hit
    forces = coverage_data.load_forces(session, principal=principal)
    mask = forces.id == resource_id
    if not mask.any():
        return None, None
    try:
        try:
            net = coverage_data.load_network(data_dir)
        except Conflict:
            out = coverage_straight.recommend_straight_line(forces.subset(mask), point, k=1)
        else:
            out = coverage_service.recommend(
                net, forces.subset(mask), point, k=1, at=local_time(utcnow())
            )
    except Invalid:
        return None, None
    units = out["units"]
    if not units:
        return None, None
    return float(units[0]["eta_s"]), units[0]["route"]


def assignment_create_flow(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    resource_id: int,
    note: str = "",
    data_dir: Path | None = None,
) -> Assignment:
    """Send a unit to an incident (its ETA by road stored with it) and commit."""
    check(principal.role, "incident.dispatch")
    inc = incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    eta, route = eta_and_route(
        session,
        principal=principal,
        data_dir=data_dir,
        point=(inc.lon, inc.lat),
        resource_id=resource_id,
    )
    a = service.create(
        session,
        principal=principal,
        incident_id=incident_id,
        resource_id=resource_id,
        eta_s=eta,
        note=note,
        route=route,
    )
    session.commit()
    return a


def assignment_transition_flow(
    session: Session, *, principal: Principal, assignment_id: int, to_state: str, note: str = ""
) -> Assignment:
    """Move an assignment (the unit and the incident follow) and commit."""
    check(principal.role, "assignment.transition")
    a = service.transition(
        session, principal=principal, assignment_id=assignment_id, to_state=to_state, note=note
    )
    session.commit()
    return a


def incident_note_flow(
    session: Session, *, principal: Principal, incident_id: int, text: str
) -> IncidentEvent:
    """Add a note to the incident's timeline and commit."""
    check(principal.role, "incident.note")
    ev = service.add_note(session, principal=principal, incident_id=incident_id, text=text)
    session.commit()
    return ev


def moveup_create_flow(
    session: Session,
    *,
    principal: Principal,
    resource_id: int,
    lon: float,
    lat: float,
    label: str = "",
    gain: float | None = None,
    travel_s: float | None = None,
) -> MoveUp:
    """Send an available unit to stand at another place (a move-up) and commit."""
    check(principal.role, "unit.moveup")
    m = service.moveup_create(
        session,
        principal=principal,
        resource_id=resource_id,
        lon=lon,
        lat=lat,
        label=label,
        gain=gain,
        travel_s=travel_s,
    )
    session.commit()
    return m


def moveup_transition_flow(
    session: Session, *, principal: Principal, moveup_id: int, to_state: str
) -> MoveUp:
    """Mark a move-up arrived (the unit's position moves there) or cancelled, and commit."""
    check(principal.role, "unit.moveup")
    m = service.moveup_transition(
        session, principal=principal, moveup_id=moveup_id, to_state=to_state
    )
    session.commit()
    return m
