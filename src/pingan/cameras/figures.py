"""Camera coverage figures and the blind-spot map (the siting of new cameras is in
:mod:`pingan.cameras.siting`).

Loads the arrays in the caller's scope (cameras, the incidents of the last ``history_days``
without drill, repeat, cancelled or duplicate calls, the road network sampled every 20 m, key
areas, stations) and calls the kernels: :func:`pingan.coverage.camera_coverage` (which working
camera sees which point) and :class:`pingan.coverage.MCLP` (the siting). Reads only: nothing
here writes.

All geometry is done in the road network's local metric projection (azimuthal equidistant
around the city), in which the cameras' headings are measured from grid north.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.service import Principal, scope_clause
from pingan.cameras import footprints
from pingan.cameras.models import DOWN_STATUSES, Camera
from pingan.cameras.schemas import Figure, FiguresRead
from pingan.coverage import camera_coverage, camera_coverage_occluded
from pingan.errors import Invalid
from pingan.geo.crs import LocalProjection
from pingan.incidents.models import Incident
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import index_for
from pingan.places.models import KeyArea
from pingan.roads import RoadNetwork

__all__ = [
    "SAMPLE_M",
    "Area",
    "Snapshot",
    "blind_spots",
    "clear_cache",
    "figures",
    "sector_ring",
    "sectors_geojson",
    "snapshot",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]

SAMPLE_M = 20.0
"""Road segments are sampled every 20 m (at most): each sample stands for its share of road."""
NETWORK_FILE = "roads.npz"
_TTL_S = 60.0
_STALE_S = 3600.0
"""How long a snapshot past its TTL is still answered while a fresh one loads behind."""

EXPLAIN = {
    "incidents_seen_share": (
        "Incidents of the last {days} days (drill, repeat, cancelled and duplicate calls left "
        "out) at a place that at least one working (online) camera sees: within its range and "
        "within ±half its field of view of its heading (360° domes in every direction), "
        "divided by all those incidents. Occlusion by buildings is not counted."
    ),
    "road_seen_share": (
        "The road network cut into pieces of at most 20 m; the length of the pieces whose "
        "midpoint a working camera sees, divided by the whole length. Each road is counted "
        "once (not per direction)."
    ),
    "down": "Cameras whose status is offline or maintenance; retired cameras are not counted.",
    "areas": (
        "Stations: points in the station's jurisdiction. Key areas: points inside the key "
        "area's polygon."
    ),
}


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Samples:
    """Road samples: position (lon/lat and metres), the length each stands for."""

    lon: F64
    lat: F64
    x: F64
    y: F64
    length_m: F64


_lock = threading.Lock()
_loading = threading.Lock()
_roads: dict[Path, tuple[int, RoadNetwork, _Samples]] = {}
_road_jids: dict[tuple[Path, int, int], I64] = {}
_snaps: dict[tuple[Any, ...], tuple[float, Snapshot]] = {}
_refreshing: set[tuple[Any, ...]] = set()


def _road_samples(net: RoadNetwork) -> _Samples:
    proj = net.projection
    x, y = proj.forward(net.node_lon, net.node_lat)
    if net.seg_u is not None and net.seg_v is not None:
        u, v = net.seg_u.astype(np.int64), net.seg_v.astype(np.int64)
    else:
        a = np.minimum(net.tail, net.head).astype(np.int64)
        b = np.maximum(net.tail, net.head).astype(np.int64)
        key = np.unique(a * net.n_nodes + b)
        u, v = key // net.n_nodes, key % net.n_nodes
    dx, dy = x[v] - x[u], y[v] - y[u]
    seg_len = np.hypot(dx, dy)
    n = np.maximum(1, np.ceil(seg_len / SAMPLE_M)).astype(np.int64)
    seg = np.repeat(np.arange(u.size), n)
    first = np.cumsum(n) - n
    k = np.arange(seg.size) - first[seg]
    t = (k + 0.5) / n[seg]
    sx = x[u][seg] + t * dx[seg]
    sy = y[u][seg] + t * dy[seg]
    lon, lat = proj.inverse(sx, sy)
    return _Samples(lon, lat, sx, sy, (seg_len / n)[seg])


def _sample_jurisdictions(session: Session, data_dir: Path, samples: _Samples) -> I64:
    """The finest jurisdiction of every road sample (-1 outside), kept while neither the
    network nor the jurisdictions change."""
    index = index_for(session)
    path = (Path(data_dir) / NETWORK_FILE).resolve()
    key = (path, id(samples), id(index))
    with _lock:
        hit = _road_jids.get(key)
    if hit is not None:
        return hit
    jid = np.asarray(index.assign(samples.lon, samples.lat).jurisdiction_id, dtype=np.int64)
    with _lock:
        for k in [k for k in _road_jids if k[0] == path]:
            del _road_jids[k]
        _road_jids[key] = jid
    return jid


def _network(data_dir: Path) -> tuple[RoadNetwork, _Samples] | None:
    path = (Path(data_dir) / NETWORK_FILE).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _lock:
        hit = _roads.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1], hit[2]
    net = RoadNetwork.load(path)
    samples = _road_samples(net)
    with _lock:
        _roads[path] = (mtime, net, samples)
    return net, samples


@dataclass(frozen=True)
class Area:
    """A station or a key area, as plain data (a snapshot outlives the session that read it)."""

    id: int
    code: str
    name_zh: str
    name_en: str
    geometry: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the figures need, in the caller's scope, with who-sees-what computed."""

    proj: LocalProjection
    since: dt.datetime
    history_days: int
    network: RoadNetwork | None
    # cameras (not retired)
    cam_id: I64
    cam_code: list[str]
    cam_xy: F64
    cam_heading: F64
    cam_fov: F64
    cam_range: F64
    cam_status: NDArray[np.str_]
    cam_station: I64
    # incidents
    inc_xy: F64
    inc_station: I64
    inc_seen: I64
    # road samples in scope
    road_xy: F64
    road_len: F64
    road_station: I64
    road_seen: I64
    # stations and key areas in scope
    stations: list[Area]
    key_areas: list[Area]
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    footprints: list[Any] = field(default_factory=list, compare=False, repr=False)
    """Building footprints near the cameras, in ``proj`` metres: when there are any, a
    camera sees a point only if no footprint's interior lies between them."""

    def coverage(self, xy: F64, cam_xy: F64, heading: F64, fov: Any, rng: Any) -> I64:
        """How many of the given cameras see each point, with occlusion when footprints are
        loaded (:func:`pingan.coverage.camera_coverage_occluded`)."""
        if self.footprints:
            return camera_coverage_occluded(xy, cam_xy, heading, fov, rng, self.footprints)
        return camera_coverage(xy, cam_xy, heading, fov, rng)

    @property
    def working(self) -> BoolA:
        """Cameras that count: online."""
        return np.asarray(self.cam_status == "online")


def _station_lookup(session: Session, principal: Principal) -> tuple[I64, BoolA]:
    """Arrays indexed by jurisdiction id: its station (-1: none), and whether it is inside the
    caller's scope."""
    rows = session.execute(select(Jurisdiction.id, Jurisdiction.level, Jurisdiction.path)).all()
    stations = {int(r[0]) for r in rows if r[1] == "station"}
    top = max((int(r[0]) for r in rows), default=0)
    out = np.full(top + 1, -1, dtype=np.int64)
    mine = np.zeros(top + 1, dtype=bool)
    for jid, _level, path in rows:
        mine[int(jid)] = principal.can_see(str(path))
        for part in str(path).strip("/").split("/"):
            if part and int(part) in stations:
                out[int(jid)] = int(part)
                break
    return out, mine


def _lookup(table: I64, ids: NDArray[Any]) -> I64:
    ids = np.asarray(ids, dtype=np.int64)
    ok = (ids >= 0) & (ids < table.size)
    out = np.full(ids.size, -1, dtype=np.int64)
    out[ok] = table[ids[ok]]
    return out


def snapshot(
    session: Session, *, principal: Principal, data_dir: Path, history_days: int = 365
) -> Snapshot:
    """Load and compute the arrays of the caller's scope (fresh for 60 s per scope, and
    reloaded at once when a camera or a footprint changes). Past 60 s a snapshot is still
    answered for up to an hour while a fresh one is loaded behind (its figures computed
    too), so only the first visit of a scope after the server starts waits for the load
    (about 10 s for the whole demo city with occlusion)."""
    if not 1 <= history_days <= 3650:
        raise Invalid("history_days", f"must be between 1 and 3650, got {history_days}")
    stamp = (
        *session.execute(
            select(func.count(Camera.id), func.max(Camera.updated_at), func.max(Camera.id))
        ).one(),
        *footprints.stamp(session),
    )
    key = (
        str(session.get_bind().engine.url),
        principal.jpath,
        history_days,
        str(Path(data_dir).resolve()),
        tuple(str(s) for s in stamp),
    )
    with _lock:
        hit = _snaps.get(key)
    now = time.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    if hit is not None and hit[0] + _STALE_S > now:
        _refresh_behind(session, key, principal, data_dir, history_days)
        return hit[1]
    with _loading:  # the page asks for figures and blind spots at once: compute them once
        now = time.monotonic()
        with _lock:
            hit = _snaps.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        snap = _load(session, principal=principal, data_dir=data_dir, history_days=history_days)
        _keep(key, snap)
        return snap


def _keep(key: tuple[Any, ...], snap: Snapshot) -> None:
    now = time.monotonic()
    with _lock:
        for k in [k for k, v in _snaps.items() if v[0] + _STALE_S <= now]:
            del _snaps[k]
        _snaps[key] = (now + _TTL_S, snap)


def _refresh_behind(
    session: Session,
    key: tuple[Any, ...],
    principal: Principal,
    data_dir: Path,
    history_days: int,
) -> None:
    """Load a fresh snapshot of ``key`` in a thread of its own (one at a time per key)."""
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)
    engine = session.get_bind().engine

    def run() -> None:
        try:
            with Session(engine) as s:
                snap = _load(s, principal=principal, data_dir=data_dir, history_days=history_days)
            figures(snap)  # the page's first call: its figures ready too
            _keep(key, snap)
        finally:
            with _lock:
                _refreshing.discard(key)

    threading.Thread(target=run, name="camera-snapshot", daemon=True).start()


def clear_cache() -> None:
    """Forget cached networks and snapshots (tests)."""
    with _lock:
        _roads.clear()
        _snaps.clear()
        _refreshing.clear()
        _road_jids.clear()


def _load(session: Session, *, principal: Principal, data_dir: Path, history_days: int) -> Snapshot:
    station_of, in_scope = _station_lookup(session, principal)
    conn = session.connection()  # Core rows: no ORM loading for 10^5 - 10^6 rows
    cams = conn.execute(
        select(
            Camera.id,
            Camera.code,
            Camera.lon,
            Camera.lat,
            Camera.heading_deg,
            Camera.fov_deg,
            Camera.range_m,
            Camera.status,
            Camera.station_id,
        )
        .where(scope_clause(principal, Camera.jpath), Camera.status != "retired")
        .order_by(Camera.id)
    ).all()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=history_days)
    inc = conn.execute(
        select(Incident.lon, Incident.lat, Incident.jurisdiction_id).where(
            scope_clause(principal, Incident.jpath),
            Incident.reported_at >= since,
            Incident.repeat_of_id.is_(None),
            Incident.state.not_in(("cancelled", "duplicate")),
            Incident.source != "drill",
        )
    ).all()
    stations = [
        Area(j.id, j.code, j.name_zh, j.name_en)
        for j in session.scalars(
            select(Jurisdiction)
            .where(Jurisdiction.level == "station", scope_clause(principal, Jurisdiction.path))
            .order_by(Jurisdiction.code)
        )
    ]
    key_areas = [
        Area(k.id, k.code, k.name_zh, k.name_en, k.geometry)
        for k in session.scalars(
            select(KeyArea).where(scope_clause(principal, KeyArea.jpath)).order_by(KeyArea.code)
        )
    ]
    loaded = _network(data_dir)
    cam_lon = np.array([c[2] for c in cams], dtype=np.float64)
    cam_lat = np.array([c[3] for c in cams], dtype=np.float64)
    inc_arr = np.array([(r[0], r[1], r[2] or -1) for r in inc], dtype=np.float64).reshape(-1, 3)
    if loaded is not None:
        net, samples = loaded
        proj = net.projection
    else:
        net = None
        lon_all = np.concatenate([cam_lon, inc_arr[:, 0]])
        lat_all = np.concatenate([cam_lat, inc_arr[:, 1]])
        if lon_all.size == 0:
            b = session.execute(
                select(func.min(Jurisdiction.min_lon), func.min(Jurisdiction.min_lat))
            ).one()
            lon_all = np.array([b[0] or 102.7])
            lat_all = np.array([b[1] or 25.0])
        proj = LocalProjection.around(lon_all, lat_all)
    cx, cy = proj.forward(cam_lon, cam_lat)
    cam_xy = np.column_stack([cx, cy])
    heading = np.array([c[4] for c in cams], dtype=np.float64)
    fov = np.array([c[5] for c in cams], dtype=np.float64)
    rng = np.array([c[6] for c in cams], dtype=np.float64)
    status = np.array([c[7] for c in cams], dtype=str)
    work = status == "online"
    near = footprints.load_near(  # around the cameras and the incidents (where siting looks)
        session,
        lon=np.concatenate([cam_lon, inc_arr[:, 0]]),
        lat=np.concatenate([cam_lat, inc_arr[:, 1]]),
        margin_m=max(350.0, float(rng.max(initial=0.0)) + 50.0),
        proj=proj,
    )

    def seen(xy: F64) -> I64:
        if not work.any() or xy.shape[0] == 0:
            return np.zeros(xy.shape[0], dtype=np.int64)
        if near:
            return camera_coverage_occluded(
                xy, cam_xy[work], heading[work], fov[work], rng[work], near
            )
        return camera_coverage(xy, cam_xy[work], heading[work], fov[work], rng[work])

    ix, iy = proj.forward(inc_arr[:, 0], inc_arr[:, 1])
    inc_xy = np.column_stack([ix, iy])
    if net is not None:
        jid = _sample_jurisdictions(session, data_dir, samples)
        ok = (jid >= 0) & (jid < in_scope.size)
        mine = np.zeros(jid.size, dtype=bool)
        mine[ok] = in_scope[jid[ok]]
        road_xy = np.column_stack([samples.x[mine], samples.y[mine]])
        road_len = samples.length_m[mine]
        road_station = _lookup(station_of, jid[mine])
    else:
        road_xy = np.empty((0, 2))
        road_len = np.empty(0)
        road_station = np.empty(0, dtype=np.int64)
    return Snapshot(
        proj=proj,
        since=since,
        history_days=history_days,
        network=net,
        cam_id=np.array([c[0] for c in cams], dtype=np.int64),
        cam_code=[c[1] for c in cams],
        cam_xy=cam_xy,
        cam_heading=heading,
        cam_fov=fov,
        cam_range=rng,
        cam_status=status,
        cam_station=np.array([c[8] or -1 for c in cams], dtype=np.int64),
        inc_xy=inc_xy,
        inc_station=_lookup(station_of, inc_arr[:, 2].astype(np.int64)),
        inc_seen=seen(inc_xy),
        road_xy=road_xy,
        road_len=road_len,
        road_station=road_station,
        road_seen=seen(road_xy),
        stations=stations,
        key_areas=key_areas,
        footprints=near,
    )


# --------------------------------------------------------------------------- figures


def share(part: float, whole: float) -> float | None:
    return None if whole <= 0 else round(part / whole, 4)


def _figure(
    snap: Snapshot,
    *,
    id: int,
    code: str,
    name: str,
    cam: BoolA,
    inc: BoolA,
    road: BoolA,
) -> Figure:
    st = snap.cam_status[cam]
    n_inc = int(inc.sum())
    n_seen = int((snap.inc_seen[inc] > 0).sum())
    road_m = float(snap.road_len[road].sum())
    road_seen_m = float(snap.road_len[road & (snap.road_seen > 0)].sum())
    return Figure(
        id=id,
        code=code,
        name=name,
        cameras=int(cam.sum()),
        working=int((st == "online").sum()),
        down=int(np.isin(st, DOWN_STATUSES).sum()),
        incidents=n_inc,
        incidents_seen=n_seen,
        incidents_seen_share=share(n_seen, n_inc),
        road_m=round(road_m, 1),
        road_seen_m=round(road_seen_m, 1),
        road_seen_share=share(road_seen_m, road_m),
    )


class _ByX:
    """Points sorted by x, so that the points of a box are found by two binary searches."""

    def __init__(self, xy: F64) -> None:
        self.xy = xy
        self.order = np.argsort(xy[:, 0], kind="stable")
        self.x = xy[self.order, 0]

    def inside(self, g: shapely.Geometry) -> BoolA:
        """Points (metres) inside ``g`` (a polygon in the same frame): O(log n + k) for the k
        points in its x range, then GEOS for those in its box."""
        x0, y0, x1, y1 = shapely.bounds(g)
        out = np.zeros(self.xy.shape[0], dtype=bool)
        lo = int(np.searchsorted(self.x, x0, side="left"))
        hi = int(np.searchsorted(self.x, x1, side="right"))
        idx = self.order[lo:hi]
        y = self.xy[idx, 1]
        idx = idx[(y >= y0) & (y <= y1)]
        if idx.size:
            out[idx] = shapely.contains_xy(g, self.xy[idx, 0], self.xy[idx, 1])
        return out


def _projected(snap: Snapshot, geometry: str) -> shapely.Geometry:
    def fwd(c: F64) -> F64:
        x, y = snap.proj.forward(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    g = shapely.transform(shapely.from_geojson(geometry), fwd)
    shapely.prepare(g)
    return g


def figures(snap: Snapshot, *, lang: str = "zh-CN") -> FiguresRead:
    """Cameras, working and down; incidents seen; road length seen — for the whole scope, per
    station and per key area, each with how it was made (kept with the snapshot)."""
    key = ("figures", lang)
    hit = snap.memo.get(key)
    if hit is None:
        hit = snap.memo[key] = _figures(snap, lang)
    out: FiguresRead = hit
    return out


def _figures(snap: Snapshot, lang: str) -> FiguresRead:
    every_c = np.ones(snap.cam_id.size, dtype=bool)
    total = _figure(
        snap,
        id=0,
        code="*",
        name="全部" if lang != "en" else "All",
        cam=every_c,
        inc=np.ones(snap.inc_xy.shape[0], dtype=bool),
        road=np.ones(snap.road_len.size, dtype=bool),
    )
    stations = [
        _figure(
            snap,
            id=s.id,
            code=s.code,
            name=s.name_en if lang == "en" else s.name_zh,
            cam=snap.cam_station == s.id,
            inc=snap.inc_station == s.id,
            road=snap.road_station == s.id,
        )
        for s in snap.stations
    ]
    key_areas = []
    cams_x, inc_x, road_x = _ByX(snap.cam_xy), _ByX(snap.inc_xy), _ByX(snap.road_xy)
    for k in snap.key_areas:
        g = _projected(snap, k.geometry or "{}")
        key_areas.append(
            _figure(
                snap,
                id=k.id,
                code=k.code,
                name=k.name_en if lang == "en" else k.name_zh,
                cam=cams_x.inside(g),
                inc=inc_x.inside(g),
                road=road_x.inside(g),
            )
        )
    explanation = {k: v.format(days=snap.history_days) for k, v in EXPLAIN.items()}
    if snap.network is None:
        explanation["road_seen_share"] = (
            "No road network is loaded (`pingan roads import` or `pingan demo`): road length "
            "is not measured."
        )
    if snap.footprints:
        for figure in ("incidents_seen_share", "road_seen_share"):
            explanation[figure] += (
                f" Line of sight: {len(snap.footprints)} building footprints are loaded; a "
                "point behind a building (the straight line to the camera crosses its inside) "
                "is not seen."
            )
    return FiguresRead(
        history_days=snap.history_days,
        since=snap.since,
        total=total,
        stations=stations,
        key_areas=key_areas,
        explanation=explanation,
    )


def blind_spots(snap: Snapshot, *, cell_size_m: float = 250.0, limit: int = 2000) -> dict[str, Any]:
    """Square cells of ``cell_size_m`` weighted by the incidents no working camera sees, as a
    GeoJSON FeatureCollection (the ``limit`` cells with most unseen incidents), each with its
    incidents, those unseen and the unseen share."""
    if not 50 <= cell_size_m <= 5000:
        raise Invalid("cell_size_m", f"must be between 50 and 5000 m, got {cell_size_m:g}")
    xy = snap.inc_xy
    feats: list[dict[str, Any]] = []
    if xy.shape[0]:
        x0, y0 = np.floor(xy.min(axis=0) / cell_size_m) * cell_size_m
        col = ((xy[:, 0] - x0) // cell_size_m).astype(np.int64)
        row = ((xy[:, 1] - y0) // cell_size_m).astype(np.int64)
        ncol = int(col.max()) + 1
        key = row * ncol + col
        cells, inv = np.unique(key, return_inverse=True)
        n = np.bincount(inv)
        unseen = np.bincount(inv, weights=(snap.inc_seen == 0).astype(np.float64)).astype(int)
        order = np.argsort(-unseen, kind="stable")
        order = order[unseen[order] > 0][:limit]
        r, c = cells[order] // ncol, cells[order] % ncol
        xs = x0 + c * cell_size_m
        ys = y0 + r * cell_size_m
        corners_x = np.stack([xs, xs + cell_size_m, xs + cell_size_m, xs, xs], axis=1)
        corners_y = np.stack([ys, ys, ys + cell_size_m, ys + cell_size_m, ys], axis=1)
        lon, lat = snap.proj.inverse(corners_x.ravel(), corners_y.ravel())
        lon = lon.reshape(-1, 5)
        lat = lat.reshape(-1, 5)
        for i, k in enumerate(order.tolist()):
            ring = [
                [round(float(a), 6), round(float(b), 6)]
                for a, b in zip(lon[i], lat[i], strict=False)
            ]
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "incidents": int(n[k]),
                        "unseen": int(unseen[k]),
                        "unseen_share": round(float(unseen[k] / n[k]), 3),
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "features": feats,
        "cell_size_m": cell_size_m,
        "history_days": snap.history_days,
        "explanation": (
            f"The incidents of the last {snap.history_days} days that no working camera sees, "
            f"counted in {cell_size_m:g} m squares; the {len(feats)} squares with most such "
            "incidents."
        ),
    }


# --------------------------------------------------------------------------- sectors


def sector_ring(
    lon: float, lat: float, heading_deg: float, fov_deg: float, range_m: float, *, steps: int = 12
) -> list[list[float]]:
    """The closed ring (lon/lat) of a camera's view sector for drawing (a local flat-earth
    approximation, exact enough at a few hundred metres)."""
    m_lat = 111_320.0
    m_lon = m_lat * math.cos(math.radians(lat))
    if fov_deg >= 360:
        angles = np.linspace(0, 360, 4 * steps + 1)
        pts = []
    else:
        angles = np.linspace(heading_deg - fov_deg / 2, heading_deg + fov_deg / 2, steps + 1)
        pts = [[lon, lat]]
    for a in np.radians(angles):
        pts.append(
            [
                round(lon + range_m * math.sin(a) / m_lon, 6),
                round(lat + range_m * math.cos(a) / m_lat, 6),
            ]
        )
    pts.append(pts[0])
    return pts


def sectors_geojson(cameras: list[Camera]) -> dict[str, Any]:
    """View sectors of the given cameras as GeoJSON polygons with code and status."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": c.id,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [sector_ring(c.lon, c.lat, c.heading_deg, c.fov_deg, c.range_m)],
                },
                "properties": {"id": c.id, "code": c.code, "status": c.status},
            }
            for c in cameras
        ],
    }
