"""Reads and writes of the camera registry, every read scoped to the caller's jurisdiction.

Writes never commit and never audit: the flows (``pingan.cameras.flows``) do both, once.
A camera belongs to the finest jurisdiction containing it (``jpath``) and to the station above
it (``station_id``); outside the caller's scope a camera is a 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pingan.auth.service import Principal, scope_clause
from pingan.cameras.models import Camera
from pingan.cameras.schemas import CameraCreate, CameraUpdate
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.geo.bbox import BBox
from pingan.geo.crs import to_wgs84
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.places.models import Premises
from pingan.store.base import utcnow

__all__ = [
    "Located",
    "create",
    "get_or_raise",
    "list_query",
    "locate_many",
    "retire",
    "station_ids",
    "update",
]


@dataclass(frozen=True)
class Located:
    """Where points fall: jurisdiction path and station id (None outside every station), and
    whether each is inside the bureau and the caller's scope."""

    jpath: list[str]
    station_id: list[int | None]
    inside: np.ndarray
    in_scope: np.ndarray


def station_ids(session: Session) -> set[int]:
    """Ids of every station."""
    return set(session.scalars(select(Jurisdiction.id).where(Jurisdiction.level == "station")))


def _station_of(path: str, stations: set[int]) -> int | None:
    for part in path.strip("/").split("/"):
        if part and int(part) in stations:
            return int(part)
    return None


def locate_many(
    session: Session, *, principal: Principal, lon: Sequence[float], lat: Sequence[float]
) -> Located:
    """Jurisdiction and station of many points at once (one polygon-index pass)."""
    res = assign_points(session, lon, lat)
    stations = station_ids(session)
    jpath = [str(p) for p in res.jpath]
    inside = np.asarray(res.jurisdiction_id) >= 0
    return Located(
        jpath=jpath,
        station_id=[
            _station_of(p, stations) if ok else None for p, ok in zip(jpath, inside, strict=False)
        ],
        inside=inside,
        in_scope=np.array(
            [bool(ok) and principal.can_see(p) for p, ok in zip(jpath, inside, strict=False)]
        ),
    )


def _locate_one(
    session: Session, principal: Principal, lon: float, lat: float
) -> tuple[str, int | None]:
    loc = locate_many(session, principal=principal, lon=[lon], lat=[lat])
    if not loc.inside[0]:
        raise Invalid("lon", f"point ({lon}, {lat}) is outside every jurisdiction of this bureau")
    if not loc.in_scope[0]:
        raise PermissionDenied("the camera is outside your jurisdiction", field="lon")
    return loc.jpath[0], loc.station_id[0]


def _check_premises(session: Session, principal: Principal, premises_id: int | None) -> None:
    if premises_id is None:
        return
    jpath = session.scalar(select(Premises.jpath).where(Premises.id == premises_id))
    if jpath is None or not principal.can_see(jpath):
        raise Invalid(
            "premises_id", f"premises {premises_id} does not exist or is outside your jurisdiction"
        )


def get_or_raise(session: Session, *, principal: Principal, camera_id: int) -> Camera:
    """The camera if it exists in scope, else ``NotFound``."""
    c = session.get(Camera, camera_id)
    if c is None or not principal.can_see(c.jpath):
        raise NotFound(f"camera {camera_id} does not exist or is outside your jurisdiction")
    return c


def list_query(
    *,
    principal: Principal,
    bbox: BBox | None = None,
    status: Sequence[str] = (),
    station_id: int | None = None,
    owner: str | None = None,
    code: str | None = None,
) -> Select[Any]:
    """Cameras in scope, inside ``bbox`` (W, S, E, N), with one of ``status`` (default: every
    status but ``retired``), of one station, owner or code prefix. Ordered by the caller."""
    q = select(Camera).where(scope_clause(principal, Camera.jpath))
    if bbox is not None:
        w, s, e, n = bbox
        q = q.where(Camera.lon.between(w, e), Camera.lat.between(s, n))
    q = q.where(Camera.status.in_(list(status))) if status else q.where(Camera.status != "retired")
    if station_id is not None:
        q = q.where(Camera.station_id == station_id)
    if owner is not None:
        q = q.where(Camera.owner == owner)
    if code:
        q = q.where(Camera.code.startswith(code, autoescape=True))
    return q


def create(session: Session, *, principal: Principal, data: CameraCreate) -> Camera:
    """Add a camera in the jurisdiction containing it (the caller's scope only)."""
    lon_a, lat_a = to_wgs84([data.lon], [data.lat], data.crs)
    lon, lat = float(lon_a[0]), float(lat_a[0])
    jpath, station = _locate_one(session, principal, lon, lat)
    _check_premises(session, principal, data.premises_id)
    code = data.code or f"CAM-{secrets.token_hex(4).upper()}"
    if session.scalar(select(Camera.id).where(Camera.code == code)) is not None:
        raise Invalid("code", f"{code!r} already exists; give another code or edit that camera")
    now = utcnow()
    c = Camera(
        code=code,
        name=data.name,
        lon=lon,
        lat=lat,
        heading_deg=data.heading_deg,
        fov_deg=data.fov_deg,
        range_m=data.range_m,
        resolution=data.resolution,
        owner=data.owner,
        status=data.status,
        premises_id=data.premises_id,
        station_id=station,
        jpath=jpath,
        created_at=now,
        updated_at=now,
    )
    session.add(c)
    session.flush()
    return c


def update(
    session: Session, *, principal: Principal, camera_id: int, data: CameraUpdate
) -> tuple[Camera, dict[str, Any]]:
    """Change a camera; returns it and the changed fields with their old values. A retired
    camera cannot be changed (409 would hide the reason: it is ``Invalid`` on ``status``)."""
    c = get_or_raise(session, principal=principal, camera_id=camera_id)
    if c.status == "retired":
        raise Invalid("status", f"camera {c.code} is retired; register a new camera instead")
    changes = data.model_dump(exclude_unset=True)
    if "premises_id" in changes:
        _check_premises(session, principal, changes["premises_id"])
    if "lon" in changes or "lat" in changes:
        lon = changes.get("lon", c.lon)
        lat = changes.get("lat", c.lat)
        c.jpath, c.station_id = _locate_one(session, principal, lon, lat)
    old = {k: getattr(c, k) for k in changes if getattr(c, k) != changes[k]}
    for k in old:
        setattr(c, k, changes[k])
    if old:
        c.updated_at = utcnow()
    return c, old


def retire(session: Session, *, principal: Principal, camera_id: int) -> Camera:
    """Take a camera off the network (kept for the record, out of every figure)."""
    c = get_or_raise(session, principal=principal, camera_id=camera_id)
    if c.status == "retired":
        raise Invalid("status", f"camera {c.code} is already retired")
    c.status = "retired"
    c.retired_at = c.updated_at = utcnow()
    return c
