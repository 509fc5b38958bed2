"""Coverage inputs from the database and the data directory, as arrays for the kernels.

* the road network: ``roads.npz`` beside the database (written by ``pingan demo`` and
  ``pingan roads import``), loaded once per process and reloaded when the file changes;
* forces: units with a position in the caller's scope, with the travel mode of their kind;
* demand: key areas (centroids), premises, grid cells (centroids, weighted by their
  historical incidents) and historical incidents (repeat calls, cancelled and duplicate ones
  excluded).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.service import Principal, scope_clause
from pingan.dispatch.models import MoveUp
from pingan.errors import Conflict
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import KeyArea, Premises
from pingan.resources.models import Resource
from pingan.roads import RoadNetwork

__all__ = [
    "AREA_LAYERS",
    "KIND_MODE",
    "POST_KINDS",
    "Forces",
    "Points",
    "clear_network_cache",
    "load_area_rows",
    "load_cells",
    "load_forces",
    "load_incident_points",
    "load_incidents",
    "load_key_areas",
    "load_moveup_targets",
    "load_network",
    "load_premises",
    "load_stations",
    "network_path",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

NETWORK_FILE = "roads.npz"
POST_KINDS: tuple[str, ...] = ("fixed_post", "mobile_kiosk")
"""Today's posts: what the 1-3-5 minute circles are drawn from."""

KIND_MODE: dict[str, str] = {
    "fixed_post": "car",
    "mobile_kiosk": "car",
    "patrol_car": "car",
    "tactical_unit": "car",
    "motorcycle": "motorcycle",
    "foot_team": "foot",
    "drone": "drone",
    "drone_base": "drone",
}
"""How each kind of unit travels when it is recommended for an incident."""

_lock = threading.Lock()
_cache: dict[Path, tuple[int, RoadNetwork]] = {}


def network_path(data_dir: Path) -> Path:
    """Where the road network lives: ``<data_dir>/roads.npz``."""
    return Path(data_dir) / NETWORK_FILE


def load_network(data_dir: Path) -> RoadNetwork:
    """The road network beside the database, cached per process (reloaded when the file's
    modification time changes). ``Conflict`` when none has been built yet."""
    path = network_path(data_dir).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise Conflict(
            f"no road network at {path}; build one with `pingan roads import FILE.osm.pbf` "
            "or `pingan demo`",
            field="network",
        ) from None
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        net = RoadNetwork.load(path)
        _cache[path] = (mtime, net)
        return net


def clear_network_cache() -> None:
    """Forget loaded networks (tests, and after an import in the same process)."""
    with _lock:
        _cache.clear()


@dataclass(frozen=True)
class Forces:
    """Units with a position: ids, codes, names, kinds, statuses, coordinates, drone data."""

    id: I64
    code: list[str]
    name_zh: list[str]
    name_en: list[str]
    kind: NDArray[np.str_]
    status: NDArray[np.str_]
    lon: F64
    lat: F64
    speed_kph: F64
    range_m: F64

    def __len__(self) -> int:
        return int(self.id.size)

    def subset(self, mask: NDArray[np.bool_]) -> Forces:
        """The units where ``mask`` is true."""
        idx = np.flatnonzero(mask)
        return Forces(
            self.id[idx],
            [self.code[i] for i in idx.tolist()],
            [self.name_zh[i] for i in idx.tolist()],
            [self.name_en[i] for i in idx.tolist()],
            self.kind[idx],
            self.status[idx],
            self.lon[idx],
            self.lat[idx],
            self.speed_kph[idx],
            self.range_m[idx],
        )


def load_forces(session: Session, *, principal: Principal) -> Forces:
    """Every unit with a known position in the caller's scope (any status)."""
    rows = session.execute(
        select(
            Resource.id,
            Resource.code,
            Resource.name_zh,
            Resource.name_en,
            Resource.kind,
            Resource.status,
            Resource.lon,
            Resource.lat,
            Resource.speed_kph,
            Resource.range_m,
        )
        .where(scope_clause(principal, Resource.jpath), Resource.lon.is_not(None))
        .order_by(Resource.id)
    ).all()
    return Forces(
        np.array([r[0] for r in rows], dtype=np.int64),
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        np.array([r[4] for r in rows], dtype=str),
        np.array([r[5] for r in rows], dtype=str),
        np.array([r[6] for r in rows], dtype=np.float64),
        np.array([r[7] for r in rows], dtype=np.float64),
        np.array([np.nan if r[8] is None else r[8] for r in rows], dtype=np.float64),
        np.array([np.nan if r[9] is None else r[9] for r in rows], dtype=np.float64),
    )


@dataclass(frozen=True)
class Points:
    """Demand points of one layer: id, code, name, group (e.g. premises kind), position,
    weight, an optional own standard (key areas) and an optional geometry (GeoJSON text)."""

    layer: str
    id: I64
    code: list[str]
    name: list[str]
    group: list[str]
    lon: F64
    lat: F64
    weight: F64
    standard_s: F64 | None = None
    geometry: list[str] | None = None

    def __len__(self) -> int:
        return int(self.id.size)


def load_key_areas(session: Session, *, principal: Principal, lang: str = "zh-CN") -> Points:
    """Key areas (centroids, weight 1) with their own response standard."""
    rows = session.execute(
        select(KeyArea).where(scope_clause(principal, KeyArea.jpath)).order_by(KeyArea.id)
    ).scalars()
    ka = list(rows)
    return Points(
        "key_areas",
        np.array([k.id for k in ka], dtype=np.int64),
        [k.code for k in ka],
        [k.name_en if lang == "en" else k.name_zh for k in ka],
        [k.kind for k in ka],
        np.array([k.centroid_lon for k in ka], dtype=np.float64),
        np.array([k.centroid_lat for k in ka], dtype=np.float64),
        np.ones(len(ka)),
        standard_s=np.array([k.response_standard_s for k in ka], dtype=np.float64),
        geometry=[k.geometry for k in ka],
    )


def load_premises(session: Session, *, principal: Principal, lang: str = "zh-CN") -> Points:
    """Premises (weight 1 each), grouped by kind."""
    rows = session.execute(
        select(
            Premises.id,
            Premises.code,
            Premises.name,
            Premises.name_en,
            Premises.kind,
            Premises.lon,
            Premises.lat,
        )
        .where(scope_clause(principal, Premises.jpath))
        .order_by(Premises.id)
    ).all()
    return Points(
        "premises",
        np.array([r[0] for r in rows], dtype=np.int64),
        [r[1] for r in rows],
        [(r[3] or r[2]) if lang == "en" else r[2] for r in rows],
        [r[4] for r in rows],
        np.array([r[5] for r in rows], dtype=np.float64),
        np.array([r[6] for r in rows], dtype=np.float64),
        np.ones(len(rows)),
    )


def _since(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def _history(  # type: ignore[no-untyped-def]
    principal: Principal, days: int, until: dt.datetime | None = None
):
    if until is not None:
        return (
            scope_clause(principal, Incident.jpath),
            Incident.reported_at >= until - dt.timedelta(days=days),
            Incident.reported_at < until,
            Incident.repeat_of_id.is_(None),
            Incident.state.not_in(("cancelled", "duplicate")),
            Incident.source != "drill",
        )
    return (
        scope_clause(principal, Incident.jpath),
        Incident.reported_at >= _since(days),
        Incident.repeat_of_id.is_(None),
        Incident.state.not_in(("cancelled", "duplicate")),
        Incident.source != "drill",
    )


def load_cells(
    session: Session,
    *,
    principal: Principal,
    history_days: int = 365,
    lang: str = "zh-CN",
    until: dt.datetime | None = None,
) -> Points:
    """Grid cells (centroids) weighted by their incidents of the last ``history_days`` (before
    ``until`` when given, else before now)."""
    cells = list(
        session.execute(
            select(Jurisdiction)
            .where(
                Jurisdiction.level == "cell",
                Jurisdiction.geometry.is_not(None),
                scope_clause(principal, Jurisdiction.path),
            )
            .order_by(Jurisdiction.id)
        ).scalars()
    )
    counts = dict(
        session.execute(
            select(Incident.jurisdiction_id, func.count())
            .where(*_history(principal, history_days, until))
            .group_by(Incident.jurisdiction_id)
        ).all()
    )
    lon = np.empty(len(cells))
    lat = np.empty(len(cells))
    for i, c in enumerate(cells):
        if c.centroid_lon is not None and c.centroid_lat is not None:
            lon[i], lat[i] = c.centroid_lon, c.centroid_lat
        else:
            p = shapely.from_geojson(c.geometry).centroid
            lon[i], lat[i] = p.x, p.y
    return Points(
        "grid_cells",
        np.array([c.id for c in cells], dtype=np.int64),
        [c.code for c in cells],
        [c.name_en if lang == "en" else c.name_zh for c in cells],
        ["cell"] * len(cells),
        lon,
        lat,
        np.array([float(counts.get(c.id, 0)) for c in cells], dtype=np.float64),
        geometry=[c.geometry or "" for c in cells],
    )


def load_incidents(session: Session, *, principal: Principal, history_days: int = 365) -> Points:
    """Historical incidents of the last ``history_days`` (weight 1 each)."""
    rows = session.execute(
        select(Incident.id, Incident.code, Incident.klass, Incident.lon, Incident.lat)
        .where(*_history(principal, history_days))
        .order_by(Incident.id)
    ).all()
    return Points(
        "incidents",
        np.array([r[0] for r in rows], dtype=np.int64),
        [r[1] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        np.array([r[3] for r in rows], dtype=np.float64),
        np.array([r[4] for r in rows], dtype=np.float64),
        np.ones(len(rows)),
    )


def load_moveup_targets(
    session: Session, *, principal: Principal
) -> dict[int, tuple[float, float]]:
    """Where each unit on an active move-up in the caller's scope was sent, by unit id."""
    rows = session.execute(
        select(MoveUp.resource_id, MoveUp.lon, MoveUp.lat).where(
            MoveUp.state == "sent", scope_clause(principal, MoveUp.jpath)
        )
    ).all()
    return {int(r[0]): (float(r[1]), float(r[2])) for r in rows}


def load_stations(
    session: Session, *, principal: Principal, lang: str = "zh-CN"
) -> tuple[F64, F64, list[str]]:
    """Each station house in the caller's scope (its site, else its centre) and name."""
    rows = session.execute(
        select(
            Jurisdiction.site_lon,
            Jurisdiction.site_lat,
            Jurisdiction.centroid_lon,
            Jurisdiction.centroid_lat,
            Jurisdiction.name_zh,
            Jurisdiction.name_en,
        )
        .where(Jurisdiction.level == "station", scope_clause(principal, Jurisdiction.path))
        .order_by(Jurisdiction.id)
    ).all()
    keep = [r for r in rows if (r[0] if r[0] is not None else r[2]) is not None]
    lon = np.array([r[0] if r[0] is not None else r[2] for r in keep], dtype=np.float64)
    lat = np.array([r[1] if r[1] is not None else r[3] for r in keep], dtype=np.float64)
    return lon, lat, [(r[5] or r[4]) if lang == "en" else r[4] for r in keep]


AREA_LAYERS: dict[str, str] = {
    "districts": "district",
    "stations": "station",
    "communities": "community",
    "grid-cells": "cell",
    "key-areas": "key_area",
}
"""The map's area layers (the OGC collection names) and the level of each."""


def load_area_rows(
    session: Session, *, principal: Principal, layer: str
) -> list[tuple[int, str, dict[str, Any]]]:
    """The areas of one map layer in the caller's scope as ``(id, GeoJSON text, properties)``,
    with only the properties the maps draw: names (and the parent, whose colour a district's
    fill takes) for jurisdictions, also the code for districts and stations (the analysis
    page's area filter), names and the kind for key areas. ``layer`` is a key of
    :data:`AREA_LAYERS` (the caller checks it)."""
    if layer == "key-areas":
        ka = session.execute(
            select(KeyArea.id, KeyArea.geometry, KeyArea.name_zh, KeyArea.name_en, KeyArea.kind)
            .where(scope_clause(principal, KeyArea.jpath), KeyArea.geometry.is_not(None))
            .order_by(KeyArea.id)
        ).all()
        return [(r[0], r[1], {"name_zh": r[2], "name_en": r[3], "kind": r[4]}) for r in ka]
    j = Jurisdiction
    rows = session.execute(
        select(j.id, j.geometry, j.name_zh, j.name_en, j.parent_id, j.code)
        .where(
            j.level == AREA_LAYERS[layer],
            j.geometry.is_not(None),
            scope_clause(principal, j.path),
        )
        .order_by(j.id)
    ).all()
    coded = layer in ("districts", "stations")  # a few dozen: not the thousands of cells
    props = (
        {"name_zh": r[2], "name_en": r[3], "parent_id": r[4]} | ({"code": r[5]} if coded else {})
        for r in rows
    )
    return [(r[0], r[1] or "", p) for r, p in zip(rows, props, strict=True)]


def load_incident_points(
    session: Session, *, principal: Principal, since: dt.datetime, limit: int
) -> tuple[list[int], list[float], list[float], list[dict[str, Any]]]:
    """The incidents reported since ``since`` in the caller's scope (drills included, as the
    live map shows them), newest last, at most ``limit`` (the newest): ids, positions and the
    one property the map styles by (``klass``)."""
    rows = list(
        session.execute(
            select(Incident.id, Incident.lon, Incident.lat, Incident.klass)
            .where(
                scope_clause(principal, Incident.jpath),
                Incident.reported_at >= since,
                Incident.lon.is_not(None),
                Incident.lat.is_not(None),
            )
            .order_by(Incident.reported_at.desc(), Incident.id.desc())
            .limit(limit)
        ).all()
    )
    rows.reverse()
    return (
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [{"klass": r[3]} for r in rows],
    )
