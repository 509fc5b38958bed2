"""Incidents: create (with CRS conversion, area assignment, repeat-call linking), transitions,
reads in the caller's scope, and the timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
from typing import Any

import numpy as np
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

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
    "count",
    "create",
    "find_repeat_of",
    "get_or_raise",
    "list_query",
    "request_hash",
    "reveal_caller",
    "timeline",
    "transition",
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


def find_repeat_of(
    session: Session, *, subtype: str, lon: float, lat: float, at: dt.datetime
) -> Incident | None:
    """The original incident a new call repeats: same subtype, within the repeat radius
    (150 m) and window (10 minutes), itself not a repeat; the nearest in time wins."""
    s = get_settings()
    window = dt.timedelta(seconds=s.repeat_call_window_s)
    dlat = s.repeat_call_radius_m / 111_000.0
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    rows = session.scalars(
        select(Incident).where(
            Incident.subtype == subtype,
            Incident.reported_at.between(at - window, at + window),
            Incident.lat.between(lat - dlat, lat + dlat),
            Incident.lon.between(lon - dlon, lon + dlon),
            Incident.repeat_of_id.is_(None),
            Incident.state.not_in(("cancelled", "duplicate")),
        )
    ).all()
    if not rows:
        return None
    d = haversine_m(lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    ok = [
        (abs((r.reported_at - at).total_seconds()), r.id, r)
        for r, m in zip(rows, d, strict=True)
        if m <= s.repeat_call_radius_m
    ]
    return min(ok)[2] if ok else None


def _new_code(at: dt.datetime) -> str:
    return f"JQ{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


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
    """
    digest = request_hash(data)
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("Idempotency-Key", "must be 1-200 characters")
        seen = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == principal.user_id, IdempotencyKey.key == idempotency_key
            )
        )
        if seen is not None:
            if seen.request_hash != digest:
                raise Conflict(
                    "Idempotency-Key was already used with a different request body",
                    field="Idempotency-Key",
                )
            return get_or_raise(session, principal=principal, incident_id=seen.incident_id), False
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
    at = data.reported_at or utcnow()
    if at.tzinfo is None:
        raise Invalid("reported_at", "must include a timezone, e.g. 2026-11-22T08:00:00+08:00")
    if at > utcnow() + dt.timedelta(minutes=5):
        raise Invalid("reported_at", "is in the future")
    original = find_repeat_of(session, subtype=sub.code, lon=lon, lat=lat, at=at)
    inc = Incident(
        code=_new_code(at),
        subtype=sub.code,
        klass=sub.klass,
        priority=data.priority or sub.priority,
        source=data.source,
        state="duplicate" if original is not None else LIFECYCLE.initial,
        summary=data.summary,
        address_text=data.address_text,
        lon=lon,
        lat=lat,
        input_crs=data.crs,
        input_lon=data.lon,
        input_lat=data.lat,
        jurisdiction_id=jid,
        jpath=jpath,
        reported_at=at,
        repeat_of_id=None if original is None else original.id,
        caller_name=data.caller_name,
        caller_phone=data.caller_phone,
        created_by_id=principal.user_id,
    )
    session.add(inc)
    session.flush()
    session.add(
        IncidentEvent(
            incident_id=inc.id,
            at=utcnow(),
            kind="received",
            to_state=inc.state,
            actor_id=principal.user_id,
            note="",
        )
    )
    if original is not None:
        original.repeat_count += 1
        session.add(
            IncidentEvent(
                incident_id=original.id,
                at=utcnow(),
                kind="repeat_call",
                actor_id=principal.user_id,
                note=f"repeat call {inc.code} linked",
                data=json.dumps({"incident_id": inc.id}),
            )
        )
    if idempotency_key is not None:
        session.add(
            IdempotencyKey(
                user_id=principal.user_id,
                key=idempotency_key,
                request_hash=digest,
                incident_id=inc.id,
            )
        )
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="incident",
        entity_id=inc.id,
        jpath=jpath,
        detail={"code": inc.code, "subtype": inc.subtype, "repeat_of": inc.repeat_of_id},
    )
    return inc, True


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
