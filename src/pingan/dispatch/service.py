"""Assignments: send a unit (an atomic conditional UPDATE of its status, so two dispatchers
never send the same unit), move it along its states, the unit's status and the incident's
state following; notes on the incident's timeline.

A unit's status follows its assignment::

    assignment  dispatched → en_route → on_scene → cleared      (or cancelled before on_scene)
    unit        dispatched   en_route   on_scene   available

and the incident follows its most advanced unit, forward only (received → dispatched →
en_route → on_scene), through :func:`pingan.incidents.service.transition`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.cameras.models import Camera
from pingan.dispatch.models import ACTIVE_STATES, Assignment, MoveUp
from pingan.dispatch.schemas import AssignmentRead
from pingan.disputes.models import Dispute
from pingan.errors import Conflict, Invalid, NotFound
from pingan.geo.bbox import around
from pingan.geo.crs import haversine_m
from pingan.incidents import service as incidents
from pingan.incidents.models import Incident, IncidentEvent
from pingan.places.models import Premises
from pingan.resources import service as resources
from pingan.resources.models import Resource
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "ASSIGNMENT",
    "MOVEUP",
    "OPEN_INCIDENT_STATES",
    "SHIFT_HOURS",
    "active_moveups",
    "add_note",
    "context",
    "create",
    "disputes_near",
    "get_or_raise",
    "list_for_incident",
    "mine",
    "moveup_create",
    "moveup_transition",
    "nearby",
    "to_read",
    "transition",
    "unit_json",
]

ASSIGNMENT = StateMachine(
    name="assignment",
    initial="dispatched",
    transitions={
        "dispatched": ("en_route", "on_scene", "cancelled"),
        "en_route": ("on_scene", "cancelled"),
        "on_scene": ("cleared",),
        "cleared": (),
        "cancelled": (),
    },
    stamps={
        "en_route": "en_route_at",
        "on_scene": "on_scene_at",
        "cleared": "cleared_at",
        "cancelled": "cancelled_at",
    },
)
UNIT_STATUS = {
    "dispatched": "dispatched",
    "en_route": "en_route",
    "on_scene": "on_scene",
    "cleared": "available",
    "cancelled": "available",
}
"""The unit's status in each state of its assignment."""
OPEN_INCIDENT_STATES: tuple[str, ...] = ("received", "dispatched", "en_route", "on_scene")
"""Incidents a unit may be sent to."""
_INCIDENT_RANK = {"received": 0, "dispatched": 1, "en_route": 2, "on_scene": 3}


def _unit_label(r: Resource) -> str:
    return f"{r.code} {r.name_zh}" if r.name_zh and r.name_zh != r.code else r.code


def unit_notes(session: Session, events: Sequence[Any], *, lang: str) -> dict[int, str]:
    """The notes of the ``assignment`` entries among ``events`` with each unit named in
    ``lang`` (they are stored with its Chinese name, :func:`_unit_label`): event id → note, for
    the English page. O(events) and one read of the units named."""
    if lang != "en":
        return {}
    wanted: dict[int, int] = {}
    for e in events:
        if e.kind != "assignment":
            continue
        rid = json.loads(e.data or "{}").get("resource_id")
        if isinstance(rid, int):
            wanted[e.id] = rid
    if not wanted:
        return {}
    units = {
        r.id: r
        for r in session.scalars(select(Resource).where(Resource.id.in_(set(wanted.values()))))
    }
    out = {}
    for e in events:
        r = units.get(wanted.get(e.id, -1))
        if r is None or not r.name_en:
            continue
        zh = _unit_label(r)
        if e.note.startswith(zh):
            out[e.id] = f"{r.code} {r.name_en}" + e.note[len(zh) :]
    return out


def _busy_message(session: Session, unit: Resource) -> Conflict:
    """The 409 of a unit that is not available, naming its current incident."""
    inc = session.get(Incident, unit.current_incident_id) if unit.current_incident_id else None
    if inc is not None:
        return Conflict(
            f"unit {unit.code} is {unit.status} on incident {inc.code}; clear or cancel that "
            "assignment first, or send another unit",
            field="resource_id",
            detail={"status": unit.status, "incident_id": inc.id, "incident_code": inc.code},
        )
    return Conflict(
        f"unit {unit.code} is {unit.status}, not available; make it available first, or send "
        "another unit",
        field="resource_id",
        detail={"status": unit.status, "incident_id": None, "incident_code": None},
    )


def _timeline(
    session: Session,
    *,
    inc: Incident,
    principal: Principal,
    at: dt.datetime,
    to_state: str,
    note: str,
    data: dict[str, Any],
) -> None:
    """An ``assignment`` entry on the incident's timeline."""
    Timeline(session, IncidentEvent, incident_id=inc.id)(
        kind="assignment",
        at=at,
        to_state=to_state,
        actor_id=principal.user_id,
        note=note,
        data=data,
    )


def _follow(
    session: Session, *, principal: Principal, inc: Incident, state: str, at: dt.datetime
) -> None:
    """Move the incident forward to ``state`` if its first unit got there first. The incident's
    row is locked and read again first (PostgreSQL), so two units moving at once move it once."""
    session.execute(select(Incident.id).where(Incident.id == inc.id).with_for_update())
    session.refresh(inc)
    target = _INCIDENT_RANK.get(state)
    current = _INCIDENT_RANK.get(inc.state)
    if target is None or current is None or target <= current:
        return
    if state not in incidents.LIFECYCLE.allowed(inc.state):
        return
    incidents.transition(
        session, principal=principal, incident_id=inc.id, to_state=state, at=at, note=""
    )


def create(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    resource_id: int,
    eta_s: float | None,
    note: str = "",
    route: dict[str, Any] | None = None,
) -> Assignment:
    """Send a unit to an incident. The unit is taken with one conditional UPDATE (``status =
    'available'`` in its WHERE), so of two dispatchers sending the same unit at once exactly one
    succeeds; the other gets ``Conflict`` naming the unit's current incident."""
    inc = incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    if inc.state not in OPEN_INCIDENT_STATES:
        raise Conflict(
            f"incident {inc.code} is {inc.state}; units can only be sent to open incidents "
            f"({', '.join(OPEN_INCIDENT_STATES)})",
            field="incident_id",
        )
    unit = resources.get_or_raise(session, principal=principal, resource_id=resource_id)
    if unit.kind == "drone_base":
        raise Conflict(
            f"unit {unit.code} is a drone base; send one of its drones", field="resource_id"
        )
    now = utcnow()
    taken = session.scalar(
        update(Resource)
        .where(Resource.id == unit.id, Resource.status == "available")
        .values(status="dispatched", current_incident_id=inc.id, updated_at=now)
        .returning(Resource.id)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        session.refresh(unit)
        raise _busy_message(session, unit)
    session.refresh(unit)
    a = Assignment(
        incident_id=inc.id,
        resource_id=unit.id,
        state="dispatched",
        jpath=inc.jpath,
        eta_s=None if eta_s is None else round(float(eta_s), 1),
        dispatched_at=now,
        dispatcher_id=principal.user_id,
        route=json.dumps(route) if route else None,
    )
    session.add(a)
    _end_moveup(session, unit_id=unit.id, at=now)
    session.flush()
    _timeline(
        session,
        inc=inc,
        principal=principal,
        at=now,
        to_state="dispatched",
        note=f"{_unit_label(unit)} · {principal.username}" + (f" · {note}" if note else ""),
        data={"assignment_id": a.id, "resource_id": unit.id, "resource_code": unit.code},
    )
    _follow(session, principal=principal, inc=inc, state="dispatched", at=now)
    inc.updated_at = now
    record(
        session,
        actor=principal.actor,
        action="dispatch",
        entity="assignment",
        entity_id=a.id,
        jpath=inc.jpath,
        detail={
            "incident_id": inc.id,
            "incident_code": inc.code,
            "resource_id": unit.id,
            "resource_code": unit.code,
            "eta_s": a.eta_s,
        },
    )
    return a


def get_or_raise(session: Session, *, principal: Principal, assignment_id: int) -> Assignment:
    """The assignment if its incident is inside the caller's scope, else ``NotFound``."""
    return get_scoped(session, Assignment, assignment_id, principal=principal, what="assignment")


def transition(
    session: Session, *, principal: Principal, assignment_id: int, to_state: str, note: str = ""
) -> Assignment:
    """Move an assignment (409 naming the allowed states); the unit's status and the
    incident's state follow."""
    a = get_or_raise(session, principal=principal, assignment_id=assignment_id)
    ASSIGNMENT.check(a.state, to_state)
    inc = incidents.get_or_raise(session, principal=principal, incident_id=a.incident_id)
    unit = session.get(Resource, a.resource_id)
    if unit is None:  # pragma: no cover - a foreign key holds it
        raise Conflict(f"assignment {a.id} has lost its unit", field="resource_id")
    now = utcnow()
    previous = ASSIGNMENT.apply(a, to_state, at=now, actor=principal.user_id)
    status = UNIT_STATUS[to_state]
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if to_state in ("cleared", "cancelled"):
        values["current_incident_id"] = None
    session.execute(
        update(Resource)
        .where(Resource.id == unit.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(unit)
    _timeline(
        session,
        inc=inc,
        principal=principal,
        at=now,
        to_state=to_state,
        note=f"{_unit_label(unit)} · {principal.username}" + (f" · {note}" if note else ""),
        data={"assignment_id": a.id, "resource_id": unit.id, "resource_code": unit.code},
    )
    if to_state in ACTIVE_STATES:
        _follow(session, principal=principal, inc=inc, state=to_state, at=now)
    inc.updated_at = now
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="assignment",
        entity_id=a.id,
        jpath=a.jpath,
        detail={
            "from": previous,
            "to": to_state,
            "incident_id": inc.id,
            "resource_id": unit.id,
            "resource_code": unit.code,
        },
    )
    return a


SHIFT_HOURS = 12.0
"""The dispatcher's shift as the queue's "mine" filter reads it: the last 12 hours."""


def mine(
    session: Session, *, principal: Principal, hours: float = SHIFT_HOURS, limit: int = 1000
) -> list[int]:
    """The incidents the caller took (created, reported within the last ``hours``) or sent a
    unit to (an assignment dispatched by them within the last ``hours``), in their scope,
    newest first, at most ``limit``: the queue's "mine" filter, kept across page loads.
    Two indexed reads (incidents by ``reported_at``, assignments by incident) and a merge."""
    since = utcnow() - dt.timedelta(hours=hours)
    scope = scope_clause(principal, Incident.jpath)
    taken = select(Incident.id, Incident.reported_at).where(
        scope, Incident.reported_at >= since, Incident.created_by_id == principal.user_id
    )
    sent = (
        select(Incident.id, Incident.reported_at)
        .join(Assignment, Assignment.incident_id == Incident.id)
        .where(
            scope,
            Assignment.dispatcher_id == principal.user_id,
            Assignment.dispatched_at >= since,
        )
    )
    rows = {int(r[0]): r[1] for r in session.execute(taken).all()}
    rows.update({int(r[0]): r[1] for r in session.execute(sent).all()})
    return sorted(rows, key=lambda i: (rows[i], i), reverse=True)[:limit]


def list_for_incident(session: Session, *, incident_id: int) -> list[Assignment]:
    """The incident's assignments, oldest first (the caller has checked the scope)."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.incident_id == incident_id)
            .order_by(Assignment.dispatched_at, Assignment.id)
        )
    )


def to_read(
    session: Session, rows: Sequence[Assignment], *, lang: str = "zh-CN"
) -> list[AssignmentRead]:
    """Assignments with their unit's code, name and kind and the dispatcher's user name."""
    if not rows:
        return []
    unit_ids = {a.resource_id for a in rows}
    user_ids = {a.dispatcher_id for a in rows if a.dispatcher_id is not None}
    units = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(unit_ids)))}
    users: dict[int, str] = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.username).where(User.id.in_(user_ids))
        )
    }
    out = []
    for a in rows:
        r = AssignmentRead.model_validate(a)
        unit = units.get(a.resource_id)
        if unit is not None:
            r.resource_code = unit.code
            r.resource_name = unit.name_en if lang == "en" else unit.name_zh
            r.resource_kind = unit.kind
        r.dispatcher = users.get(a.dispatcher_id) if a.dispatcher_id is not None else None
        r.allowed_transitions = ASSIGNMENT.allowed(a.state)
        out.append(r)
    return out


def add_note(
    session: Session, *, principal: Principal, incident_id: int, text: str
) -> IncidentEvent:
    """A note on the incident's timeline, by the caller (audited)."""
    if not text.strip():
        raise Invalid("text", "write the note's text")
    inc = incidents.get_or_raise(session, principal=principal, incident_id=incident_id)
    now = utcnow()
    ev = IncidentEvent(
        incident_id=inc.id,
        at=now,
        kind="note",
        from_state=None,
        to_state=None,
        actor_id=principal.user_id,
        note=text.strip(),
    )
    session.add(ev)
    inc.updated_at = now
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="note",
        entity="incident",
        entity_id=inc.id,
        jpath=inc.jpath,
        detail={"event_id": ev.id, "chars": len(ev.note)},
    )
    return ev


def unit_json(
    r: Resource, *, lang: str, incident_code: str | None, moveup: MoveUp | None = None
) -> dict[str, Any]:
    """A unit as the unit board and the live stream show it (with its active move-up)."""
    return {
        "id": r.id,
        "code": r.code,
        "name": r.name_en if lang == "en" else r.name_zh,
        "kind": r.kind,
        "status": r.status,
        "station_id": r.station_id,
        "current_incident_id": r.current_incident_id,
        "current_incident_code": incident_code,
        "lon": r.lon,
        "lat": r.lat,
        "position_at": r.position_at.isoformat() if r.position_at else None,
        "moveup": (
            None
            if moveup is None
            else {"id": moveup.id, "label": moveup.label, "lon": moveup.lon, "lat": moveup.lat}
        ),
    }


# ---------------------------------------------------------------------------- move-ups
MOVEUP = StateMachine(
    name="move-up",
    initial="sent",
    transitions={"sent": ("arrived", "cancelled"), "arrived": (), "cancelled": ()},
)


def active_moveups(session: Session, unit_ids: Sequence[int] | None = None) -> dict[int, MoveUp]:
    """The active (sent) move-up of each unit that has one, by unit id."""
    q = select(MoveUp).where(MoveUp.state == "sent")
    if unit_ids is not None:
        if not unit_ids:
            return {}
        q = q.where(MoveUp.resource_id.in_(list(unit_ids)))
    return {m.resource_id: m for m in session.scalars(q)}


def _end_moveup(session: Session, *, unit_id: int, at: dt.datetime) -> None:
    """Cancel the unit's active move-up (it was sent to a call, or moved up elsewhere)."""
    session.execute(
        update(MoveUp)
        .where(MoveUp.resource_id == unit_id, MoveUp.state == "sent")
        .values(state="cancelled", cancelled_at=at, updated_at=at)
        .execution_options(synchronize_session=False)
    )


def moveup_create(
    session: Session,
    *,
    principal: Principal,
    resource_id: int,
    lon: float,
    lat: float,
    label: str,
    gain: float | None = None,
    travel_s: float | None = None,
) -> MoveUp:
    """Send an available unit to stand at (``lon``, ``lat``) to restore coverage. The unit stays
    available for calls; a previous active move-up of it is cancelled. ``Conflict`` naming its
    incident when the unit is busy."""
    unit = resources.get_or_raise(session, principal=principal, resource_id=resource_id)
    if unit.kind == "drone_base":
        raise Conflict(f"unit {unit.code} is a drone base; it does not move", field="resource_id")
    now = utcnow()
    taken = session.scalar(
        update(Resource)
        .where(Resource.id == unit.id, Resource.status == "available")
        .values(updated_at=now)
        .returning(Resource.id)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        session.refresh(unit)
        raise _busy_message(session, unit)
    session.refresh(unit)
    _end_moveup(session, unit_id=unit.id, at=now)
    m = MoveUp(
        resource_id=unit.id,
        state="sent",
        jpath=unit.jpath,
        label=label.strip()[:200] or f"{lon:.5f}, {lat:.5f}",
        lon=lon,
        lat=lat,
        from_lon=unit.lon,
        from_lat=unit.lat,
        gain=gain,
        travel_s=travel_s,
        sent_at=now,
        dispatcher_id=principal.user_id,
    )
    session.add(m)
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="moveup",
        entity="resource",
        entity_id=unit.id,
        jpath=unit.jpath,
        detail={
            "moveup_id": m.id,
            "resource_code": unit.code,
            "to": [round(lon, 6), round(lat, 6)],
            "label": m.label,
            "gain": gain,
        },
    )
    return m


def moveup_transition(
    session: Session, *, principal: Principal, moveup_id: int, to_state: str
) -> MoveUp:
    """Mark a move-up arrived (the unit now stands there: its position is set) or cancelled
    (409 naming the allowed states)."""
    m = session.get(MoveUp, moveup_id)
    if m is None or not principal.can_see(m.jpath):
        raise NotFound(f"move-up {moveup_id} does not exist or is outside your jurisdiction")
    MOVEUP.check(m.state, to_state)
    now = utcnow()
    m.state = to_state
    values: dict[str, Any] = {"updated_at": now}
    if to_state == "arrived":
        m.arrived_at = now
        values |= {"lon": m.lon, "lat": m.lat, "position_at": now}
    else:
        m.cancelled_at = now
    session.execute(
        update(Resource)
        .where(Resource.id == m.resource_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor=principal.actor,
        action="moveup_" + to_state,
        entity="resource",
        entity_id=m.resource_id,
        jpath=m.jpath,
        detail={"moveup_id": m.id},
    )
    return m


REPEAT_RADIUS_M = 300.0
REPEAT_WINDOW = dt.timedelta(minutes=30)
HISTORY_RADIUS_M = 150.0
HISTORY_DAYS = 365


def _within(model: Any, lon: float, lat: float, radius_m: float) -> tuple[Any, Any]:
    """The conditions that keep ``model``'s rows in the box around a point (its lon/lat
    indexes); the exact distance is checked on the rows found."""
    w, s, e, n = around(lon, lat, radius_m)
    return model.lon.between(w, e), model.lat.between(s, n)


def nearby(
    session: Session,
    *,
    principal: Principal,
    lon: float,
    lat: float,
    subtype: str | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What intake shows before saving: open incidents of the same kind within 300 m and 30
    minutes (probable repeat calls), and the place's history (incidents within 150 m in the
    last year, the newest five listed; disputes and premises within 150 m). Scoped to the
    caller."""
    now = now or utcnow()
    box = (
        *_within(Incident, lon, lat, max(REPEAT_RADIUS_M, HISTORY_RADIUS_M)),
        scope_clause(principal, Incident.jpath),
    )
    repeats = []
    if subtype:
        rows = session.scalars(
            select(Incident)
            .where(
                *box,
                Incident.subtype == subtype,
                Incident.state.in_(OPEN_INCIDENT_STATES),
                Incident.reported_at >= now - REPEAT_WINDOW,
            )
            .order_by(Incident.reported_at.desc())
            .limit(20)
        ).all()
        for r in rows:
            d = float(haversine_m(lon, lat, r.lon, r.lat))
            if d <= REPEAT_RADIUS_M:
                repeats.append(_brief(r, d))
    hist = session.scalars(
        select(Incident)
        .where(*box, Incident.reported_at >= now - dt.timedelta(days=HISTORY_DAYS))
        .order_by(Incident.reported_at.desc())
        .limit(500)
    ).all()
    near = [
        (r, d)
        for r in hist
        if (d := float(haversine_m(lon, lat, r.lon, r.lat))) <= HISTORY_RADIUS_M
    ]
    return {
        "repeats": repeats,
        "disputes": disputes_near(session, principal=principal, lon=lon, lat=lat),
        "premises": premises_near(session, principal=principal, lon=lon, lat=lat),
        "history": {
            "radius_m": HISTORY_RADIUS_M,
            "days": HISTORY_DAYS,
            "count": len(near),
            "recent": [_brief(r, d) for r, d in near[:5]],
        },
        "how": (
            f"repeats: open incidents of the same subtype within {REPEAT_RADIUS_M:g} m reported "
            f"in the last {REPEAT_WINDOW.seconds // 60} minutes; history: incidents within "
            f"{HISTORY_RADIUS_M:g} m in the last {HISTORY_DAYS} days; disputes and premises "
            f"within {DISPUTE_RADIUS_M:g} m, nearest premises first"
        ),
    }


def _brief(r: Incident, distance_m: float) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "subtype": r.subtype,
        "state": r.state,
        "priority": r.priority,
        "reported_at": r.reported_at.isoformat(),
        "distance_m": round(distance_m),
        "address_text": r.address_text,
    }


DISPUTE_RADIUS_M = 150.0


def disputes_near(
    session: Session, *, principal: Principal, lon: float, lat: float, limit: int = 10
) -> list[dict[str, Any]]:
    """The place's dispute history: disputes registered within ``DISPUTE_RADIUS_M`` of the
    point (any state), newest first, with their distance. Scoped to the caller; parties are
    never listed."""
    rows = session.scalars(
        select(Dispute)
        .where(
            *_within(Dispute, lon, lat, DISPUTE_RADIUS_M),
            scope_clause(principal, Dispute.jpath),
        )
        .order_by(Dispute.registered_at.desc())
        .limit(200)
    ).all()
    out = []
    for d in rows:
        dist = float(haversine_m(lon, lat, d.lon, d.lat))
        if dist <= DISPUTE_RADIUS_M:
            out.append(
                {
                    "id": d.id,
                    "code": d.code,
                    "kind": d.kind,
                    "state": d.state,
                    "risk_level": d.risk_level,
                    "registered_at": d.registered_at.isoformat(),
                    "address_text": d.address_text,
                    "distance_m": round(dist),
                }
            )
    return out[:limit]


def premises_near(
    session: Session, *, principal: Principal, lon: float, lat: float, limit: int = 5
) -> list[dict[str, Any]]:
    """The premises at the place (schools, markets, bars, …) within ``DISPUTE_RADIUS_M`` of
    the point, nearest first, with their distance. Scoped to the caller; contacts are never
    listed."""
    rows = session.execute(
        select(Premises.id, Premises.code, Premises.kind, Premises.name, Premises.name_en)
        .add_columns(Premises.lon, Premises.lat)
        .where(
            *_within(Premises, lon, lat, DISPUTE_RADIUS_M),
            scope_clause(principal, Premises.jpath),
        )
        .limit(500)
    ).all()
    near = sorted(
        (
            (dist, r)
            for r in rows
            if (dist := float(haversine_m(lon, lat, r.lon, r.lat))) <= DISPUTE_RADIUS_M
        ),
        key=lambda x: (x[0], x[1].id),
    )
    return [
        {
            "id": r.id,
            "code": r.code,
            "kind": r.kind,
            "name": r.name,
            "name_en": r.name_en,
            "distance_m": round(dist),
        }
        for dist, r in near[:limit]
    ]


CAMERA_SEARCH_M = 1000.0


def context(session: Session, *, principal: Principal, inc: Incident) -> dict[str, Any]:
    """What the detail shows around an incident: its repeat calls, and the five nearest working
    cameras (within 1 km) with their distance. Scoped to the caller."""
    repeats = session.scalars(
        select(Incident)
        .where(Incident.repeat_of_id == inc.id, scope_clause(principal, Incident.jpath))
        .order_by(Incident.reported_at)
        .limit(50)
    ).all()
    cams = session.scalars(
        select(Camera).where(
            *_within(Camera, inc.lon, inc.lat, CAMERA_SEARCH_M),
            Camera.status == "online",
            scope_clause(principal, Camera.jpath),
        )
    ).all()
    near = sorted(
        ((c, float(haversine_m(inc.lon, inc.lat, c.lon, c.lat))) for c in cams),
        key=lambda x: x[1],
    )
    return {
        "disputes": disputes_near(session, principal=principal, lon=inc.lon, lat=inc.lat),
        "repeats": [_brief(r, float(haversine_m(inc.lon, inc.lat, r.lon, r.lat))) for r in repeats],
        "cameras": [
            {"id": c.id, "code": c.code, "distance_m": round(d), "lon": c.lon, "lat": c.lat}
            for c, d in near[:5]
            if d <= CAMERA_SEARCH_M
        ],
    }
