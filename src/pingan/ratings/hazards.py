"""Hazard points and segments (隐患点/段): created where they lie, listed per level of government
that must act (三级挂牌督办: station, district, city), ranked by the incidents they touch, closed
when rectified, and escalated one level when overdue. Reads are scoped; nothing here commits."""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.errors import Invalid, PermissionDenied, StateTransition
from pingan.geo.crs import LocalProjection
from pingan.incidents.models import Incident
from pingan.jurisdictions.service import assign_points
from pingan.places.models import Premises
from pingan.places.service import get_premises_or_raise
from pingan.ratings.models import Hazard
from pingan.ratings.schemas import HazardCreate
from pingan.ratings.scoring import neighbours
from pingan.store.base import utcnow

__all__ = [
    "ESCALATION_DAYS",
    "LEVELS",
    "LOCAL_TZ",
    "close_hazard",
    "create_hazard",
    "escalate_overdue",
    "get_hazard_or_raise",
    "incidents_touching",
    "list_hazards",
    "update_hazard",
    "warm_whole_days",
]

LEVELS = ("station", "district", "city")
ESCALATION_DAYS = 30  # the level a hazard is escalated to gets this long to act
TOUCH_RADIUS_M = 100.0
TOUCH_WINDOW_DAYS = 365
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def create_hazard(session: Session, *, principal: Principal, data: HazardCreate) -> Hazard:
    """Store a hazard in the cell containing its point (a segment: its midpoint)."""
    lon, lat, geometry = data.lon, data.lat, None
    if data.geometry is not None:
        try:
            geom = shapely.from_geojson(json.dumps(data.geometry))
        except (shapely.errors.GEOSException, ValueError) as exc:
            raise Invalid("geometry", "expected a GeoJSON Point or LineString") from exc
        if geom.geom_type not in ("Point", "LineString") or geom.is_empty:
            raise Invalid("geometry", f"expected a Point or LineString, got {geom.geom_type}")
        mid = geom.interpolate(0.5, normalized=True) if geom.geom_type == "LineString" else geom
        lon, lat, geometry = float(mid.x), float(mid.y), json.dumps(data.geometry)
    if lon is None or lat is None:
        raise Invalid("lon", "give lon and lat, or a GeoJSON geometry")
    res = assign_points(session, [lon], [lat])
    jid = int(res.jurisdiction_id[0])
    if jid < 0:
        raise Invalid("lon", f"point ({lon}, {lat}) is outside every jurisdiction of this bureau")
    jpath = str(res.jpath[0])
    if not principal.can_see(jpath):
        raise PermissionDenied("the hazard is outside your jurisdiction", field="lon")
    if data.premises_id is not None:
        get_premises_or_raise(session, principal=principal, premises_id=data.premises_id)
    code = data.code or f"HZ{secrets.token_hex(4).upper()}"
    if session.scalar(select(Hazard.id).where(Hazard.code == code)) is not None:
        raise Invalid("code", f"{code!r} already exists")
    h = Hazard(
        code=code,
        category=data.category,
        title=data.title,
        geometry=geometry,
        lon=lon,
        lat=lat,
        level=data.level,
        owner=data.owner,
        deadline=data.deadline,
        status="open",
        premises_id=data.premises_id,
        jurisdiction_id=jid,
        jpath=jpath,
    )
    session.add(h)
    session.flush()
    return h


def get_hazard_or_raise(session: Session, *, principal: Principal, hazard_id: int) -> Hazard:
    """The hazard if it exists in scope, else ``NotFound``."""
    return get_scoped(session, Hazard, hazard_id, principal=principal, what="hazard")


def update_hazard(
    session: Session,
    *,
    principal: Principal,
    hazard_id: int,
    owner: str | None = None,
    deadline: dt.date | None = None,
    status: str | None = None,
) -> Hazard:
    """Change a hazard's owner, deadline or status (open ⇄ rectifying; closing is its own
    step)."""
    h = get_hazard_or_raise(session, principal=principal, hazard_id=hazard_id)
    if h.status == "closed":
        raise StateTransition(f"hazard {h.code}", "closed", status or "closed", [])
    if status is not None:
        if status not in ("open", "rectifying"):
            raise Invalid("status", "use open or rectifying; close a hazard with /close")
        h.status = status
    if owner is not None:
        h.owner = owner
    if deadline is not None:
        h.deadline = deadline
    session.flush()
    return h


def close_hazard(session: Session, *, principal: Principal, hazard_id: int) -> Hazard:
    """Mark a hazard rectified and closed."""
    h = get_hazard_or_raise(session, principal=principal, hazard_id=hazard_id)
    if h.status == "closed":
        raise StateTransition(f"hazard {h.code}", "closed", "closed", [])
    h.status, h.closed_at = "closed", utcnow()
    session.flush()
    return h


def list_hazards(
    session: Session,
    *,
    principal: Principal,
    level: str | None = None,
    status: str | None = None,
    category: str | None = None,
    near: Premises | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[Hazard]]:
    """Hazards in scope, filtered (``near``: linked to that premises or within 100 m of it);
    (total, page), the oldest deadline first."""
    q = select(Hazard).where(scope_clause(principal, Hazard.jpath))
    if near is not None:
        dlat = TOUCH_RADIUS_M / 110_540.0
        dlon = dlat / max(math.cos(math.radians(near.lat)), 0.1)
        q = q.where(
            or_(
                Hazard.premises_id == near.id,
                and_(
                    Hazard.lon.between(near.lon - dlon, near.lon + dlon),
                    Hazard.lat.between(near.lat - dlat, near.lat + dlat),
                ),
            )
        )
    if level is not None:
        q = q.where(Hazard.level == level)
    if status is not None:
        q = q.where(Hazard.status == status)
    if category is not None:
        q = q.where(Hazard.category == category)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(
        q.order_by(Hazard.deadline.is_(None), Hazard.deadline, Hazard.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


def incidents_touching(
    session: Session, hazards: list[Hazard], *, now: dt.datetime | None = None
) -> list[int]:
    """Incidents within 100 m of each hazard in the 365 whole local days before today and
    today until ``now``. The whole days are counted once a day for every hazard of the
    database and kept (:func:`_whole_days`); only today's incidents are read per call."""
    if not hazards:
        return []
    now = now or utcnow()
    midnight = _midnight(now)
    points = [(float(h.lon), float(h.lat)) for h in hazards]
    past = _whole_days(session, points, midnight)
    today = _count_near(session, points, midnight, now)
    return [past[pt] + int(n) for pt, n in zip(points, today, strict=True)]


def _midnight(now: dt.datetime) -> dt.datetime:
    """The start of ``now``'s local day, in UTC."""
    return dt.datetime.combine(
        now.astimezone(LOCAL_TZ).date(), dt.time(0), tzinfo=LOCAL_TZ
    ).astimezone(dt.UTC)


def warm_whole_days(session: Session, *, now: dt.datetime | None = None) -> int:
    """Count the incidents near every hazard over the 365 whole local days before ``now``'s day
    and keep them (:func:`_whole_days`), as the first listing of the day would: the served
    process does it at start and after each local midnight (``pingan.server.day_caches``), so
    no one's first ``/hazards`` of the day waits for a year of incidents (2.9 s on the demo
    city's SQLite on a quiet machine, 10 s on a loaded one; 0.07 s after the fill). Returns
    the number of hazards counted; nothing without hazards."""
    if session.scalar(select(func.count()).select_from(Hazard)) == 0:
        return 0
    return len(_whole_days(session, [], _midnight(now or utcnow())))


WHOLE_DAYS_CHECK_S = 60.0
_SEEN: dict[tuple[str, dt.datetime], tuple[float, tuple[Any, ...]]] = {}
_WHOLE_DAYS: OrderedDict[tuple[Any, ...], dict[tuple[float, float], int]] = OrderedDict()
_WHOLE_DAYS_LOCK = threading.Lock()


def _whole_days(
    session: Session, points: list[tuple[float, float]], midnight: dt.datetime
) -> dict[tuple[float, float], int]:
    """Incidents within 100 m of each point in the 365 local days before ``midnight``, by
    point. Kept per database, day, and number and least and greatest id of the incidents of
    those days, looked at again after :data:`WHOLE_DAYS_CHECK_S` (a back-dated import shows
    within it); a point not kept yet (a new hazard) counts every hazard again. An incident
    moved within those days shows the next day."""
    start = midnight - dt.timedelta(days=TOUCH_WINDOW_DAYS)
    window = (Incident.reported_at >= start, Incident.reported_at < midnight)
    url = str(session.get_bind().engine.url)
    with _WHOLE_DAYS_LOCK:
        seen = _SEEN.get((url, midnight))
    if seen is not None and time.monotonic() - seen[0] < WHOLE_DAYS_CHECK_S:
        key = seen[1]
    else:  # which incidents the days hold, from the reported_at index alone (0.1 s)
        n, lo, hi = session.execute(
            select(func.count(), func.min(Incident.id), func.max(Incident.id)).where(*window)
        ).one()
        key = (url, midnight, n, lo, hi)
        with _WHOLE_DAYS_LOCK:
            _SEEN[(url, midnight)] = (time.monotonic(), key)
    with _WHOLE_DAYS_LOCK:
        kept = _WHOLE_DAYS.get(key)
    if kept is not None and all(pt in kept for pt in points):
        return kept
    every = {
        (float(lon), float(lat)) for lon, lat in session.execute(select(Hazard.lon, Hazard.lat))
    }
    every.update(points)
    todo = sorted(every)
    counts = _count_near(session, todo, start, midnight)
    kept = dict(zip(todo, (int(c) for c in counts), strict=True))
    with _WHOLE_DAYS_LOCK:
        _WHOLE_DAYS[key] = kept
        while len(_WHOLE_DAYS) > 8:
            _WHOLE_DAYS.popitem(last=False)
        if len(_SEEN) > 64:
            _SEEN.clear()
    return kept


def _count_near(
    session: Session, points: list[tuple[float, float]], since: dt.datetime, until: dt.datetime
) -> NDArray[np.int64]:
    """Incidents reported in [since, until] within 100 m of each point (one sparse query)."""
    rows = session.execute(
        select(Incident.lon, Incident.lat).where(
            Incident.reported_at >= since, Incident.reported_at <= until
        )
    ).all()
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    if not rows:
        return np.zeros(len(points), dtype=np.int64)
    proj = LocalProjection.around(lon, lat)
    hx, hy = proj.forward(lon, lat)
    inc = np.array(rows, dtype=float)
    ix, iy = proj.forward(inc[:, 0], inc[:, 1])
    nb = neighbours(
        cKDTree(np.column_stack([hx, hy])), np.column_stack([ix, iy]), TOUCH_RADIUS_M, len(points)
    )
    return np.asarray(nb.count(), dtype=np.int64)


def escalate_overdue(session: Session, *, now: dt.datetime | None = None) -> list[Hazard]:
    """Open hazards past their deadline go up one level (station → district → city), each
    level given ``ESCALATION_DAYS`` more; those at the city level stay and are listed."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    rows = session.scalars(
        select(Hazard).where(
            Hazard.status != "closed", Hazard.deadline.is_not(None), Hazard.deadline < today
        )
    ).all()
    moved = []
    for h in rows:
        if h.level == "city":
            continue
        h.level = LEVELS[LEVELS.index(h.level) + 1]
        h.deadline = today + dt.timedelta(days=ESCALATION_DAYS)
        moved.append(h)
    session.flush()
    return moved
