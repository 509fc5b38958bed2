"""How an event's security plan is drawn up from its venue: zones (venue, a 300 m security
perimeter, a 1 km traffic control ring), gate and perimeter posts by shift, traffic control
points on the roads of the ring with their detours around the perimeter (shortest car paths on
the roads outside it), service stations, a drone sector over the venue, the station's units
and officers assigned in turn, checks of hotels (2 km) and scenic spots (5 km), and the type's
checklist. Reads the store and the road network; writes nothing (``service`` stores)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.events.models import Event, EventCheck, EventPost, EventZone
from pingan.events.templates import CHECKLISTS
from pingan.geo.crs import LocalProjection
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import KeyArea, Premises
from pingan.resources.models import Resource

__all__ = [
    "CONTROL_M",
    "PERIMETER_M",
    "build_checks",
    "build_posts",
    "build_zones",
    "detour",
    "venue_projection",
]

PERIMETER_M = 300.0
CONTROL_M = 1000.0
HOTEL_M = 2000.0
SCENIC_M = 5000.0
CROWD_PER_OFFICER = 250
"""Officers on the gates: one per 250 expected visitors, spread over the four gates."""
UNIT_KINDS = ("patrol_car", "foot_team", "motorcycle", "mobile_kiosk", "tactical_unit")
_COMPASS = (("北", 0.0), ("东", 90.0), ("南", 180.0), ("西", 270.0))
_DIAG = (("东北", 45.0), ("东南", 135.0), ("西南", 225.0), ("西北", 315.0))


def venue_projection(event: Event) -> LocalProjection:
    """A metric projection centred on the venue."""
    return LocalProjection(event.venue_lon, event.venue_lat)


def _ring(proj: LocalProjection, geom_m: shapely.Geometry) -> str:
    lon, lat = proj.inverse(*np.asarray(geom_m.exterior.coords).T)
    coords = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
    return json.dumps({"type": "Polygon", "coordinates": [coords]})


def _venue_m(event: Event, proj: LocalProjection) -> shapely.Geometry:
    venue = shapely.from_geojson(event.venue)
    ring = np.asarray(shapely.get_exterior_ring(venue).coords)
    x, y = proj.forward(ring[:, 0], ring[:, 1])
    return shapely.Polygon(np.column_stack([x, y]))


def build_zones(event: Event) -> list[EventZone]:
    """The venue, the security perimeter (venue + 300 m) and the control ring (+ 1 km)."""
    proj = venue_projection(event)
    v = _venue_m(event, proj)
    return [
        EventZone(event_id=event.id, name="场馆", kind="venue", geometry=event.venue),
        EventZone(
            event_id=event.id,
            name="安检圈",
            kind="perimeter",
            geometry=_ring(proj, v.buffer(PERIMETER_M, quad_segs=8)),
        ),
        EventZone(
            event_id=event.id,
            name="交通管制圈",
            kind="control",
            geometry=_ring(proj, v.buffer(CONTROL_M, quad_segs=8)),
        ),
    ]


def _at_bearing(geom_m: shapely.Geometry, bearing_deg: float) -> tuple[float, float]:
    """Where a ray from the centroid at ``bearing_deg`` (clockwise from north) leaves the shape."""
    c = geom_m.centroid
    far = 1e5
    b = math.radians(bearing_deg)
    ray = shapely.LineString([(c.x, c.y), (c.x + far * math.sin(b), c.y + far * math.cos(b))])
    hit = ray.intersection(geom_m.exterior)
    pts = [hit] if hit.geom_type == "Point" else list(getattr(hit, "geoms", []))
    if not pts:
        return float(c.x), float(c.y)
    p = max(pts, key=lambda q: q.distance(c))
    return float(p.x), float(p.y)


def detour(
    net: Any, proj: LocalProjection, perimeter_m: shapely.Geometry, a: int, b: int
) -> list[list[float]] | None:
    """The shortest car path between road nodes ``a`` and ``b`` on the roads outside the
    perimeter (within 4 km of the venue), as lon/lat coordinates; None when there is none."""
    from scipy.sparse.csgraph import dijkstra

    x, y = proj.forward(net.node_lon, net.node_lat)
    near = (np.abs(x) < 4000) & (np.abs(y) < 4000)
    inside = shapely.contains_xy(perimeter_m, x, y)
    keep = near & ~inside
    keep[[a, b]] = True
    sub = np.flatnonzero(keep)
    pos = np.full(net.n_nodes, -1, dtype=np.int64)
    pos[sub] = np.arange(sub.size)
    g = net.graph("car")[sub][:, sub]
    d, pred = dijkstra(g, directed=True, indices=int(pos[a]), return_predecessors=True)
    if not np.isfinite(d[pos[b]]):
        return None
    path, k = [], int(pos[b])
    while k >= 0:
        path.append(int(sub[k]))
        k = int(pred[k])
    path.reverse()
    return [[round(float(net.node_lon[n]), 6), round(float(net.node_lat[n]), 6)] for n in path]


def _lonlat(proj: LocalProjection, x: float, y: float) -> tuple[float, float]:
    lo, la = proj.inverse(np.array([x]), np.array([y]))
    return round(float(lo[0]), 6), round(float(la[0]), 6)


def build_posts(
    session: Session, event: Event, *, data_dir: Path | None
) -> tuple[list[EventPost], str]:
    """Gate, perimeter and traffic posts by shift, service stations and a drone sector, with
    the station's units and community officers assigned in turn; and a note on what was not
    possible (no road network: traffic points without detours)."""
    proj = venue_projection(event)
    v = _venue_m(event, proj)
    perim = v.buffer(PERIMETER_M, quad_segs=8)
    ctrl = v.buffer(CONTROL_M, quad_segs=8)
    gate_officers = max(2, math.ceil(event.expected_crowd / CROWD_PER_OFFICER / 4))
    posts: list[EventPost] = []

    def add(name: str, kind: str, shift: str, xy: tuple[float, float], **kw: Any) -> EventPost:
        lon, lat = _lonlat(proj, *xy)
        p = EventPost(event_id=event.id, name=name, kind=kind, shift=shift, lon=lon, lat=lat, **kw)
        posts.append(p)
        return p

    for shift in ("arrival", "event", "dispersal"):
        for label, bearing in _COMPASS:
            add(
                f"{label}门安检岗",
                "post",
                shift,
                _at_bearing(v, bearing),
                officers_needed=gate_officers,
            )
    for shift in ("arrival", "dispersal"):
        for label, bearing in _DIAG:
            add(f"{label}外围岗", "post", shift, _at_bearing(perim, bearing), officers_needed=2)
    note = ""
    net = None
    if data_dir is not None:
        try:
            from pingan.rapid_response.data import load_network

            net = load_network(data_dir)
        except Exception:  # no road network yet: the traffic points are placed without detours
            net = None
    if net is not None:
        from pingan.coverage import snap_to_mode

        xy = [_at_bearing(ctrl, b) for _, b in _COMPASS]
        lon, lat = proj.inverse(np.array([p[0] for p in xy]), np.array([p[1] for p in xy]))
        nodes, _ = snap_to_mode(net, lon, lat, mode="car")
        for k, (label, _b) in enumerate(_COMPASS):
            a, b = int(nodes[k]), int(nodes[(k + 1) % 4])
            path = detour(net, proj, perim, a, b)
            geo = None if path is None else json.dumps({"type": "LineString", "coordinates": path})
            nlon, nlat = float(net.node_lon[a]), float(net.node_lat[a])
            for shift in ("arrival", "dispersal"):
                posts.append(
                    EventPost(
                        event_id=event.id,
                        name=f"{label}侧交通管制点",
                        kind="traffic",
                        shift=shift,
                        lon=round(nlon, 6),
                        lat=round(nlat, 6),
                        detour=geo,
                        officers_needed=3,
                    )
                )
    else:
        note = "no road network: traffic control points without detours"
        for label, bearing in _COMPASS:
            for shift in ("arrival", "dispersal"):
                add(f"{label}侧交通管制点", "traffic", shift, _at_bearing(ctrl, bearing))
    for label, bearing in (("东南", 135.0), ("西北", 315.0)):
        add(f"{label}便民服务站", "service", "event", _at_bearing(perim, bearing))
    extent = max(v.bounds[2] - v.bounds[0], v.bounds[3] - v.bounds[1])
    c = v.centroid
    add("场馆无人机巡查", "drone", "event", (c.x, c.y), radius_m=round(extent / 2 + 500.0))
    _assign(session, event, posts)
    return posts, note


def _assign(session: Session, event: Event, posts: list[EventPost]) -> None:
    units = list(
        session.scalars(
            select(Resource)
            .where(Resource.station_id == event.station_id, Resource.kind.in_(UNIT_KINDS))
            .order_by(Resource.id)
        )
    )
    drones = list(
        session.scalars(select(Resource).where(Resource.kind == "drone").order_by(Resource.id))
    )
    station = session.get(Jurisdiction, event.station_id)
    officers = (
        list(
            session.scalars(
                select(User)
                .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
                .where(
                    User.role == "community_officer",
                    Jurisdiction.path.startswith(station.path, autoescape=True),
                )
                .order_by(User.id)
            )
        )
        if station
        else []
    )
    by_shift: dict[str, int] = {}
    for p in posts:
        if p.kind == "drone":
            p.resource_id = drones[0].id if drones else None
            continue
        if p.kind == "service":
            continue  # staffed by volunteers and partner organisations
        k = by_shift.get(p.shift, 0)
        by_shift[p.shift] = k + 1
        if k < len(units):
            p.resource_id = units[k].id
        if officers and p.kind == "post":
            p.officer_id = officers[k % len(officers)].id


def build_checks(session: Session, event: Event) -> list[EventCheck]:
    """Hotels within 2 km and scenic spots within 5 km to check the day before the gates open,
    and the type's checklist (each item due its hours before the gates open)."""
    proj = venue_projection(event)
    out: list[EventCheck] = []
    day_before = event.arrival_at - dt.timedelta(days=1)
    d = 0.03  # ≈ 3 km in degrees of latitude: a coarse box before the exact distance
    hotels = session.scalars(
        select(Premises).where(
            Premises.kind == "hotel",
            Premises.lon.between(event.venue_lon - 2 * d, event.venue_lon + 2 * d),
            Premises.lat.between(event.venue_lat - d, event.venue_lat + d),
        )
    ).all()
    for h in hotels:
        x, y = proj.forward(np.array([h.lon]), np.array([h.lat]))
        if math.hypot(float(x[0]), float(y[0])) <= HOTEL_M:
            out.append(
                EventCheck(
                    event_id=event.id,
                    kind="hotel",
                    text=f"旅馆安全检查：{h.name}",
                    premises_id=h.id,
                    lon=h.lon,
                    lat=h.lat,
                    due_at=day_before,
                    note="",
                )
            )
    for ka in session.scalars(select(KeyArea).where(KeyArea.kind == "tourist_site")).all():
        x, y = proj.forward(np.array([ka.centroid_lon]), np.array([ka.centroid_lat]))
        if math.hypot(float(x[0]), float(y[0])) <= SCENIC_M:
            out.append(
                EventCheck(
                    event_id=event.id,
                    kind="scenic",
                    text=f"景区安全检查：{ka.name_zh}",
                    key_area_id=ka.id,
                    lon=ka.centroid_lon,
                    lat=ka.centroid_lat,
                    due_at=day_before,
                    note="",
                )
            )
    for zh, _en, hours in CHECKLISTS.get(event.kind, []):
        out.append(
            EventCheck(
                event_id=event.id,
                kind="checklist",
                text=zh,
                due_at=event.arrival_at - dt.timedelta(hours=hours),
                note="",
            )
        )
    return out
