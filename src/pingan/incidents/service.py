"""Incidents: create (with CRS conversion, area assignment, repeat-call linking), transitions,
reads in the caller's scope, and the timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from sqlalchemy import Select, Table, and_, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from pingan.audit.service import record
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, NotFound, PermissionDenied
from pingan.geo.crs import haversine_m, to_wgs84
from pingan.incidents.models import IdempotencyKey, Incident, IncidentEvent
from pingan.incidents.schemas import IncidentCreate
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.service import assign_points
from pingan.store.base import count_rows, utcnow
from pingan.workflow import StateMachine

__all__ = [
    "LIFECYCLE",
    "PreparedIncident",
    "count",
    "create",
    "find_repeat_of",
    "get_or_raise",
    "list_query",
    "prepare_create",
    "request_hash",
    "reveal_caller",
    "timeline",
    "transition",
    "write_create",
]

LIFECYCLE = StateMachine(
    name="incident",
    initial="received",
    transitions={
        "received": ("dispatched", "resolved", "cancelled", "duplicate", "transferred"),
        "dispatched": ("en_route", "on_scene", "cancelled", "transferred"),
        "en_route": ("on_scene", "cancelled", "transferred"),
        "on_scene": ("resolved", "transferred"),
        "resolved": ("closed",),
        "closed": (),
        "cancelled": (),
        "duplicate": (),
        "transferred": (),
    },
)
_STAMP = {
    "dispatched": "dispatched_at",
    "en_route": "en_route_at",
    "on_scene": "on_scene_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}


def request_hash(body: IncidentCreate) -> str:
    """A stable hash of a create request, for idempotency checks."""
    canon = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


_T_INC = cast(Table, Incident.__table__)
_T_EVENT = cast(Table, IncidentEvent.__table__)
_T_IDEM = cast(Table, IdempotencyKey.__table__)
# statements built once: each request binds values only (no statement building or cache keys)
_REPEAT_CANDIDATES = select(_T_INC.c.id, _T_INC.c.reported_at, _T_INC.c.lon, _T_INC.c.lat).where(
    _T_INC.c.subtype == bindparam("subtype"),
    _T_INC.c.reported_at.between(bindparam("t0"), bindparam("t1")),
    _T_INC.c.lat.between(bindparam("lat0"), bindparam("lat1")),
    _T_INC.c.lon.between(bindparam("lon0"), bindparam("lon1")),
    _T_INC.c.repeat_of_id.is_(None),
    _T_INC.c.state.not_in(("cancelled", "duplicate")),
)
_INSERT_INCIDENT = insert(_T_INC).returning(_T_INC.c.id)
_INSERT_EVENT = insert(_T_EVENT)
_INSERT_IDEM = insert(_T_IDEM)
_COUNT_REPEAT = (
    update(_T_INC)
    .where(_T_INC.c.id == bindparam("original_id"))
    .values(repeat_count=_T_INC.c.repeat_count + 1, updated_at=bindparam("now"))
)


def find_repeat_of(
    session: Session, *, subtype: str, lon: float, lat: float, at: dt.datetime
) -> int | None:
    """The id of the original incident a new call repeats: same subtype, within the repeat
    radius (150 m) and window (10 minutes), itself not a repeat; the nearest in time wins.

    One indexed range read of the window's index entries, O(k) in the k candidates."""
    s = get_settings()
    window = dt.timedelta(seconds=s.repeat_call_window_s)
    dlat = s.repeat_call_radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    # the candidates come from the index entries (id, time, position) of the ±window
    rows = (
        session.connection()
        .execute(
            _REPEAT_CANDIDATES,
            {
                "subtype": subtype,
                "t0": at - window,
                "t1": at + window,
                "lat0": lat - dlat,
                "lat1": lat + dlat,
                "lon0": lon - dlon,
                "lon1": lon + dlon,
            },
        )
        .all()
    )
    if not rows:
        return None
    d = haversine_m(lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    ok = [
        (abs((r.reported_at - at).total_seconds()), r.id)
        for r, m in zip(rows, d, strict=True)
        if m <= s.repeat_call_radius_m
    ]
    return int(min(ok)[1]) if ok else None


def _new_code(at: dt.datetime) -> str:
    return f"JQ{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


@dataclass
class PreparedIncident:
    """A checked creation request, ready to write (:func:`prepare_create`)."""

    idempotency_key: str | None
    digest: str | None
    values: dict[str, Any]
    incident: Incident


def create(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    idempotency_key: str | None = None,
) -> tuple[Incident, bool]:
    """Create an incident; returns ``(incident, created)``.

    With an ``idempotency_key`` a repeated request with the same body returns the first
    incident (``created`` False); the same key with a different body is a ``Conflict``.
    It is :func:`prepare_create` then :func:`write_create`; the API runs the two through the
    group writer (:mod:`pingan.store.group`), which shares one commit among concurrent calls.
    """
    prepared = prepare_create(
        session, principal=principal, data=data, idempotency_key=idempotency_key
    )
    return write_create(session, principal=principal, prepared=prepared)


def prepare_create(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    idempotency_key: str | None = None,
) -> PreparedIncident:
    """Check a creation request and compute its row without writing: the taxonomy, the CRS
    conversion, the cell/community/station, the caller's scope and the time. O(log cells)."""
    digest = None
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("Idempotency-Key", "must be 1-200 characters")
        digest = request_hash(data)
    sub = get_taxonomy().subtype(data.subtype)
    try:
        lon_a, lat_a = to_wgs84([data.lon], [data.lat], data.crs)
    except ValueError as exc:
        raise Invalid("lon", str(exc)) from None
    lon, lat = float(lon_a[0]), float(lat_a[0])
    assigned = assign_points(session, [lon], [lat])
    jid = int(assigned.jurisdiction_id[0])
    if jid < 0:
        raise Invalid(
            "lon",
            f"point ({data.lon}, {data.lat}) {data.crs} is outside every jurisdiction "
            "of this bureau",
        )
    jpath = str(assigned.jpath[0])
    if not principal.can_see(jpath):
        raise PermissionDenied("the incident location is outside your jurisdiction", field="lon")
    now = utcnow()
    at = data.reported_at or now
    if at.tzinfo is None:
        raise Invalid("reported_at", "must include a timezone, e.g. 2026-11-22T08:00:00+08:00")
    if at > now + dt.timedelta(minutes=5):
        raise Invalid("reported_at", "is in the future")
    values: dict[str, Any] = {
        "code": _new_code(at),
        "subtype": sub.code,
        "klass": sub.klass,
        "priority": data.priority or sub.priority,
        "source": data.source,
        "state": LIFECYCLE.initial,
        "summary": data.summary,
        "address_text": data.address_text,
        "lon": lon,
        "lat": lat,
        "input_crs": data.crs,
        "input_lon": data.lon,
        "input_lat": data.lat,
        "jurisdiction_id": jid,
        "jpath": jpath,
        "reported_at": at,
        "dispatched_at": None,
        "en_route_at": None,
        "on_scene_at": None,
        "resolved_at": None,
        "closed_at": None,
        "repeat_of_id": None,
        "repeat_count": 0,
        "caller_name": data.caller_name,
        "caller_phone": data.caller_phone,
        "dataset": None,
        "external_id": None,
        "created_by_id": principal.user_id,
        "created_at": now,
        "updated_at": now,
    }
    # the object is built here, before any statement: on SQLite everything from the first
    # statement to the commit runs under the database write lock, paid by every writer
    return PreparedIncident(idempotency_key, digest, values, Incident(**values))


def write_create(
    session: Session, *, principal: Principal, prepared: PreparedIncident
) -> tuple[Incident, bool]:
    """Write a prepared creation: replay it if its idempotency key was seen, else link it to
    the call it repeats and insert the incident, its timeline, the repeat link and the audit
    record. Four statements on a warm cache (the repeat-call search, the incident, its event,
    the audit record; a repeat call adds the original's count and event), built once and run
    with SQLAlchemy Core; the incident is attached to the session without being read back."""
    key, digest = prepared.idempotency_key, prepared.digest
    if key is not None:
        seen = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == principal.user_id, IdempotencyKey.key == key
            )
        )
        if seen is not None:
            if seen.request_hash != digest:
                raise Conflict(
                    "Idempotency-Key was already used with a different request body",
                    field="Idempotency-Key",
                )
            return get_or_raise(session, principal=principal, incident_id=seen.incident_id), False
    values = dict(prepared.values)  # a retry (see pingan.store.group) starts from the same row
    inc = prepared.incident
    if not inspect(inc).transient:  # attached by an attempt that was rolled back
        inc = Incident(**prepared.values)
    now = values["created_at"]
    original_id = find_repeat_of(
        session,
        subtype=values["subtype"],
        lon=values["lon"],
        lat=values["lat"],
        at=values["reported_at"],
    )
    state = "duplicate" if original_id is not None else LIFECYCLE.initial
    values["state"] = inc.state = state
    values["repeat_of_id"] = inc.repeat_of_id = original_id
    # Core statements on the session's connection: no ORM layer per statement
    conn = session.connection()
    new_id = int(conn.execute(_INSERT_INCIDENT, values).scalar_one())
    events = [_event(new_id, now, "received", values["state"], principal.user_id, "", "{}")]
    if original_id is not None:
        conn.execute(_COUNT_REPEAT, {"original_id": original_id, "now": now})
        events.append(
            _event(
                original_id,
                now,
                "repeat_call",
                None,
                principal.user_id,
                f"repeat call {values['code']} linked",
                json.dumps({"incident_id": new_id}),
            )
        )
        stale = session.identity_map.get(identity_key(Incident, original_id))
        if stale is not None:
            session.expire(stale, ["repeat_count", "updated_at"])
    conn.execute(_INSERT_EVENT, events)
    if key is not None:
        conn.execute(
            _INSERT_IDEM,
            {
                "user_id": principal.user_id,
                "key": key,
                "request_hash": digest,
                "incident_id": new_id,
                "created_at": now,
            },
        )
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="incident",
        entity_id=new_id,
        jpath=values["jpath"],
        detail={"code": values["code"], "subtype": values["subtype"], "repeat_of": original_id},
    )
    # the row as written, attached to the session without reading it back
    inc.id = new_id
    make_transient_to_detached(inc)
    session.add(inc)
    return inc, True


def _event(
    incident_id: int,
    at: dt.datetime,
    kind: str,
    to_state: str | None,
    actor_id: int | None,
    note: str,
    data: str,
) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "at": at,
        "kind": kind,
        "from_state": None,
        "to_state": to_state,
        "actor_id": actor_id,
        "note": note,
        "data": data,
    }


def get_or_raise(session: Session, *, principal: Principal, incident_id: int) -> Incident:
    """The incident if it exists and is inside the caller's scope, else ``NotFound``."""
    inc = session.get(Incident, incident_id)
    if inc is None or not principal.can_see(inc.jpath):
        raise NotFound(f"incident {incident_id} does not exist or is outside your jurisdiction")
    return inc


def transition(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    to_state: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    """Move an incident along its lifecycle; illegal steps raise ``StateTransition`` (409)."""
    inc = get_or_raise(session, principal=principal, incident_id=incident_id)
    LIFECYCLE.check(inc.state, to_state)
    when = at or utcnow()
    if when < inc.reported_at:
        raise Invalid("at", "is before the incident was reported")
    previous = inc.state
    inc.state = to_state
    stamp = _STAMP.get(to_state)
    if stamp is not None:
        setattr(inc, stamp, when)
    session.add(
        IncidentEvent(
            incident_id=inc.id,
            at=when,
            kind="transition",
            from_state=previous,
            to_state=to_state,
            actor_id=principal.user_id,
            note=note,
        )
    )
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="incident",
        entity_id=inc.id,
        jpath=inc.jpath,
        detail={"from": previous, "to": to_state},
    )
    return inc


def list_query(
    principal: Principal,
    *,
    state: str | None = None,
    subtype: str | None = None,
    klass: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    include_repeats: bool = True,
) -> Select[Any]:
    """A scoped, filtered query of incidents, newest first (the caller pages it)."""
    conds: list[Any] = [scope_clause(principal, Incident.jpath)]
    if state:
        conds.append(Incident.state == state)
    if subtype:
        conds.append(Incident.subtype == subtype)
    if klass:
        conds.append(Incident.klass == klass)
    if since:
        conds.append(Incident.reported_at >= since)
    if until:
        conds.append(Incident.reported_at <= until)
    if bbox:
        conds += [Incident.lon.between(bbox[0], bbox[2]), Incident.lat.between(bbox[1], bbox[3])]
    if not include_repeats:
        conds.append(Incident.repeat_of_id.is_(None))
    return (
        select(Incident)
        .where(and_(*conds))
        .order_by(Incident.reported_at.desc(), Incident.id.desc())
    )


count = count_rows
"""Number of rows a list query matches (:func:`pingan.store.base.count_rows`)."""


def timeline(session: Session, *, principal: Principal, incident_id: int) -> list[IncidentEvent]:
    """Every event of an incident in time order."""
    get_or_raise(session, principal=principal, incident_id=incident_id)
    return list(
        session.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.at, IncidentEvent.id)
        )
    )


def reveal_caller(
    session: Session, *, principal: Principal, incident_id: int, reason: str
) -> dict[str, str | None]:
    """The unmasked caller contact of an incident; the view itself is audited with its reason."""
    if not reason.strip():
        raise Invalid("reason", "say why you need the caller's contact data")
    inc = get_or_raise(session, principal=principal, incident_id=incident_id)
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="incident",
        entity_id=inc.id,
        jpath=inc.jpath,
        detail={"fields": ["caller_name", "caller_phone"], "reason": reason},
    )
    return {"caller_name": inc.caller_name, "caller_phone": inc.caller_phone}
