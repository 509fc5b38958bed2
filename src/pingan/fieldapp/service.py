"""Reads and writes of the field app (never commits).

The replay store behind ``Idempotency-Key`` (:func:`claim`, :func:`finish`, :func:`release`),
an officer's unit and duty switch (:func:`me`, :func:`set_duty`, :func:`link_unit`) and the
check that lets an officer report his own unit's position (:func:`own_unit_or_raise`)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, principal_for
from pingan.errors import Conflict, NotFound
from pingan.fieldapp.models import FieldUnit, RequestReplay
from pingan.fieldapp.schemas import (
    FieldMe,
    FieldPatrolItem,
    FieldPatrols,
    FieldPatrolWindow,
    FieldUnitRead,
)
from pingan.jurisdictions.models import Jurisdiction
from pingan.keyplaces.service import local_tz
from pingan.patrols.models import PatrolItem, PatrolPlan
from pingan.resources.models import Resource
from pingan.store.base import utcnow

__all__ = [
    "KEEP",
    "Claimed",
    "InProgress",
    "Mismatch",
    "Replay",
    "claim",
    "finish",
    "link_unit",
    "me",
    "own_unit_or_raise",
    "patrol_windows",
    "purge",
    "release",
    "set_duty",
]

KEEP = dt.timedelta(hours=48)
"""How long an ``Idempotency-Key`` and its answer are kept."""


@dataclass(frozen=True)
class Claimed:
    """The key is new: the request runs; its answer is stored under ``replay_id``."""

    replay_id: int


@dataclass(frozen=True)
class Replay:
    """The key was used with the same request: its stored answer."""

    status_code: int
    content_type: str
    body: str


@dataclass(frozen=True)
class Mismatch:
    """The key was used with another request (method, path or body)."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key is still being answered."""


Outcome = Claimed | Replay | Mismatch | InProgress


def claim(
    session: Session,
    *,
    user_id: int,
    key: str,
    endpoint: str,
    body_hash: str,
    now: dt.datetime | None = None,
) -> Outcome:
    """Look the key up for ``user_id``; if unseen (or older than :data:`KEEP`), insert a
    placeholder for it in a savepoint and answer :class:`Claimed`. Two requests racing with one
    key: the unique index lets one claim it, the other sees :class:`InProgress`. One or two
    indexed statements."""
    now = now or utcnow()
    row = session.scalar(
        select(RequestReplay).where(RequestReplay.user_id == user_id, RequestReplay.key == key)
    )
    if row is not None and row.created_at < now - KEEP:
        session.delete(row)
        session.flush()
        row = None
    if row is None:
        fresh = RequestReplay(
            user_id=user_id,
            key=key,
            endpoint=endpoint[:300],
            body_hash=body_hash,
            status_code=0,
            content_type="",
            response_body="",
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(fresh)
        except IntegrityError:
            return InProgress()
        if fresh.id % 500 == 0:  # now and then, the keys past their 48 h (an indexed delete)
            purge(session, now=now)
        return Claimed(fresh.id)
    if row.endpoint != endpoint[:300] or row.body_hash != body_hash:
        return Mismatch()
    if row.status_code == 0:
        return InProgress()
    return Replay(row.status_code, row.content_type, row.response_body)


def finish(
    session: Session, *, replay_id: int, status_code: int, content_type: str, body: str
) -> None:
    """Store the answer of a claimed key."""
    row = session.get(RequestReplay, replay_id)
    if row is not None:
        row.status_code = status_code
        row.content_type = content_type[:100]
        row.response_body = body


def release(session: Session, *, replay_id: int) -> None:
    """Forget a claimed key whose answer is not kept (a fault, a refusal to sign in): a resend
    runs again."""
    session.execute(delete(RequestReplay).where(RequestReplay.id == replay_id))


def purge(session: Session, *, now: dt.datetime | None = None) -> int:
    """Delete keys older than :data:`KEEP`; the number deleted."""
    cutoff = (now or utcnow()) - KEEP
    result = session.execute(delete(RequestReplay).where(RequestReplay.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def _unit_read(r: Resource) -> FieldUnitRead:
    return FieldUnitRead(
        id=r.id,
        code=r.code,
        kind=r.kind,
        name_zh=r.name_zh,
        name_en=r.name_en,
        status=r.status,
        lon=r.lon,
        lat=r.lat,
        position_at=r.position_at,
    )


def me(session: Session, *, principal: Principal) -> FieldMe:
    """The caller, his unit (if one is linked) and his duty switch."""
    user = session.get(User, principal.user_id)
    link = session.get(FieldUnit, principal.user_id)
    unit = session.get(Resource, link.resource_id) if link is not None else None
    return FieldMe(
        user_id=principal.user_id,
        username=principal.username,
        display_name=(user.display_name if user is not None else "") or principal.username,
        role=principal.role,
        unit=_unit_read(unit) if unit is not None else None,
        on_duty=bool(link and link.on_duty),
        duty_since=link.duty_since if link is not None and link.on_duty else None,
    )


def set_duty(session: Session, *, principal: Principal, on_duty: bool) -> FieldUnit:
    """Switch the caller on or off duty (audited); 409 when no unit is linked to him."""
    link = session.get(FieldUnit, principal.user_id)
    if link is None:
        raise Conflict(
            "no unit is linked to you: ask your station to link one "
            "(PUT /api/v1/field/links, or pingan field link --officer NAME --unit CODE)",
            field="on_duty",
        )
    if link.on_duty != on_duty:
        link.on_duty = on_duty
        link.duty_since = utcnow() if on_duty else None
        record(
            session,
            actor=principal.actor,
            action="duty_on" if on_duty else "duty_off",
            entity="resource",
            entity_id=link.resource_id,
            jpath=principal.jpath,
            detail={"user_id": principal.user_id},
        )
    return link


def link_unit(
    session: Session, *, principal: Principal, username: str, unit_code: str
) -> FieldUnit:
    """Link ``username`` to the unit ``unit_code`` (both inside the caller's scope; audited)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not principal.can_see(principal_for(session, user).jpath):
        raise NotFound(f"username: no user {username!r} in your jurisdiction", field="username")
    unit = session.scalar(select(Resource).where(Resource.code == unit_code))
    if unit is None or not principal.can_see(unit.jpath):
        raise NotFound(f"unit_code: no unit {unit_code!r} in your jurisdiction", field="unit_code")
    link = session.get(FieldUnit, user.id)
    if link is None:
        link = FieldUnit(user_id=user.id, resource_id=unit.id, on_duty=False)
        session.add(link)
    else:
        link.resource_id = unit.id
    record(
        session,
        actor=principal.actor,
        action="link_unit",
        entity="user",
        entity_id=user.id,
        jpath=unit.jpath,
        detail={"unit": unit.code},
    )
    session.flush()
    return link


def own_unit_or_raise(session: Session, *, principal: Principal, resource_id: int) -> Resource:
    """The unit an officer (own scope) may report the position of: his linked unit, and only
    while he is on duty (409 otherwise); any other unit is a 404 like a missing one."""
    link = session.get(FieldUnit, principal.user_id)
    unit = session.get(Resource, resource_id)
    if link is None or unit is None or link.resource_id != resource_id:
        raise NotFound(f"resource {resource_id} not found", field="resource_id")
    if not link.on_duty:
        raise Conflict("you are off duty: positions are shared only while on duty", field="on_duty")
    return unit


def _centre(item: PatrolItem, stops: list[dict[str, float]]) -> tuple[float | None, float | None]:
    if stops:
        return float(stops[0]["lon"]), float(stops[0]["lat"])
    try:
        g = json.loads(item.geometry)
        ring = g["coordinates"][0] if g.get("type") == "Polygon" else [g["coordinates"]]
        xs = [float(c[0]) for c in ring]
        ys = [float(c[1]) for c in ring]
        return sum(xs) / len(xs), sum(ys) / len(ys)
    except (ValueError, KeyError, IndexError, TypeError):
        return None, None


def patrol_windows(
    session: Session, *, principal: Principal, now: dt.datetime | None = None
) -> FieldPatrols:
    """Today's published patrol windows of the caller's station (the plan of the station above
    his cells, or those in his scope) with the items that are his: assigned to him or to his
    linked unit. O(plans of the day + their items)."""
    now = now or utcnow()
    day = now.astimezone(local_tz()).date()
    link = session.get(FieldUnit, principal.user_id)
    unit_id = link.resource_id if link is not None else None
    plans = [
        p
        for p in session.scalars(
            select(PatrolPlan)
            .where(PatrolPlan.day == day, PatrolPlan.status == "published")
            .order_by(PatrolPlan.station_id, PatrolPlan.block)
        )
        if principal.jpath.startswith(p.jpath) or principal.can_see(p.jpath)
    ]
    items: dict[int, list[PatrolItem]] = {}
    if plans:
        for it in session.scalars(
            select(PatrolItem)
            .where(PatrolItem.plan_id.in_([p.id for p in plans]))
            .order_by(PatrolItem.id)
        ):
            mine = it.officer_id == principal.user_id or (
                unit_id is not None and it.resource_id == unit_id
            )
            if mine:
                items.setdefault(it.plan_id, []).append(it)
    stations = {
        j.id: j
        for j in session.scalars(
            select(Jurisdiction).where(Jurisdiction.id.in_({p.station_id for p in plans}))
        )
    }
    out = []
    for p in plans:
        st = stations.get(p.station_id)
        rows = []
        for it in items.get(p.id, []):
            stops = json.loads(it.stops or "[]")
            lon, lat = _centre(it, stops)
            first = (
                p.starts_at + dt.timedelta(seconds=float(stops[0].get("arrive_s", 0.0)))
                if stops
                else p.starts_at
            )
            rows.append(
                FieldPatrolItem(
                    id=it.id,
                    kind=it.kind,
                    mode=it.mode,
                    label=it.label,
                    stops=len(stops),
                    first_at=first,
                    duration_s=it.duration_s,
                    lon=lon,
                    lat=lat,
                )
            )
        out.append(
            FieldPatrolWindow(
                plan_id=p.id,
                station_code=st.code if st else "",
                station_name_zh=st.name_zh if st else "",
                station_name_en=st.name_en if st else "",
                block=p.block,
                starts_at=p.starts_at,
                ends_at=p.ends_at,
                now=p.starts_at <= now < p.ends_at,
                items=rows,
            )
        )
    return FieldPatrols(day=day, windows=out)
