"""Changes to an event's plan after it was drawn up: posts added, moved, renamed or removed,
the perimeter and the control ring reshaped (a polygon, or a buffer around the venue). Each
is validated against the venue and audited; keyword-only; never commits (the flows do).

A past event's plan is the record the after-action report compares with: it is not changed.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.errors import Conflict, Invalid, NotFound
from pingan.events import planner
from pingan.events.models import Event, EventPost, EventZone
from pingan.events.schemas import PostCreate, PostPlace, ZoneEdit
from pingan.events.service import get_or_raise, phase

__all__ = ["MAX_POST_M", "add_post", "delete_post", "edit_zone", "place_post"]

MAX_POST_M = 3000.0
"""A post stands within 3 km of the venue (the control ring is 1 km out; detours run wider)."""
_VERTICES = 2000


def _open(event: Event) -> None:
    if phase(event) == "past":
        raise Conflict(
            f"event {event.code} is over: its plan is the record the after-action report "
            "compares with and is not changed"
        )


def _check_place(event: Event, lon: float, lat: float) -> None:
    proj = planner.venue_projection(event)
    x, y = proj.forward([lon], [lat])
    d = float(planner._venue_m(event, proj).distance(shapely.Point(x[0], y[0])))
    if d > MAX_POST_M:
        raise Invalid(
            "lon",
            f"the post lies {d / 1000:.1f} km from the venue; posts stand within "
            f"{MAX_POST_M / 1000:g} km of it",
        )


def _post(session: Session, principal: Principal, post_id: int) -> tuple[EventPost, Event]:
    p = session.get(EventPost, post_id)
    e = None if p is None else session.get(Event, p.event_id)
    if p is None or e is None or not principal.can_see(e.jpath):
        raise NotFound(f"event post {post_id} does not exist or is outside your jurisdiction")
    return p, e


def add_post(
    session: Session, *, principal: Principal, event_id: int, data: PostCreate
) -> EventPost:
    """Add a post to the plan where the planner put none; audited."""
    e = get_or_raise(session, principal=principal, event_id=event_id)
    _open(e)
    _check_place(e, data.lon, data.lat)
    p = EventPost(
        event_id=e.id,
        name=data.name,
        kind=data.kind,
        shift=data.shift,
        lon=round(data.lon, 6),
        lat=round(data.lat, 6),
        radius_m=data.radius_m,
        officers_needed=data.officers_needed,
    )
    session.add(p)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="event.post.add",
        entity="event_post",
        entity_id=p.id,
        jpath=e.jpath,
        detail=data.model_dump(),
    )
    return p


def place_post(
    session: Session, *, principal: Principal, post_id: int, data: PostPlace
) -> EventPost:
    """Move, rename or resize a post; audited with the old and new values."""
    p, e = _post(session, principal, post_id)
    _open(e)
    changes = data.model_dump(exclude_none=True)
    if not changes:
        raise Invalid(
            "body", "nothing to change: give name, lon and lat, radius_m or officers_needed"
        )
    if "radius_m" in changes and p.kind != "drone":
        raise Invalid(
            "radius_m", f"post {p.id} is a {p.kind} post; only a drone sector has a radius"
        )
    if data.lon is not None and data.lat is not None:
        _check_place(e, data.lon, data.lat)
        changes["lon"], changes["lat"] = round(data.lon, 6), round(data.lat, 6)
        if p.detour is not None:  # the diversion was drawn from the old place
            p.detour = None
            changes["detour"] = "dropped"
    old = {k: getattr(p, k) for k in changes if k != "detour"}
    for k, v in changes.items():
        if k != "detour":
            setattr(p, k, v)
    record(
        session,
        actor=principal.actor,
        action="event.post.place",
        entity="event_post",
        entity_id=p.id,
        jpath=e.jpath,
        detail={"old": old, "new": changes},
    )
    return p


def delete_post(session: Session, *, principal: Principal, post_id: int) -> None:
    """Remove a post from the plan (not one its unit reported staffed); audited."""
    p, e = _post(session, principal, post_id)
    _open(e)
    if p.staffed_at is not None:
        raise Conflict(
            f"post {p.id} is staffed since {p.staffed_at.isoformat()}: report it unstaffed first"
        )
    record(
        session,
        actor=principal.actor,
        action="event.post.delete",
        entity="event_post",
        entity_id=p.id,
        jpath=e.jpath,
        detail={"name": p.name, "kind": p.kind, "shift": p.shift, "lon": p.lon, "lat": p.lat},
    )
    session.delete(p)
    session.flush()


def _polygon(value: dict[str, Any]) -> shapely.Geometry:
    try:
        g = shapely.from_geojson(json.dumps(value))
    except Exception:  # shapely raises GEOSException with a parser message
        raise Invalid("geometry", "expected a GeoJSON Polygon with [lon, lat] rings") from None
    if g.geom_type != "Polygon":
        raise Invalid("geometry", f"expected a Polygon, got a {g.geom_type}")
    if shapely.get_num_coordinates(g) > _VERTICES:
        raise Invalid("geometry", f"at most {_VERTICES} vertices")
    if not g.is_valid:
        raise Invalid("geometry", f"not a valid polygon: {shapely.is_valid_reason(g)}")
    return g


def edit_zone(session: Session, *, principal: Principal, zone_id: int, data: ZoneEdit) -> EventZone:
    """Reshape the perimeter or the control ring: the perimeter must hold the venue and lie
    inside the control ring, the control ring must hold the perimeter. The venue is the
    event's and is not reshaped here. Audited with the old shape."""
    z = session.get(EventZone, zone_id)
    e = None if z is None else session.get(Event, z.event_id)
    if z is None or e is None or not principal.can_see(e.jpath):
        raise NotFound(f"event zone {zone_id} does not exist or is outside your jurisdiction")
    _open(e)
    if z.kind not in ("perimeter", "control"):
        raise Invalid("zone_id", f"zone {z.id} is the {z.kind}; reshape the perimeter or control")
    proj = planner.venue_projection(e)
    if data.buffer_m is not None:
        text = planner._ring(proj, planner._venue_m(e, proj).buffer(data.buffer_m, quad_segs=8))
        shape = shapely.from_geojson(text)
    else:
        assert data.geometry is not None
        shape = _polygon(data.geometry)
        text = json.dumps(shapely.geometry.mapping(shape))
    zones = {
        q.kind: q for q in session.scalars(select(EventZone).where(EventZone.event_id == e.id))
    }
    venue = shapely.from_geojson(e.venue)
    tol = 1e-7  # ~1 cm: the rings are rounded to 6 decimals
    if z.kind == "perimeter":
        if not shape.buffer(tol).contains(venue):
            raise Invalid("geometry", "the perimeter must hold the whole venue")
        ctrl = zones.get("control")
        if ctrl is not None and not shapely.from_geojson(ctrl.geometry).buffer(tol).contains(shape):
            raise Invalid("geometry", "the perimeter must lie inside the control ring")
    else:
        per = zones.get("perimeter")
        inner = venue if per is None else shapely.from_geojson(per.geometry)
        if not shape.buffer(tol).contains(inner):
            raise Invalid("geometry", "the control ring must hold the whole perimeter")
    old = z.geometry
    z.geometry = text
    record(
        session,
        actor=principal.actor,
        action="event.zone.edit",
        entity="event_zone",
        entity_id=z.id,
        jpath=e.jpath,
        detail={"kind": z.kind, "buffer_m": data.buffer_m, "old": json.loads(old)},
    )
    return z
