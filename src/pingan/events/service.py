"""Event security: create an event with its plan, reads in scope, assignments, checks, the log,
the live board and the after-action report. Keyword-only; never commits (the flows do)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, NotFound
from pingan.events import planner
from pingan.events.models import Event, EventCheck, EventLogEntry, EventPost, EventZone
from pingan.events.schemas import BoardRead, EventCreate, EventRead, EventSummary, ReportRead
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import KeyArea
from pingan.resources.models import Resource

__all__ = [
    "STANDARDS_S",
    "add_log",
    "board",
    "check_done",
    "create",
    "event_read",
    "get_or_raise",
    "list_events",
    "live_post_states",
    "phase",
    "report",
    "summary",
    "update_post",
]

STANDARDS_S = (60, 180, 300)
STAFFED_M = 150.0
"""A unit within 150 m of its post (position reported in the last 30 minutes) staffs it."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def phase(event: Event, now: dt.datetime | None = None) -> str:
    """``upcoming`` before the gates open, ``live`` until the crowd is gone, then ``past``."""
    t = now or _now()
    if t < event.arrival_at:
        return "upcoming"
    return "live" if t <= event.dispersal_until else "past"


def shift_at(event: Event, t: dt.datetime) -> str | None:
    """The shift at ``t``: arrival (gates open to kick-off), event, dispersal; None outside."""
    if event.arrival_at <= t < event.starts_at:
        return "arrival"
    if event.starts_at <= t < event.ends_at:
        return "event"
    if event.ends_at <= t <= event.dispersal_until:
        return "dispersal"
    return None


def summary(e: Event) -> EventSummary:
    return EventSummary(
        id=e.id,
        code=e.code,
        name=e.name,
        kind=e.kind,
        station_id=e.station_id,
        expected_crowd=e.expected_crowd,
        arrival_at=e.arrival_at,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        dispersal_until=e.dispersal_until,
        phase=phase(e),
    )


# --- reads -------------------------------------------------------------------------------


def list_events(session: Session, *, principal: Principal, limit: int = 100) -> list[Event]:
    """Events in the caller's scope, newest first."""
    q = (
        select(Event)
        .where(scope_clause(principal, Event.jpath))
        .order_by(Event.arrival_at.desc())
        .limit(limit)
    )
    return list(session.scalars(q))


def get_or_raise(session: Session, *, principal: Principal, event_id: int) -> Event:
    """The event if it exists in scope, else ``NotFound``."""
    e = session.get(Event, event_id)
    if e is None or not principal.can_see(e.jpath):
        raise NotFound(f"event {event_id} does not exist or is outside your jurisdiction")
    return e


def _rows(session: Session, model: Any, event_id: int) -> list[Any]:
    return list(session.scalars(select(model).where(model.event_id == event_id).order_by(model.id)))


def _post_dict(p: EventPost, units: dict[int, Resource], names: dict[int, str]) -> dict[str, Any]:
    u = units.get(p.resource_id or 0)
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "shift": p.shift,
        "lon": p.lon,
        "lat": p.lat,
        "radius_m": p.radius_m,
        "detour": None if p.detour is None else json.loads(p.detour),
        "officers_needed": p.officers_needed,
        "resource_id": p.resource_id,
        "unit": None if u is None else u.name_zh,
        "officer_id": p.officer_id,
        "officer": names.get(p.officer_id or 0),
        "staffed_at": p.staffed_at,
    }


def _log_dicts(session: Session, event_id: int) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "at": r.at, "kind": r.kind, "text": r.text, "author": r.author}
        for r in session.scalars(
            select(EventLogEntry)
            .where(EventLogEntry.event_id == event_id)
            .order_by(EventLogEntry.at.desc(), EventLogEntry.id.desc())
        )
    ]


def event_read(session: Session, *, principal: Principal, event: Event) -> EventRead:
    """The event with its whole plan."""
    posts = _rows(session, EventPost, event.id)
    uids = {p.resource_id for p in posts if p.resource_id}
    units = {u.id: u for u in session.scalars(select(Resource).where(Resource.id.in_(uids)))}
    oids = {p.officer_id for p in posts if p.officer_id}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(oids))).all())  # type: ignore[arg-type]
    return EventRead(
        **summary(event).model_dump(),
        venue=json.loads(event.venue),
        venue_lon=event.venue_lon,
        venue_lat=event.venue_lat,
        notes=event.notes,
        zones=[
            {"id": z.id, "name": z.name, "kind": z.kind, "geometry": json.loads(z.geometry)}
            for z in _rows(session, EventZone, event.id)
        ],
        posts=[_post_dict(p, units, names) for p in posts],
        checks=[
            {
                "id": c.id,
                "kind": c.kind,
                "text": c.text,
                "lon": c.lon,
                "lat": c.lat,
                "due_at": c.due_at,
                "done_at": c.done_at,
                "done_by": c.done_by,
                "note": c.note,
            }
            for c in _rows(session, EventCheck, event.id)
        ],
        log=_log_dicts(session, event.id),
    )


# --- writes ------------------------------------------------------------------------------


def _station_of(session: Session, lon: float, lat: float) -> Jurisdiction:
    for st in session.scalars(
        select(Jurisdiction).where(
            Jurisdiction.level == "station",
            Jurisdiction.min_lon <= lon,
            Jurisdiction.max_lon >= lon,
            Jurisdiction.min_lat <= lat,
            Jurisdiction.max_lat >= lat,
        )
    ):
        if st.geometry and shapely.contains_xy(shapely.from_geojson(st.geometry), lon, lat):
            return st
    raise Invalid("venue", "lies in no station's area")


def create(
    session: Session, *, principal: Principal, data: EventCreate, data_dir: Path | None
) -> Event:
    """Create the event and draw up its plan (zones, posts and detours, checks, the type's
    checklist); audited. The venue's station must be in the caller's scope."""
    if session.scalar(select(Event.id).where(Event.code == data.code)) is not None:
        raise Conflict(f"an event with code {data.code!r} exists", field="code")
    if data.key_area_id is not None:
        ka = session.get(KeyArea, data.key_area_id)
        if ka is None or not principal.can_see(ka.jpath):
            raise Invalid("key_area_id", f"no key area {data.key_area_id} in your scope")
        venue = shapely.from_geojson(ka.geometry)
    else:
        try:
            venue = shapely.geometry.shape(data.venue)
        except Exception as exc:
            raise Invalid("venue", f"not a GeoJSON polygon ({exc})") from None
        if venue.geom_type != "Polygon" or not venue.is_valid or venue.area == 0:
            raise Invalid("venue", "must be one valid, non-empty GeoJSON Polygon")
    c = venue.centroid
    st = _station_of(session, float(c.x), float(c.y))
    if not principal.can_see(st.path):
        raise Invalid("venue", "lies outside your jurisdiction")
    e = Event(
        code=data.code,
        name=data.name,
        kind=data.kind,
        station_id=st.id,
        jpath=st.path,
        venue=shapely.to_geojson(venue),
        venue_lon=round(float(c.x), 6),
        venue_lat=round(float(c.y), 6),
        expected_crowd=data.expected_crowd,
        arrival_at=data.arrival_at,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        dispersal_until=data.dispersal_until,
        notes=data.notes,
        created_by=principal.username,
    )
    session.add(e)
    session.flush()
    session.add_all(planner.build_zones(e))
    posts, note = planner.build_posts(session, e, data_dir=data_dir)
    session.add_all(posts)
    session.add_all(planner.build_checks(session, e))
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="event.create",
        entity="event",
        entity_id=e.id,
        jpath=e.jpath,
        detail={"code": e.code, "kind": e.kind, "posts": len(posts), "note": note},
    )
    return e


def update_post(
    session: Session, *, principal: Principal, post_id: int, resource_id: int | None,
    officer_id: int | None, staffed: bool | None,
) -> EventPost:  # fmt: skip
    """Assign a unit or officer to a post, or report it staffed (or not); audited."""
    p = session.get(EventPost, post_id)
    e = None if p is None else session.get(Event, p.event_id)
    if p is None or e is None or not principal.can_see(e.jpath):
        raise NotFound(f"event post {post_id} does not exist or is outside your jurisdiction")
    changes: dict[str, Any] = {}
    if resource_id is not None:
        u = session.get(Resource, resource_id)
        if u is None or not principal.can_see(u.jpath):
            raise Invalid("resource_id", f"no unit {resource_id} in your scope")
        p.resource_id = changes["resource_id"] = resource_id
    if officer_id is not None:
        if session.get(User, officer_id) is None:
            raise Invalid("officer_id", f"no user {officer_id}")
        p.officer_id = changes["officer_id"] = officer_id
    if staffed is not None:
        p.staffed_at = _now() if staffed else None
        changes["staffed"] = staffed
    if not changes:
        raise Invalid("body", "nothing to change: give resource_id, officer_id or staffed")
    record(
        session,
        actor=principal.actor,
        action="event.post.update",
        entity="event_post",
        entity_id=p.id,
        jpath=e.jpath,
        detail=changes,
    )
    return p


def check_done(session: Session, *, principal: Principal, check_id: int, note: str) -> EventCheck:
    """Mark a check or checklist item done; audited."""
    c = session.get(EventCheck, check_id)
    e = None if c is None else session.get(Event, c.event_id)
    if c is None or e is None or not principal.can_see(e.jpath):
        raise NotFound(f"event check {check_id} does not exist or is outside your jurisdiction")
    if c.done_at is not None:
        raise Conflict(f"check {check_id} was done at {c.done_at.isoformat()}")
    c.done_at, c.done_by, c.note = _now(), principal.username, note
    record(
        session,
        actor=principal.actor,
        action="event.check.done",
        entity="event_check",
        entity_id=c.id,
        jpath=e.jpath,
    )
    return c


def add_log(
    session: Session, *, principal: Principal, event: Event, kind: str, text: str
) -> EventLogEntry:
    """Append a note or instruction to the event log; audited."""
    row = EventLogEntry(
        event_id=event.id, at=_now(), kind=kind, text=text, author=principal.username
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="event.log",
        entity="event",
        entity_id=event.id,
        jpath=event.jpath,
        detail={"kind": kind},
    )
    return row


# --- the live board ----------------------------------------------------------------------


def _zones(session: Session, event: Event) -> list[tuple[str, str, shapely.Geometry]]:
    """(name, kind, shape), smallest first (venue, perimeter, control)."""
    order = {"venue": 0, "perimeter": 1, "control": 2}
    zs = _rows(session, EventZone, event.id)
    zs.sort(key=lambda z: order.get(z.kind, 3))
    return [(z.name, z.kind, shapely.from_geojson(z.geometry)) for z in zs]


def _incidents(
    session: Session, event: Event, since: dt.datetime, until: dt.datetime
) -> list[dict[str, Any]]:
    zones = _zones(session, event)
    if not zones:
        return []
    w, s_, e_, n = zones[-1][2].bounds
    rows = session.execute(
        select(Incident)
        .where(
            Incident.reported_at >= since,
            Incident.reported_at < until,
            Incident.lon.between(w, e_),
            Incident.lat.between(s_, n),
            Incident.repeat_of_id.is_(None),
        )
        .order_by(Incident.reported_at)
    ).scalars()
    out = []
    for i in rows:
        zone = next((z for z in zones if shapely.contains_xy(z[2], i.lon, i.lat)), None)
        if zone is None:
            continue
        resp = None
        if i.on_scene_at is not None:
            resp = (i.on_scene_at - i.reported_at).total_seconds()
        out.append(
            {
                "id": i.id,
                "code": i.code,
                "subtype": i.subtype,
                "klass": i.klass,
                "state": i.state,
                "lon": i.lon,
                "lat": i.lat,
                "reported_at": i.reported_at,
                "zone": zone[0],
                "zone_kind": zone[1],
                "response_s": resp,
            }
        )
    return out


def _coverage(
    session: Session, event: Event, units: list[Resource], data_dir: Path | None
) -> tuple[list[dict[str, Any]], str]:
    """Share of the road nodes inside the perimeter reached in 1, 3, 5 minutes by the units on
    duty (their last positions; foot teams on foot, the others by car)."""
    if data_dir is None:
        return [], "no data directory"
    try:
        from pingan.rapid_response.data import load_network

        net = load_network(data_dir)
    except Exception:
        return [], "no road network: build it with pingan demo or pingan roads import"
    from pingan.coverage import snap_to_mode, travel_times

    zones = {k: g for _, k, g in _zones(session, event)}
    perim = zones.get("perimeter")
    if perim is None:
        return [], "no perimeter"
    w, s_, e_, n = perim.bounds
    box = (net.node_lon >= w) & (net.node_lon <= e_) & (net.node_lat >= s_) & (net.node_lat <= n)
    cand = np.flatnonzero(box)
    inside = cand[shapely.contains_xy(perim, net.node_lon[cand], net.node_lat[cand])]
    duty = [u for u in units if u.lon is not None and u.status != "off_duty"]
    if inside.size == 0 or not duty:
        return [
            {"standard_s": s, "share": 0.0} for s in STANDARDS_S
        ], "no unit on duty with a position"
    best = np.full(inside.size, np.inf)
    for mode in ("car", "foot"):
        mine = [u for u in duty if (u.kind == "foot_team") == (mode == "foot")]
        if not mine:
            continue
        nodes, walk = snap_to_mode(net, [u.lon for u in mine], [u.lat for u in mine], mode=mode)
        src = np.column_stack([nodes, walk])
        t = travel_times(net, src, mode=mode, limit_s=float(max(STANDARDS_S)))
        best = np.minimum(best, t[inside])
    cov = [{"standard_s": s, "share": round(float((best <= s).mean()), 4)} for s in STANDARDS_S]
    return cov, (
        f"{inside.size} road nodes inside the perimeter; travel times from the last positions "
        f"of {len(duty)} units on duty (foot teams on foot, others by car)"
    )


def board(
    session: Session,
    *,
    principal: Principal,
    event: Event,
    data_dir: Path | None,
    at: dt.datetime | None = None,
) -> BoardRead:
    """The live board at ``at`` (default now; a past event is shown at its end)."""
    now = at or _now()
    if phase(event, now) == "past":
        now = event.dispersal_until
    since = event.arrival_at - dt.timedelta(hours=1)
    incidents = _incidents(session, event, since, now) if now > since else []
    posts = _rows(session, EventPost, event.id)
    shift = shift_at(event, now)
    current = [p for p in posts if shift is None or p.shift == shift]
    uids = {p.resource_id for p in posts if p.resource_id}
    units = list(session.scalars(select(Resource).where(Resource.id.in_(uids))))
    by_id = {u.id: u for u in units}
    staffed = 0
    for p in current:
        u = by_id.get(p.resource_id or 0)
        near = False
        if u is not None and u.lon is not None and u.position_at is not None:
            proj = planner.venue_projection(event)
            x, y = proj.forward(np.array([u.lon, p.lon]), np.array([u.lat, p.lat]))
            recent = abs((now - u.position_at).total_seconds()) <= 1800
            near = recent and float(np.hypot(x[0] - x[1], y[0] - y[1])) <= STAFFED_M
        if p.staffed_at is not None or near:
            staffed += 1
    cov, how = _coverage(session, event, units, data_dir)
    return BoardRead(
        event_id=event.id,
        at=now,
        phase=phase(event),
        shift=shift,
        incidents=incidents[-200:],
        incidents_by_zone=dict(Counter(i["zone"] for i in incidents)),
        units=[
            {
                "id": u.id,
                "name": u.name_zh,
                "kind": u.kind,
                "status": u.status,
                "lon": u.lon,
                "lat": u.lat,
                "position_at": u.position_at,
            }
            for u in units
        ],
        posts_total=len(current),
        posts_staffed=staffed,
        coverage=cov,
        log=_log_dicts(session, event.id)[:50],
        how=how,
    )


LIVE_SPAN = dt.timedelta(days=14)
"""An event lasts at most this long from arrival to dispersal (:class:`EventCreate`)."""


def live_post_states(
    session: Session, *, principal: Principal, now: dt.datetime | None = None
) -> dict[int, dict[str, Any]]:
    """The staffing of every post of the events under way in the caller's scope, by post id:
    ``id``, ``event_id``, ``shift``, ``resource_id``, ``officer_id``, ``staffed_at``. The live
    stream compares it between its polls and sends ``event: post`` for every post whose
    staffing changed, so the live board redraws at once. One query: the events under way are
    found on the ``arrival_at`` index (arrival within the last 14 days), their posts on
    ``event_id``; O(posts of the events under way)."""
    now = now or _now()
    rows = session.execute(
        select(
            EventPost.id,
            EventPost.event_id,
            EventPost.shift,
            EventPost.resource_id,
            EventPost.officer_id,
            EventPost.staffed_at,
        )
        .join(Event, Event.id == EventPost.event_id)
        .where(
            Event.arrival_at <= now,
            Event.arrival_at >= now - LIVE_SPAN,
            Event.dispersal_until >= now,
            scope_clause(principal, Event.jpath),
        )
        .order_by(EventPost.id)
    ).all()
    return {
        r.id: {
            "id": r.id,
            "event_id": r.event_id,
            "shift": r.shift,
            "resource_id": r.resource_id,
            "officer_id": r.officer_id,
            "staffed_at": None if r.staffed_at is None else r.staffed_at.isoformat(),
        }
        for r in rows
    }


# --- the after-action report --------------------------------------------------------------


def report(session: Session, *, principal: Principal, event: Event) -> ReportRead:
    """Incidents by zone and hour, response times, staffing against plan, what went wrong."""
    zone_tz = ZoneInfo(get_settings().timezone)
    since = event.arrival_at - dt.timedelta(hours=1)
    until = min(event.dispersal_until, _now())
    inc = _incidents(session, event, since, until) if until > since else []
    hours = []
    h = since.astimezone(zone_tz).replace(minute=0, second=0, microsecond=0)
    while h < event.dispersal_until.astimezone(zone_tz):
        hours.append(h.strftime("%H:00"))
        h += dt.timedelta(hours=1)
    names = [z[0] for z in _zones(session, event)]
    grid = {(z, hh): 0 for z in names for hh in hours}
    for i in inc:
        key = (i["zone"], i["reported_at"].astimezone(zone_tz).strftime("%H:00"))
        if key in grid:
            grid[key] += 1
    resp = np.array([i["response_s"] for i in inc if i["response_s"] is not None], dtype=float)
    posts = _rows(session, EventPost, event.id)
    staffing = []
    for shift in ("arrival", "event", "dispersal"):
        ps = [p for p in posts if p.shift == shift]
        staffing.append(
            {
                "shift": shift,
                "posts": len(ps),
                "assigned": sum(1 for p in ps if p.resource_id or p.officer_id),
                "staffed": sum(1 for p in ps if p.staffed_at is not None),
                "officers_needed": sum(p.officers_needed for p in ps),
            }
        )
    checks = _rows(session, EventCheck, event.id)
    issues, issues_zh = [], []
    shift_zh = {"arrival": "入场", "event": "活动中", "dispersal": "散场"}
    for st in staffing:
        if st["staffed"] < st["posts"]:
            gap = st["posts"] - st["staffed"]
            issues.append(f"{st['shift']}: {gap} of {st['posts']} posts not staffed")
            issues_zh.append(f"{shift_zh[st['shift']]}班次：{st['posts']} 个岗位中 {gap} 个未到岗")
    slow = int((resp > 300).sum()) if resp.size else 0
    if slow:
        issues.append(f"{slow} incidents reached in more than 5 minutes")
        issues_zh.append(f"{slow} 起警情到场超过5分钟")
    undone = [c for c in checks if c.done_at is None]
    if undone:
        issues.append(f"{len(undone)} checks not done before the event")
        issues_zh.append(f"{len(undone)} 项事前检查未完成")
    return ReportRead(
        event_id=event.id,
        by_zone_hour=[{"zone": z, "counts": [grid[(z, hh)] for hh in hours]} for z in names],
        hours=hours,
        incidents=len(inc),
        response={
            "n": int(resp.size),
            "median_s": None if not resp.size else round(float(np.median(resp)), 1),
            "p90_s": None if not resp.size else round(float(np.percentile(resp, 90)), 1),
            "over_300_s": slow,
        },
        staffing=staffing,
        checks_done=len(checks) - len(undone),
        checks_total=len(checks),
        log_entries=len(_log_dicts(session, event.id)),
        issues=issues,
        issues_zh=issues_zh,
    )
