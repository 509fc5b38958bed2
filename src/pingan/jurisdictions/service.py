"""Jurisdictions: create, read in scope, and assign points to the finest area containing them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, record
from pingan.errors import Invalid, NotFound
from pingan.geo.assign import PolygonIndex, validate_polygon
from pingan.jurisdictions.models import LEVELS, Jurisdiction

__all__ = [
    "Assignment",
    "JurisdictionIndex",
    "assign_points",
    "create",
    "get_by_code",
    "get_or_raise",
    "index_for",
    "level_rank",
]


def level_rank(level: str) -> int:
    """0 for bureau … 4 for cell; raises ``Invalid`` for an unknown level."""
    try:
        return LEVELS.index(level)
    except ValueError:
        raise Invalid(
            "level", f"{level!r} is not a level; use one of {', '.join(LEVELS)}"
        ) from None


def get_or_raise(session: Session, jurisdiction_id: int) -> Jurisdiction:
    """The jurisdiction with this id or ``NotFound``."""
    j = session.get(Jurisdiction, jurisdiction_id)
    if j is None:
        raise NotFound(f"jurisdiction {jurisdiction_id} does not exist")
    return j


def get_by_code(session: Session, code: str) -> Jurisdiction | None:
    """The jurisdiction with this code, if any."""
    return session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))


def create(
    session: Session,
    *,
    actor: Actor,
    code: str,
    level: str,
    name_zh: str,
    name_en: str | None = None,
    parent_code: str | None = None,
    geometry: shapely.Geometry | dict[str, Any] | None = None,
    owner_id: int | None = None,
    site: tuple[float, float] | None = None,
    audit: bool = True,
) -> Jurisdiction:
    """Create a jurisdiction under ``parent_code`` (none for the bureau) with its polygon."""
    rank = level_rank(level)
    if not code or len(code) > 64:
        raise Invalid("code", "must be 1-64 characters")
    if get_by_code(session, code) is not None:
        raise Invalid("code", f"{code!r} already exists")
    parent: Jurisdiction | None = None
    if parent_code is not None:
        parent = get_by_code(session, parent_code)
        if parent is None:
            raise Invalid("parent_code", f"no jurisdiction with code {parent_code!r}")
        if level_rank(parent.level) >= rank:
            raise Invalid("level", f"a {level} cannot sit under a {parent.level}")
    elif rank != 0:
        raise Invalid("parent_code", f"a {level} needs a parent jurisdiction")
    geom = _to_geometry(geometry) if geometry is not None else None
    j = Jurisdiction(
        code=code,
        level=level,
        name_zh=name_zh,
        name_en=name_en or name_zh,
        parent_id=None if parent is None else parent.id,
        path="",
        owner_id=owner_id,
    )
    if site is not None:
        j.site_lon, j.site_lat = float(site[0]), float(site[1])
    if geom is not None:
        _set_geometry(j, geom)
    session.add(j)
    session.flush()
    j.path = (parent.path if parent else "/") + f"{j.id}/"
    session.flush()
    if audit:
        record(
            session,
            actor=actor,
            action="create",
            entity="jurisdiction",
            entity_id=j.id,
            jpath=j.path,
            detail={"code": code, "level": level},
        )
    _bump_version()
    return j


def _to_geometry(geometry: shapely.Geometry | dict[str, Any]) -> shapely.Geometry:
    if isinstance(geometry, dict):
        try:
            geom = shapely.from_geojson(json.dumps(geometry))
        except Exception as exc:  # shapely raises GEOSException for unclosed rings
            raise Invalid("geometry", f"not a valid GeoJSON polygon ({exc})") from None
    else:
        geom = geometry
    try:
        return validate_polygon(geom)
    except ValueError as exc:
        raise Invalid("geometry", str(exc).split(": ", 1)[-1]) from None


def _set_geometry(j: Jurisdiction, geom: shapely.Geometry) -> None:
    j.geometry = shapely.to_geojson(geom)
    j.min_lon, j.min_lat, j.max_lon, j.max_lat = (float(v) for v in geom.bounds)
    c = geom.representative_point()
    j.centroid_lon, j.centroid_lat = float(c.x), float(c.y)


# ---------------------------------------------------------------- point assignment

_version_lock = threading.Lock()
_version = 0


def _bump_version() -> None:
    global _version
    with _version_lock:
        _version += 1


@dataclass(frozen=True)
class Assignment:
    """Result of assigning points: jurisdiction id and path per point, ``-1``/"" outside."""

    jurisdiction_id: NDArray[np.int64]
    jpath: NDArray[np.object_]

    @property
    def outside(self) -> NDArray[np.int64]:
        """Indices of points outside every jurisdiction polygon."""
        return np.flatnonzero(self.jurisdiction_id < 0)


class JurisdictionIndex:
    """The leaf polygons (areas with no child polygons) of the tree, for point lookup."""

    def __init__(self, ids: Sequence[int], paths: Sequence[str], polygons: Sequence[Any]) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.paths = np.asarray(paths, dtype=object)
        self.index = PolygonIndex(polygons) if len(polygons) else None

    def assign(self, lon: ArrayLike, lat: ArrayLike) -> Assignment:
        """Assign points (WGS-84) to the finest jurisdiction containing them."""
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if self.index is None:
            return Assignment(np.full(lo.size, -1, np.int64), np.full(lo.size, "", object))
        k = self.index.assign(lo, la)
        ids = np.where(k >= 0, self.ids[np.maximum(k, 0)], -1)
        paths = np.where(k >= 0, self.paths[np.maximum(k, 0)], "")
        return Assignment(ids, paths)


_cache: dict[tuple[str, int, int, int], JurisdictionIndex] = {}
_checked: dict[str, tuple[float, JurisdictionIndex, int]] = {}
INDEX_RECHECK_S = 5.0
"""Changes made by this process rebuild the index at once; changes made by another process are
picked up within this many seconds."""


def index_for(session: Session) -> JurisdictionIndex:
    """The cached leaf index for this database, rebuilt when jurisdictions change."""
    bind = session.get_bind()
    url = str(bind.engine.url)
    hit_recent = _checked.get(url)
    if hit_recent is not None and hit_recent[2] == _version and hit_recent[0] > time.monotonic():
        return hit_recent[1]
    count, max_id = session.execute(
        select(func.count(Jurisdiction.id), func.coalesce(func.max(Jurisdiction.id), 0)).where(
            Jurisdiction.geometry.is_not(None)
        )
    ).one()
    key = (str(bind.engine.url), _version, int(count), int(max_id))
    hit = _cache.get(key)
    if hit is not None:
        _checked[url] = (time.monotonic() + INDEX_RECHECK_S, hit, _version)
        return hit
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.parent_id, Jurisdiction.path, Jurisdiction.geometry)
        .where(Jurisdiction.geometry.is_not(None))
        .order_by(Jurisdiction.id)
    ).all()
    parents_with_geom_children = {r.parent_id for r in rows if r.parent_id is not None}
    leaves = [r for r in rows if r.id not in parents_with_geom_children]
    polys = shapely.from_geojson([r.geometry for r in leaves]) if leaves else []
    idx = JurisdictionIndex([r.id for r in leaves], [r.path for r in leaves], list(polys))
    for k in [k for k in _cache if k[0] == key[0]]:
        del _cache[k]
    _cache[key] = idx
    _checked[url] = (time.monotonic() + INDEX_RECHECK_S, idx, _version)
    return idx


def assign_points(session: Session, lon: ArrayLike, lat: ArrayLike) -> Assignment:
    """Assign many points at once to the finest jurisdiction containing each."""
    return index_for(session).assign(lon, lat)


def set_owner(session: Session, *, actor: Actor, cell: Jurisdiction, username: str) -> None:
    """Make a community officer the owner of a grid cell (audited)."""
    from pingan.auth.models import User

    if cell.level != "cell":
        raise Invalid(
            "owner_username", f"only grid cells have an owner; {cell.code} is a {cell.level}"
        )
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise Invalid("owner_username", f"no user {username!r}")
    if user.role != "community_officer":
        raise Invalid("owner_username", f"{username!r} is a {user.role}, not a community_officer")
    previous = cell.owner_id
    cell.owner_id = user.id
    record(
        session,
        actor=actor,
        action="set_owner",
        entity="jurisdiction",
        entity_id=cell.id,
        jpath=cell.path,
        detail={"from": previous, "to": user.id},
    )
