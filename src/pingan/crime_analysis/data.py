"""Incidents from the database as numpy arrays, in the caller's scope, ready for the kernels.

Repeat calls (``repeat_of_id`` set), cancelled and duplicate incidents are excluded, so nothing is
double counted. Times are UTC epoch seconds plus the local calendar day and hour in the bureau's
zone (``PINGAN_TIMEZONE``). Coordinates come with a metric frame (``LocalProjection`` centred on
the bureau) for KDE, Gi* grids and scan distances.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.aggregates.service import local_days
from pingan.auth.service import Principal, scope_clause
from pingan.crime_analysis.schemas import Selection
from pingan.errors import Invalid
from pingan.geo.crs import LocalProjection
from pingan.incidents.models import Incident
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import get_by_code

__all__ = [
    "IncidentFrame",
    "area_ids",
    "city_projection",
    "load",
    "load_incidents",
    "local_days",
]


@dataclass(frozen=True)
class IncidentFrame:
    """Equal-length arrays of the selected incidents."""

    id: NDArray[np.int64]
    t_s: NDArray[np.int64]
    day: NDArray[np.datetime64]
    hour: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    subtype: NDArray[np.str_]
    klass: NDArray[np.str_]
    jpath: NDArray[np.object_]
    projection: LocalProjection
    since: dt.datetime
    until: dt.datetime

    def __len__(self) -> int:
        return int(self.id.size)


def city_projection(session: Session) -> LocalProjection:
    """A metric projection centred on the bureau (the root jurisdiction's bounding box)."""
    root = session.execute(
        select(
            Jurisdiction.min_lon, Jurisdiction.min_lat, Jurisdiction.max_lon, Jurisdiction.max_lat
        )
        .where(Jurisdiction.parent_id.is_(None), Jurisdiction.min_lon.is_not(None))
        .order_by(Jurisdiction.id)
        .limit(1)
    ).first()
    if root is None:
        raise Invalid(
            "jurisdictions",
            "no jurisdiction with a polygon: import the jurisdictions "
            "first (pingan import jurisdictions FILE)",
        )
    w, s_, e, n = (float(v) for v in root)
    return LocalProjection((w + e) / 2.0, (s_ + n) / 2.0)


def subtypes_for(
    *, subtype: str | None = None, klass: str | None = None, group: str | None = None
) -> list[str] | None:
    """The subtype codes selected by a subtype, class or named group (None = all)."""
    tax = get_taxonomy()
    if subtype:
        return [tax.subtype(subtype).code]
    if group:
        if group not in tax.groups:
            raise Invalid("group", f"unknown group {group!r}; use one of {', '.join(tax.groups)}")
        return list(tax.groups[group].subtypes)
    if klass:
        if klass not in tax.classes:
            raise Invalid("class", f"unknown class {klass!r}; use one of {', '.join(tax.classes)}")
        return [s.code for s in tax.subtypes.values() if s.klass == klass]
    return None


def load_incidents(
    session: Session,
    *,
    principal: Principal,
    since: dt.datetime,
    until: dt.datetime,
    subtypes: list[str] | None = None,
    jurisdiction_path: str | None = None,
    include_drill: bool = False,
) -> IncidentFrame:
    """Incidents reported in ``[since, until)`` in the caller's scope (and under
    ``jurisdiction_path`` if given); drill incidents (``source = "drill"``) only when
    ``include_drill``. O(n) in the rows read; one query."""
    if since.tzinfo is None or until.tzinfo is None:
        raise Invalid("since", "times must include a timezone")
    if until <= since:
        raise Invalid("until", f"must be after since ({since.isoformat()})")
    q = select(
        Incident.id,
        Incident.reported_at,
        Incident.lon,
        Incident.lat,
        Incident.subtype,
        Incident.klass,
        Incident.jpath,
    ).where(
        scope_clause(principal, Incident.jpath),
        Incident.reported_at >= since,
        Incident.reported_at < until,
        Incident.repeat_of_id.is_(None),
        Incident.state.not_in(("cancelled", "duplicate")),
    )
    if not include_drill:
        q = q.where(Incident.source != "drill")
    if subtypes is not None:
        q = q.where(Incident.subtype.in_(subtypes))
    if jurisdiction_path:
        q = q.where(Incident.jpath.startswith(jurisdiction_path, autoescape=True))
    rows = session.execute(q.order_by(Incident.reported_at)).all()
    proj = city_projection(session)
    n = len(rows)
    cols: list[Any] = list(zip(*rows, strict=True)) if n else [[] for _ in range(7)]
    t_s = np.fromiter((r.timestamp() for r in cols[1]), dtype=np.float64, count=n).astype(np.int64)
    lon = np.asarray(cols[2], dtype=np.float64)
    lat = np.asarray(cols[3], dtype=np.float64)
    x, y = proj.forward(lon, lat) if n else (np.empty(0), np.empty(0))
    day, hour = local_days(t_s) if n else (np.empty(0, "datetime64[D]"), np.empty(0, np.int64))
    return IncidentFrame(
        id=np.asarray(cols[0], dtype=np.int64),
        t_s=t_s,
        day=day,
        hour=hour,
        lon=lon,
        lat=lat,
        x_m=x,
        y_m=y,
        subtype=np.asarray(cols[4], dtype=str),
        klass=np.asarray(cols[5], dtype=str),
        jpath=np.asarray(cols[6], dtype=object),
        projection=proj,
        since=since,
        until=until,
    )


def area_ids(jpath: NDArray[np.object_], depth: int) -> NDArray[np.int64]:
    """The id of the ancestor at ``depth`` (0 bureau, 1 district, 2 station, 3 community,
    4 cell) of each row's jurisdiction path; ``-1`` where the path is shallower."""
    uniq, inv = np.unique(jpath.astype(str), return_inverse=True)
    mapped = np.empty(uniq.size, dtype=np.int64)
    for i, p in enumerate(uniq.tolist()):
        parts = [x for x in p.split("/") if x]
        mapped[i] = int(parts[depth]) if len(parts) > depth else -1
    return mapped[inv]


def load(
    session: Session, principal: Principal, sel: Selection, *, default_days: int
) -> IncidentFrame:
    """The selected incidents as arrays (the default period ends now)."""
    until = sel.until or dt.datetime.now(dt.UTC)
    since = sel.since or until - dt.timedelta(days=default_days)
    path = None
    if sel.area:
        j = get_by_code(session, sel.area)
        if j is None or not principal.can_see(j.path):
            raise Invalid("area", f"no jurisdiction {sel.area!r} in your scope")
        path = j.path
    subs = subtypes_for(subtype=sel.subtype, klass=sel.klass, group=sel.group)
    return load_incidents(
        session,
        principal=principal,
        since=since,
        until=until,
        subtypes=subs,
        jurisdiction_path=path,
        include_drill=sel.include_drill,
    )
