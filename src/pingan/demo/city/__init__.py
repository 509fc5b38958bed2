"""Seeded generator of the demo city: jurisdictions, roads, places, forces, cameras and users.

The city is modelled on Kunming: a 25 x 20 km plateau centred near lon 102.71, lat 25.04, with
a lake (after Dian Lake) bounding it to the south-west and two rivers flowing into the lake.
Everything is built in a local metric frame (``pingan.geo.crs.LocalProjection``) and converted
to WGS-84 at the end. The generative choices are documented in ``src/pingan/demo/model.md``.

``build_city(seed=...)`` is deterministic: the same seed gives byte-identical arrays on any
machine (only numpy's ``default_rng``, stable sorts and GEOS overlays with a fixed precision
grid are used). With ``osm_path`` and ``bbox`` the same jurisdictions, places, forces and
cameras are laid over a real OSM road network instead of the synthetic one.

Time: about 2 s and under 200 MB for the default city (dominated by the road network of
~73,000 nodes and the point-in-polygon look-ups); memory O(road nodes + places + cameras).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import MultiPoint, Polygon, box

from pingan import roads
from pingan.demo import names as nm
from pingan.geo.crs import LocalProjection, haversine_m
from pingan.places.kinds import PREMISES_KINDS

__all__ = [
    "CENTER_LAT",
    "CENTER_LON",
    "HALF_HEIGHT_M",
    "HALF_WIDTH_M",
    "PLACE_KINDS",
    "ROAD_CLASSES",
    "SPEED_KPH_BY_CLASS",
    "UNIT_KINDS",
    "Area",
    "Cameras",
    "City",
    "KeyArea",
    "Person",
    "Places",
    "RoadArrays",
    "Units",
    "build_city",
    "city_frame",
    "locate_cells",
    "urban_density",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]
StrA = NDArray[np.str_]

CENTER_LON: Final = 102.71
CENTER_LAT: Final = 25.04
HALF_WIDTH_M: Final = 12_500.0
HALF_HEIGHT_M: Final = 10_000.0
BUREAU_CODE: Final = "5301"
_GRID: Final = 0.01  # metres: precision grid of every overlay, keeps shared edges identical

# the classes the generator draws, in pingan.roads' order (most major first)
_NOT_DRAWN: Final = frozenset(("unclassified", "road", "track", "pedestrian", "path", "steps"))
ROAD_CLASSES: Final[tuple[str, ...]] = tuple(
    c for c in roads.ROAD_CLASSES if c not in _NOT_DRAWN | {"cycleway"}
)
PLACE_KINDS: Final[tuple[str, ...]] = PREMISES_KINDS
UNIT_KINDS: Final[tuple[str, ...]] = (
    "fixed_post",
    "mobile_kiosk",
    "patrol_car",
    "motorcycle",
    "foot_team",
    "tactical_unit",
    "drone",
    "drone_base",
)
# free-flow speeds by class (km/h): the routing's own (pingan.roads)
SPEED_KPH_BY_CLASS: Final[dict[str, float]] = {c: roads.free_flow_kph(c) for c in ROAD_CLASSES}
_C = {c: i for i, c in enumerate(ROAD_CLASSES)}
_MAJOR = np.arange(len(ROAD_CLASSES)) <= _C["tertiary_link"]  # motorway .. tertiary_link


# --------------------------------------------------------------------------------------------
# public data classes
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Area:
    """A district, station, community or grid cell (or the bureau itself)."""

    code: str
    level: str
    name_zh: str
    name_en: str
    parent_code: str | None
    polygon: Polygon
    owner_officer: str | None = None
    station_lon: float | None = None
    station_lat: float | None = None


@dataclass(frozen=True)
class RoadArrays:
    """Undirected road segments; ``oneway`` means vehicles may only go ``u -> v``."""

    node_lon: F64
    node_lat: F64
    u: I64
    v: I64
    road_class: StrA
    length_m: F64
    oneway: BoolA
    bridge: BoolA
    name_zh: StrA
    name_en: StrA
    speed_kph: F64  # free-flow speed of the class (SPEED_KPH_BY_CLASS)


@dataclass(frozen=True)
class Places:
    """Points of interest as equal-length arrays."""

    kind: StrA
    name_zh: StrA
    name_en: StrA
    lon: F64
    lat: F64
    cell_code: StrA
    capacity: I64
    police_room: BoolA


@dataclass(frozen=True)
class KeyArea:
    """A rapid-response key area with its 1/3/5-minute response standard."""

    code: str
    name_zh: str
    name_en: str
    polygon: Polygon
    response_standard_s: int
    kind: str


@dataclass(frozen=True)
class Units:
    """Police forces (posts, kiosks, vehicles, teams, drones) with positions and status."""

    code: StrA
    kind: StrA
    name_zh: StrA
    name_en: StrA
    station_code: StrA
    lon: F64
    lat: F64
    status: StrA


@dataclass(frozen=True)
class Cameras:
    """Cameras with position, heading (degrees clockwise from north), field of view and range."""

    code: StrA
    lon: F64
    lat: F64
    heading_deg: F64
    fov_deg: F64
    range_m: F64
    station_code: StrA


@dataclass(frozen=True)
class Person:
    """A fictional user of the demo."""

    username: str
    display_name_zh: str
    display_name_en: str
    role: str
    jurisdiction_code: str


@dataclass(frozen=True)
class City:
    """The whole demo city."""

    seed: int
    name_zh: str
    name_en: str
    center_lon: float
    center_lat: float
    bureau: Area
    districts: list[Area]
    stations: list[Area]
    communities: list[Area]
    cells: list[Area]
    lake: Polygon
    roads: RoadArrays
    places: Places
    key_areas: list[KeyArea]
    units: Units
    cameras: Cameras
    people: list[Person]
    half_width_m: float = field(default=HALF_WIDTH_M)
    half_height_m: float = field(default=HALF_HEIGHT_M)


# --------------------------------------------------------------------------------------------
# frame helpers
# --------------------------------------------------------------------------------------------
def urban_density(x_m: F64, y_m: F64, *, half_width_m: float, half_height_m: float) -> F64:
    """Relative urban density (about 1 at the old centre, 0.04 in the countryside).

    A main centre at the frame origin and a new town to the south-east, each an exponential
    in normalised distance. Time and memory O(n).
    """
    u = np.asarray(x_m, dtype=np.float64) / half_width_m
    v = np.asarray(y_m, dtype=np.float64) / half_height_m
    r1 = np.hypot(u, v)
    r2 = np.hypot(u - 0.45, v + 0.62)
    return np.asarray(np.exp(-r1 / 0.26) + 0.45 * np.exp(-r2 / 0.14) + 0.04, dtype=np.float64)


def city_frame(city: City) -> LocalProjection:
    """The local metric projection of ``city`` (its centre is the frame origin)."""
    return LocalProjection(city.center_lon, city.center_lat)


def locate_cells(cells: list[Area], lon: F64, lat: F64) -> I64:
    """Index into ``cells`` of the cell containing each point, -1 outside every cell.

    Points on a shared edge go to the lowest cell index. Uses a shapely STRtree; time
    O(n log c) for n points and c cells, memory O(n).
    """
    polys = np.array([c.polygon for c in cells], dtype=object)
    tree = shapely.STRtree(polys)
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    out = np.full(len(lon_a), -1, dtype=np.int64)
    chunk = 262_144  # bounds the memory of the shapely points to ~30 MB
    for a in range(0, len(lon_a), chunk):
        pts = shapely.points(lon_a[a : a + chunk], lat_a[a : a + chunk])
        pi, ci = tree.query(pts, predicate="intersects")
        order = np.lexsort((ci, pi))
        pi, ci = pi[order], ci[order]
        first = np.ones(len(pi), dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        out[a + pi[first]] = ci[first]
    return out


@dataclass(frozen=True)
class _Frame:
    proj: LocalProjection
    hw: float
    hh: float
    land: Polygon
    lake: Polygon
    rivers: list[F64]

    def dens(self, x: F64, y: F64) -> F64:
        return urban_density(x, y, half_width_m=self.hw, half_height_m=self.hh)


def _ring(
    cx: float,
    cy: float,
    a: float,
    b: float,
    rot_deg: float,
    wobble: list[tuple[float, int, float]],
    n: int,
) -> F64:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    r = np.ones_like(t)
    for amp, k, ph in wobble:
        r += amp * np.sin(k * t + ph)
    x0, y0 = a * r * np.cos(t), b * r * np.sin(t)
    c, s = math.cos(math.radians(rot_deg)), math.sin(math.radians(rot_deg))
    return np.column_stack([cx + c * x0 - s * y0, cy + s * x0 + c * y0])


def _densify(ctrl: F64, step_m: float, meander_m: float, wavelength_m: float) -> F64:
    seg = np.diff(ctrl, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = np.arange(0.0, cum[-1], step_m)
    x = np.interp(s, cum, ctrl[:, 0])
    y = np.interp(s, cum, ctrl[:, 1])
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    nx, ny = -seg[k, 1] / seg_len[k], seg[k, 0] / seg_len[k]
    off = meander_m * np.sin(2 * np.pi * s / wavelength_m) * np.sin(np.pi * s / cum[-1])
    return np.column_stack([x + nx * off, y + ny * off])


def _kunming_frame() -> _Frame:
    proj = LocalProjection(CENTER_LON, CENTER_LAT)
    hw, hh = HALF_WIDTH_M, HALF_HEIGHT_M
    lake_xy = _ring(
        -9_800.0,
        -9_500.0,
        3_900.0,
        8_600.0,
        -15.0,
        [(0.06, 3, 0.5), (0.035, 7, 1.3), (0.015, 13, 2.0)],
        720,
    )
    lake = shapely.set_precision(Polygon(lake_xy), _GRID)
    # straight edges in metres are curves in lon/lat: densify so that every polygon cut from
    # the land shares the same vertices along the boundary
    frame_box = shapely.segmentize(box(-hw, -hh, hw, hh), 50.0)
    land = shapely.difference(frame_box, lake, grid_size=_GRID)
    if not isinstance(land, Polygon):  # pragma: no cover - fixed geometry
        raise ValueError("land: the lake split the city; fix the lake geometry")
    panlong = _densify(
        np.array(
            [
                [1800.0, 10_050.0],
                [1200.0, 6500.0],
                [300.0, 3000.0],
                [-600.0, 0.0],
                [-2500.0, -2600.0],
                [-5600.0, -4000.0],
                [-7600.0, -4300.0],
                [-9_500.0, -4800.0],
            ]
        ),
        15.0,
        140.0,
        900.0,
    )
    baoxiang = _densify(
        np.array(
            [
                [12_550.0, -3000.0],
                [8000.0, -4300.0],
                [3000.0, -6100.0],
                [-2500.0, -7600.0],
                [-6000.0, -8300.0],
                [-8000.0, -8600.0],
            ]
        ),
        15.0,
        110.0,
        800.0,
    )
    rivers = []
    for r in (panlong, baoxiang):
        keep = shapely.contains_xy(land, r[:, 0], r[:, 1])
        rivers.append(r[keep])
    return _Frame(proj, hw, hh, land, lake, rivers)


def _bbox_frame(bbox: tuple[float, float, float, float]) -> _Frame:
    w, s, e, n = bbox
    if not (w < e and s < n):
        raise ValueError(f"bbox: must be W,S,E,N with W < E and S < N, got {bbox}")
    proj = LocalProjection((w + e) / 2.0, (s + n) / 2.0)
    xs, ys = proj.forward(np.array([w, e, w, e]), np.array([s, s, n, n]))
    hw = float(min(-xs.min(), xs.max()))
    hh = float(min(-ys.min(), ys.max()))
    land = shapely.set_precision(shapely.segmentize(box(-hw, -hh, hw, hh), 20.0), _GRID)
    return _Frame(proj, hw, hh, land, Polygon(), [])


# --------------------------------------------------------------------------------------------
# jurisdictions
# --------------------------------------------------------------------------------------------
def _as_polygon(g: shapely.Geometry, seed_xy: tuple[float, float]) -> tuple[Polygon, list[Polygon]]:
    """Split ``g`` into the part holding the seed and the orphan parts."""
    parts: list[Polygon] = []
    if isinstance(g, Polygon):
        parts = [g]
    else:
        parts = [p for p in getattr(g, "geoms", []) if isinstance(p, Polygon) and p.area > 0]
    if len(parts) == 1:
        return parts[0], []
    pt = shapely.points(seed_xy[0], seed_xy[1])
    idx = [i for i, p in enumerate(parts) if p.intersects(pt)]
    k = idx[0] if idx else int(np.argmax([p.area for p in parts]))
    return parts[k], [p for i, p in enumerate(parts) if i != k]


def _partition(parent: Polygon, seeds: F64) -> list[Polygon]:
    """Voronoi partition of ``parent`` by ``seeds`` (in order); every piece a single polygon.

    Parts of a Voronoi cell cut off by a concave parent are merged into the neighbouring piece
    with which they share the longest edge. Time O(k log k) for k seeds (GEOS).
    """
    if len(seeds) == 1:
        return [parent]
    env = parent.envelope.buffer(10.0)
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=env, ordered=True)
    cells = list(vor.geoms)
    pieces = shapely.intersection(np.array(cells, dtype=object), parent, grid_size=_GRID)
    kept: list[Polygon] = []
    orphans: list[Polygon] = []
    for g, sd in zip(pieces, seeds, strict=True):
        p, orph = _as_polygon(g, (float(sd[0]), float(sd[1])))
        kept.append(p)
        orphans.extend(orph)
    for o in sorted(orphans, key=lambda p: -p.area):
        shared = [shapely.intersection(o.boundary, k.boundary).length for k in kept]
        j = int(np.argmax(shared))
        merged = shapely.union(kept[j], o, grid_size=_GRID)
        if isinstance(merged, Polygon):
            kept[j] = merged
    # densify: a straight edge in metres is a curve in lon/lat, so every polygon carries a
    # vertex every 50 m, identical on both sides of a shared edge (snapped to the 1 cm grid)
    dense = shapely.set_precision(shapely.segmentize(np.array(kept, dtype=object), 50.0), _GRID)
    return [p if isinstance(p, Polygon) else _as_polygon(p, (0.0, 0.0))[0] for p in dense]


def _best_candidates(
    rng: np.random.Generator, poly: Polygon, n: int, frame: _Frame, *, dens_power: float = 0.5
) -> F64:
    """``n`` well-spread seed points in ``poly``, closer together where density is higher.

    Mitchell's best-candidate sampling over a pool of 40n random points (O(n^2) per polygon).
    """
    minx, miny, maxx, maxy = poly.bounds
    pool = np.empty((0, 2))
    tries = 0
    while len(pool) < 40 * n and tries < 50:
        m = 80 * n + 50
        c = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        c = c[shapely.contains_xy(poly, c[:, 0], c[:, 1])]
        pool = np.vstack([pool, c])
        tries += 1
    if len(pool) < n:  # pragma: no cover - tiny slivers
        rp = poly.representative_point()
        return np.repeat(np.array([[rp.x, rp.y]]), n, axis=0) + rng.normal(0, 1e-3, (n, 2))
    w = frame.dens(pool[:, 0], pool[:, 1]) ** dens_power
    chosen = [int(np.argmax(w + rng.random(len(pool)) * 1e-9))]
    dmin = np.hypot(pool[:, 0] - pool[chosen[0], 0], pool[:, 1] - pool[chosen[0], 1])
    for _ in range(n - 1):
        k = int(np.argmax(dmin * w))
        chosen.append(k)
        dmin = np.minimum(dmin, np.hypot(pool[:, 0] - pool[k, 0], pool[:, 1] - pool[k, 1]))
    return np.asarray(pool[np.array(chosen)], dtype=np.float64)


def _allocate(total: int, weights: F64, lo: int, hi: int) -> I64:
    """Integer allocation of ``total`` proportional to ``weights`` within [lo, hi]."""
    w = np.asarray(weights, dtype=np.float64)
    alloc = np.clip(np.floor(total * w / w.sum()).astype(np.int64), lo, hi)
    order = np.argsort(-(total * w / w.sum() - np.floor(total * w / w.sum())), kind="stable")
    i = 0
    while alloc.sum() < total and i < 10 * len(w):
        k = order[i % len(w)]
        if alloc[k] < hi:
            alloc[k] += 1
        i += 1
    i = 0
    while alloc.sum() > total and i < 10 * len(w):
        k = order[::-1][i % len(w)]
        if alloc[k] > lo:
            alloc[k] -= 1
        i += 1
    return np.asarray(alloc, dtype=np.int64)


def _mass(frame: _Frame, polys: list[Polygon]) -> F64:
    cx = np.array([p.centroid.x for p in polys])
    cy = np.array([p.centroid.y for p in polys])
    return np.array([p.area for p in polys]) * frame.dens(cx, cy)


_DISTRICT_SEEDS_FRAC: Final = np.array(
    [[-0.02, 0.08], [0.14, 0.72], [0.64, 0.15], [-0.60, 0.45], [0.40, -0.65]]
)


@dataclass
class _Jur:
    districts: list[Polygon]
    stations: list[Polygon]
    station_pts: F64
    station_district: I64
    communities: list[Polygon]
    community_station: I64
    cells: list[Polygon]
    cell_community: I64


def _jurisdictions(rng: np.random.Generator, frame: _Frame) -> _Jur:
    land_km2 = frame.land.area / 1e6
    f = float(np.clip(land_km2 / 440.0, 0.05, 1.0))
    n_st, n_com, n_cell = max(5, round(35 * f)), max(25, round(432 * f)), max(175, round(3000 * f))
    dseeds = _DISTRICT_SEEDS_FRAC * np.array([frame.hw, frame.hh])
    inland = shapely.contains_xy(frame.land, dseeds[:, 0], dseeds[:, 1])
    if not inland.all():  # pragma: no cover - fixed layout
        raise ValueError("bbox: the district seed points fall outside the land")
    districts = _partition(frame.land, dseeds)
    st_alloc = _allocate(n_st, _mass(frame, districts), 1, 50)
    stations: list[Polygon] = []
    st_pts: list[F64] = []
    st_dist: list[int] = []
    for d, poly in enumerate(districts):
        seeds = _best_candidates(rng, poly, int(st_alloc[d]), frame)
        seeds = seeds[np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], -2)))]
        stations.extend(_partition(poly, seeds))
        st_pts.append(seeds)
        st_dist.extend([d] * len(seeds))
    com_alloc = _allocate(n_com, _mass(frame, stations), 3, 60)
    communities: list[Polygon] = []
    com_st: list[int] = []
    for s, poly in enumerate(stations):
        seeds = _best_candidates(rng, poly, int(com_alloc[s]), frame)
        seeds = seeds[np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], -2)))]
        communities.extend(_partition(poly, seeds))
        com_st.extend([s] * len(seeds))
    cell_alloc = _allocate(n_cell, _mass(frame, communities) ** 0.6, 4, 12)
    cells: list[Polygon] = []
    cell_com: list[int] = []
    for c, poly in enumerate(communities):
        seeds = _best_candidates(rng, poly, int(cell_alloc[c]), frame, dens_power=0.3)
        seeds = seeds[np.lexsort((seeds[:, 0], -np.round(seeds[:, 1], -1)))]
        cells.extend(_partition(poly, seeds))
        cell_com.extend([c] * len(seeds))
    return _Jur(
        districts,
        stations,
        np.vstack(st_pts),
        np.array(st_dist, dtype=np.int64),
        communities,
        np.array(com_st, dtype=np.int64),
        cells,
        np.array(cell_com, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------
# synthetic roads
# --------------------------------------------------------------------------------------------
@dataclass
class _Net:
    """Growing road network in metres."""

    x: list[F64] = field(default_factory=list)
    y: list[F64] = field(default_factory=list)
    n: int = 0
    u: list[I64] = field(default_factory=list)
    v: list[I64] = field(default_factory=list)
    cls: list[I64] = field(default_factory=list)
    oneway: list[BoolA] = field(default_factory=list)
    name: list[I64] = field(default_factory=list)

    def add_nodes(self, xy: F64) -> I64:
        ids = np.arange(self.n, self.n + len(xy), dtype=np.int64)
        self.x.append(np.asarray(xy[:, 0], dtype=np.float64))
        self.y.append(np.asarray(xy[:, 1], dtype=np.float64))
        self.n += len(xy)
        return ids

    def add_edges(
        self, u: I64, v: I64, cls: I64 | int, name: I64 | int, oneway: BoolA | bool = False
    ) -> None:
        m = len(u)
        self.u.append(np.asarray(u, dtype=np.int64))
        self.v.append(np.asarray(v, dtype=np.int64))
        self.cls.append(np.broadcast_to(np.asarray(cls, dtype=np.int64), (m,)).copy())
        self.name.append(np.broadcast_to(np.asarray(name, dtype=np.int64), (m,)).copy())
        self.oneway.append(np.broadcast_to(np.asarray(oneway, dtype=bool), (m,)).copy())


def _polyline_in_land(frame: _Frame, xy: F64) -> F64:
    ok = shapely.contains_xy(frame.land, xy[:, 0], xy[:, 1])
    bad = np.flatnonzero(~ok)
    return xy[: bad[0]] if len(bad) else xy


def _synthetic_roads(rng: np.random.Generator, frame: _Frame, districts: list[Polygon]) -> _Net:
    """Rings, radials, warped district grids, stitches and cul-de-sacs (metres, unfinished).

    Time and memory O(nodes); one loop per district and per radial.
    """
    net = _Net()
    name_i = 0

    def next_name() -> int:
        nonlocal name_i
        name_i += 1
        return name_i - 1

    # --- arterials: inner ring (primary) and radials ---------------------------------------
    inner = _ring(-300.0, 600.0, 2100.0, 1800.0, 8.0, [(0.04, 3, 0.3), (0.02, 5, 1.1)], 230)
    inner_ids = net.add_nodes(inner)
    net.add_edges(inner_ids, np.roll(inner_ids, -1), _C["primary"], next_name())
    ring = _ring(300.0, 200.0, 6700.0, 5700.0, -6.0, [(0.03, 2, 0.7), (0.02, 5, 2.0)], 400)
    ring = ring[~shapely.contains_xy(frame.lake, ring[:, 0], ring[:, 1])]
    ring_ids = net.add_nodes(ring)
    net.add_edges(ring_ids, np.roll(ring_ids, -1), _C["motorway"], next_name())
    art_xy = [inner]
    radials: list[tuple[I64, F64]] = []
    for k in range(9):
        ang = math.radians(20.0 + k * 40.0 + rng.uniform(-8, 8))
        start = int(
            np.argmin(
                np.abs(
                    np.angle(
                        np.exp(1j * (np.arctan2(inner[:, 1] - 600.0, inner[:, 0] + 300.0) - ang))
                    )
                )
            )
        )
        p0 = inner[start]
        steps = np.arange(1, 400)
        drift = np.radians(7.0) * np.sin(steps * 60.0 / 2500.0 + rng.uniform(0, 6.28))
        heading = ang + drift
        xy = p0 + np.column_stack(
            [np.cumsum(60.0 * np.cos(heading)), np.cumsum(60.0 * np.sin(heading))]
        )
        xy = _polyline_in_land(frame, xy)
        if len(xy) < 5:
            continue
        ids = net.add_nodes(xy)
        chain = np.concatenate([[inner_ids[start]], ids])
        r_el = np.hypot((xy[:, 0] - 300.0) / 6700.0, (xy[:, 1] - 200.0) / 5700.0)
        cls = np.where(r_el < 1.0, _C["primary"], _C["trunk"])
        rname = next_name()
        net.add_edges(chain[:-1], chain[1:], cls, rname)
        art_xy.append(xy)
        radials.append((ids, xy))
        # interchange with the expressway ring: two slip roads
        tr = cKDTree(ring)
        d, j = tr.query(xy)
        i_cross = int(np.argmin(d))
        if d[i_cross] < 150 and 5 <= i_cross < len(xy) - 5:
            jr = int(j[i_cross])
            a = np.array([ring_ids[(jr - 4) % len(ring_ids)], ring_ids[(jr + 4) % len(ring_ids)]])
            b = np.array([ids[i_cross - 4], ids[i_cross + 4]])
            net.add_edges(a, b, _C["motorway_link"], rname)
    art_all = np.vstack(art_xy)
    art_ids = np.concatenate([inner_ids] + [r[0] for r in radials])
    art_tree = cKDTree(art_all)
    riv = np.vstack(frame.rivers) if frame.rivers else np.empty((0, 2))
    riv_tree = cKDTree(riv) if len(riv) else None

    # --- warped grid per district ----------------------------------------------------------
    angles = (12.0, -8.0, 28.0, -18.0, 38.0)
    spacing = (118.0, 150.0, 150.0, 165.0, 140.0)
    node_dist: list[I64] = []
    node_s: list[F64] = []
    oneway_done = False
    for d, poly in enumerate(districts):
        th = math.radians(angles[d % 5])
        s = spacing[d % 5]
        c, si = math.cos(th), math.sin(th)
        cx, cy = poly.centroid.x, poly.centroid.y
        bx = np.array(poly.exterior.coords)
        p = c * (bx[:, 0] - cx) + si * (bx[:, 1] - cy)
        q = -si * (bx[:, 0] - cx) + c * (bx[:, 1] - cy)
        i0, i1 = int(np.floor(p.min() / s)) - 1, int(np.ceil(p.max() / s)) + 1
        j0, j1 = int(np.floor(q.min() / s)) - 1, int(np.ceil(q.max() / s)) + 1
        ni, nj = i1 - i0 + 1, j1 - j0 + 1
        ii, jj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1), indexing="ij")
        pp, qq = ii * s, jj * s
        x = cx + c * pp - si * qq
        y = cy + si * pp + c * qq
        ph = rng.uniform(0, 2 * np.pi, 4)
        lam = rng.uniform(1800, 3500, 4)
        wx = (
            0.45
            * s
            * (
                np.sin(2 * np.pi * y / lam[0] + ph[0])
                + 0.5 * np.sin(2 * np.pi * (x + y) / lam[1] + ph[1])
            )
        )
        wy = (
            0.45
            * s
            * (
                np.sin(2 * np.pi * x / lam[2] + ph[2])
                + 0.5 * np.sin(2 * np.pi * (x - y) / lam[3] + ph[3])
            )
        )
        x = (x + wx + rng.normal(0, 0.07 * s, x.shape)).ravel()
        y = (y + wy + rng.normal(0, 0.07 * s, y.shape)).ravel()
        inside = shapely.contains_xy(poly, x, y)
        da, _ = art_tree.query(np.column_stack([x, y]))
        near_art = da < 0.5 * s + 15.0
        near_riv = np.zeros_like(inside)
        if riv_tree is not None:
            dr, _ = riv_tree.query(np.column_stack([x, y]))
            near_riv = dr < 30.0
        keep = inside & ~near_art & ~near_riv
        gid = np.full(x.shape, -1, dtype=np.int64)
        gid[keep] = net.add_nodes(np.column_stack([x[keep], y[keep]]))
        node_dist.append(np.full(int(keep.sum()), d, dtype=np.int64))
        node_s.append(np.full(int(keep.sum()), s))
        stub = inside & near_art & ~near_riv
        flat = np.arange(ni * nj).reshape(ni, nj)
        dens = frame.dens(x, y)
        names_h = np.array([next_name() for _ in range(nj)], dtype=np.int64)
        names_v = np.array([next_name() for _ in range(ni)], dtype=np.int64)
        for axis in (0, 1):
            if axis == 0:  # edges along i (horizontal lines j)
                a, b = flat[:-1, :].ravel(), flat[1:, :].ravel()
                line = np.broadcast_to(np.arange(j0, j1 + 1), (ni - 1, nj)).ravel()
                lname = names_h[line - j0]
            else:
                a, b = flat[:, :-1].ravel(), flat[:, 1:].ravel()
                line = np.broadcast_to(np.arange(i0, i1 + 1)[:, None], (ni, nj - 1)).ravel()
                lname = names_v[line - i0]
            cls = np.full(len(a), _C["residential"], dtype=np.int64)
            r = rng.random(len(a))
            de = (dens[a] + dens[b]) / 2.0
            cls[r < 0.22 - 0.1 * np.minimum(de, 1.0)] = _C["service"]
            cls[(r > 0.93) & (de > 0.3)] = _C["living_street"]
            cls[r > 0.975] = _C["footway"]
            cls[line % 4 == 0] = _C["tertiary"]
            cls[line % 12 == 0] = _C["secondary"]
            ow = np.zeros(len(a), dtype=bool)
            swap = np.zeros(len(a), dtype=bool)
            if d == 0 and not oneway_done:
                # one-way pairs downtown: two neighbouring lines in each direction
                mid = 1 if axis == 0 else 2
                pair = (line == mid) | (line == mid + 1)
                cls[pair] = _C["secondary"]
                ow[pair] = True
                swap[line == mid + 1] = True
            is_local = cls >= _C["residential"]
            keep_p = np.where(de > 0.35, 0.9, 0.5 + 0.4 * de / 0.35)
            alive = ~is_local | (rng.random(len(a)) < keep_p)
            ga, gb = gid[a], gid[b]
            both = (ga >= 0) & (gb >= 0) & alive
            eu = np.where(swap, gb, ga)[both]
            ev = np.where(swap, ga, gb)[both]
            net.add_edges(eu, ev, cls[both], lname[both], ow[both])
            # stubs: cut by an arterial -> T-junction with the nearest arterial node
            for kept_end, cut_end in ((a, b), (b, a)):
                m = (gid[kept_end] >= 0) & stub[cut_end] & alive
                if not m.any():
                    continue
                pts = np.column_stack([x[kept_end[m]], y[kept_end[m]]])
                dd, jj2 = art_tree.query(pts)
                ok = dd < 1.3 * s
                net.add_edges(gid[kept_end[m]][ok], art_ids[jj2[ok]], cls[m][ok], lname[m][ok])
        if d == 0:
            oneway_done = True

    gx = np.concatenate(net.x)
    gy = np.concatenate(net.y)
    n_art = len(inner_ids) + len(ring_ids) + sum(len(r[0]) for r in radials)
    nd = np.concatenate(node_dist)
    ns = np.concatenate(node_s)
    grid_ids = np.arange(n_art, n_art + len(nd), dtype=np.int64)

    # --- stitch districts: boundary nodes to the nearest node of a neighbouring district ----
    tree = cKDTree(np.column_stack([gx[grid_ids], gy[grid_ids]]))
    dd, jj3 = tree.query(np.column_stack([gx[grid_ids], gy[grid_ids]]), k=8)
    other = nd[np.minimum(jj3, len(nd) - 1)] != nd[:, None]
    ok = other & (dd < 1.3 * ns[:, None]) & np.isfinite(dd)
    has = ok.any(axis=1)
    first = np.argmax(ok, axis=1)
    src = np.flatnonzero(has)
    dst = jj3[src, first[src]]
    pair = np.unique(np.column_stack([np.minimum(src, dst), np.maximum(src, dst)]), axis=0)
    net.add_edges(grid_ids[pair[:, 0]], grid_ids[pair[:, 1]], _C["residential"], next_name())

    # --- cul-de-sacs -----------------------------------------------------------------------
    dens_g = frame.dens(gx[grid_ids], gy[grid_ids])
    pick = rng.random(len(grid_ids)) < 0.05 * np.minimum(dens_g / 0.3, 1.0) + 0.01
    base = grid_ids[pick]
    m = len(base)
    dirn = rng.uniform(0, 2 * np.pi, m)
    bend = rng.normal(0, 0.5, m)
    sp = ns[pick]
    pts_prev = base
    px, py = gx[base], gy[base]
    for step in range(3):
        h = dirn + bend * step
        px = px + 0.12 * sp * np.cos(h)
        py = py + 0.12 * sp * np.sin(h)
        ids = net.add_nodes(np.column_stack([px, py]))
        net.add_edges(
            pts_prev, ids, np.where(rng.random(m) < 0.7, _C["residential"], _C["service"]), name_i
        )
        pts_prev = ids
    return net


def _finish_net(
    rng: np.random.Generator, frame: _Frame, net: _Net
) -> tuple[F64, F64, I64, I64, I64, BoolA, BoolA, I64]:
    """Drop water crossings, mark bridges, keep the largest component, curve long edges."""
    x = np.concatenate(net.x)
    y = np.concatenate(net.y)
    u = np.concatenate(net.u)
    v = np.concatenate(net.v)
    cls = np.concatenate(net.cls)
    ow = np.concatenate(net.oneway)
    nm_ = np.concatenate(net.name)
    ok = u != v
    u, v, cls, ow, nm_ = u[ok], v[ok], cls[ok], ow[ok], nm_[ok]
    # lake and off-land nodes
    land_ok = shapely.contains_xy(frame.land, x, y)
    keep_e = land_ok[u] & land_ok[v]
    bridge = np.zeros(len(u), dtype=bool)
    if frame.rivers or not frame.lake.is_empty:
        lines = shapely.linestrings(
            np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
        )
        if not frame.lake.is_empty:
            keep_e &= ~shapely.intersects(frame.lake, lines)
        if frame.rivers:
            riv = shapely.multilinestrings([shapely.linestrings(r) for r in frame.rivers])
            shapely.prepare(riv)
            cross = shapely.intersects(riv, lines)
            major = _MAJOR[cls]
            bridge = cross & (major | (rng.random(len(u)) < 0.12))
            keep_e &= ~cross | bridge
    u, v, cls, ow, nm_, bridge = (
        u[keep_e],
        v[keep_e],
        cls[keep_e],
        ow[keep_e],
        nm_[keep_e],
        bridge[keep_e],
    )
    # de-duplicate undirected edges (keep the first)
    key = np.minimum(u, v) * (len(x) + 1) + np.maximum(u, v)
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    u, v, cls, ow, nm_, bridge = (
        u[first],
        v[first],
        cls[first],
        ow[first],
        nm_[first],
        bridge[first],
    )
    # largest connected component
    n = len(x)
    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    used = np.zeros(n, dtype=bool)
    used[u] = True
    used[v] = True
    counts = np.bincount(lab[used], minlength=lab.max() + 1)
    big = int(np.argmax(counts))
    keep_n = (lab == big) & used
    remap = np.full(n, -1, dtype=np.int64)
    remap[keep_n] = np.arange(int(keep_n.sum()))
    ke = keep_n[u]
    u, v, cls, ow, nm_, bridge = remap[u[ke]], remap[v[ke]], cls[ke], ow[ke], nm_[ke], bridge[ke]
    x, y = x[keep_n], y[keep_n]
    # curve: insert intermediate shape nodes on edges longer than 70 m
    dx, dy = x[v] - x[u], y[v] - y[u]
    ln = np.hypot(dx, dy)
    k = np.clip((ln // 70.0).astype(np.int64), 0, 3)
    k[cls <= _C["motorway_link"]] = np.minimum(k[cls <= _C["motorway_link"]], 1)
    k[bridge] = 0
    bulge = rng.normal(0.0, 0.05, len(u)) * np.where(cls >= _C["residential"], 1.0, 0.25)
    n_old = len(x)
    tot = int(k.sum())
    e_of = np.repeat(np.arange(len(u)), k)
    start = np.cumsum(k) - k
    pos = np.arange(tot) - np.repeat(start, k) + 1  # 1..k
    t = pos / (np.repeat(k, k) + 1.0)
    nx, ny = -dy / np.maximum(ln, 1e-9), dx / np.maximum(ln, 1e-9)
    off = (bulge * ln)[e_of] * np.sin(np.pi * t)
    mx = x[u][e_of] + t * dx[e_of] + nx[e_of] * off
    my = y[u][e_of] + t * dy[e_of] + ny[e_of] * off
    x = np.concatenate([x, mx])
    y = np.concatenate([y, my])
    nseg = k + 1
    se = np.repeat(np.arange(len(u)), nseg)
    sstart = np.cumsum(nseg) - nseg
    spos = np.arange(int(nseg.sum())) - np.repeat(sstart, nseg)
    mid_base = n_old + start
    frm = np.where(spos == 0, u[se], mid_base[se] + spos - 1)
    to = np.where(spos == k[se], v[se], mid_base[se] + spos)
    return x, y, frm, to, cls[se], ow[se], bridge[se], nm_[se]


# --------------------------------------------------------------------------------------------
# OSM roads
# --------------------------------------------------------------------------------------------
_OSM_MAP: Final[dict[str, str]] = {
    **{c: c for c in ROAD_CLASSES},
    "unclassified": "residential",
    "road": "residential",
    "pedestrian": "footway",
    "path": "footway",
    "steps": "footway",
    "cycleway": "footway",
    "track": "service",
    "bridleway": "footway",
    "corridor": "footway",
}


def _osm_roads(
    path: str | Path, bbox: tuple[float, float, float, float], frame: _Frame
) -> tuple[F64, F64, I64, I64, I64, BoolA, BoolA, list[tuple[str, str]], I64]:
    import osmium

    p = Path(path)
    if not p.exists():
        raise ValueError(f"osm_path: {str(p)!r} does not exist")
    w, s, e, n = bbox
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    eu: list[int] = []
    ev: list[int] = []
    ecls: list[int] = []
    eow: list[bool] = []
    ebr: list[bool] = []
    ename: list[int] = []
    names: list[tuple[str, str]] = [("", "")]
    name_ix: dict[tuple[str, str], int] = {("", ""): 0}
    fp = (
        osmium.FileProcessor(str(p))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = {str(t.k): str(t.v) for t in obj.tags}
        hw = tags.get("highway", "")
        cname = _OSM_MAP.get(hw)
        if cname is None:
            continue
        ow_tag = tags.get("oneway", "no")
        oneway = ow_tag in ("yes", "1", "true") or (hw == "motorway" and ow_tag != "no")
        rev = ow_tag == "-1"
        is_br = tags.get("bridge", "no") not in ("no", "")
        zh = tags.get("name:zh", tags.get("name", ""))
        en = tags.get("name:en", tags.get("name", ""))
        key = (zh, en)
        if key not in name_ix:
            name_ix[key] = len(names)
            names.append(key)
        ni = name_ix[key]
        prev = -1
        for nd in obj.nodes:
            loc = nd.location
            if not loc.valid() or not (w <= loc.lon <= e and s <= loc.lat <= n):
                prev = -1
                continue
            ids.append(nd.ref)
            lons.append(loc.lon)
            lats.append(loc.lat)
            cur = len(ids) - 1
            if prev >= 0:
                a, b = (cur, prev) if rev else (prev, cur)
                eu.append(a)
                ev.append(b)
                ecls.append(_C[cname])
                eow.append(oneway or rev)
                ebr.append(is_br)
                ename.append(ni)
            prev = cur
    if not eu:
        raise ValueError(f"bbox: no highway ways of {str(p)!r} fall inside {bbox}")
    ida = np.array(ids, dtype=np.int64)
    uniq, first, inv = np.unique(ida, return_index=True, return_inverse=True)
    lon = np.array(lons)[first]
    lat = np.array(lats)[first]
    u = inv[np.array(eu)]
    v = inv[np.array(ev)]
    x, y = frame.proj.forward(lon, lat)
    cls = np.array(ecls, dtype=np.int64)
    owa = np.array(eow, dtype=bool)
    br = np.array(ebr, dtype=bool)
    enm = np.array(ename, dtype=np.int64)
    ok = u != v
    u, v, cls, owa, br, enm = u[ok], v[ok], cls[ok], owa[ok], br[ok], enm[ok]
    nn = len(uniq)
    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(nn, nn))
    _, lab = connected_components(g, directed=False)
    big = int(np.argmax(np.bincount(lab)))
    keep_n = lab == big
    remap = np.full(nn, -1, dtype=np.int64)
    remap[keep_n] = np.arange(int(keep_n.sum()))
    ke = keep_n[u]
    return (
        x[keep_n],
        y[keep_n],
        remap[u[ke]],
        remap[v[ke]],
        cls[ke],
        owa[ke],
        br[ke],
        names,
        enm[ke],
    )


# --------------------------------------------------------------------------------------------
# places, key areas, forces, cameras, people
# --------------------------------------------------------------------------------------------
def _pick_nodes(rng: np.random.Generator, weights: F64, n: int, *, replace: bool = True) -> I64:
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    if not replace:
        n = min(n, int((w > 0).sum()))
    return np.asarray(rng.choice(len(w), size=n, replace=replace, p=w), dtype=np.int64)


def _spread_nodes(rng: np.random.Generator, x: F64, y: F64, w: F64, n: int) -> I64:
    """Best-candidate choice of ``n`` node indices, spread out and favouring weight ``w``."""
    cand = _pick_nodes(rng, w, min(len(x), 30 * n + 20), replace=False)
    ww = w[cand] / w[cand].max()
    chosen = [int(np.argmax(ww))]
    dmin = np.hypot(x[cand] - x[cand[chosen[0]]], y[cand] - y[cand[chosen[0]]])
    for _ in range(n - 1):
        k = int(np.argmax(dmin * np.sqrt(ww)))
        chosen.append(k)
        dmin = np.minimum(dmin, np.hypot(x[cand] - x[cand[k]], y[cand] - y[cand[k]]))
    return np.asarray(cand[np.array(chosen)], dtype=np.int64)


def frame_anchor(x: F64, y: F64, frac_x: float, frac_y: float, hw: float, hh: float) -> int:
    """Index of the road node nearest the frame point (frac_x * hw, frac_y * hh)."""
    return int(np.argmin(np.hypot(x - frac_x * hw, y - frac_y * hh)))


# fixed frame points (fractions of the half-width/height) used by the planted patterns
LONG_TERM_HOTSPOT_FRAC: Final = (-0.07, 0.06)
EMERGING_CLUSTER_FRAC: Final = (0.31, 0.29)
STADIUM_FRAC: Final = (0.30, -0.16)

_PLACE_COUNTS: Final[dict[str, int]] = {
    "residential_compound": 1800,
    "school": 260,
    "hospital": 72,
    "market": 140,
    "mall": 46,
    "hotel": 220,
    "bank": 260,
    "gas_station": 90,
    "metro_station": 54,
    "bus_station": 360,
    "entertainment_venue": 210,
    "business": 700,
    "rental_house": 2400,
    "other": 240,
}
_PLACE_SUFFIX: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "residential_compound": (
        ("小区", " Residential Compound"),
        ("花园", " Garden"),
        ("家园", " Homes"),
        ("新村", " New Village"),
    ),
    "school": (
        ("小学", " Primary School"),
        ("中学", " Middle School"),
        ("幼儿园", " Kindergarten"),
        ("职业学校", " Vocational School"),
    ),
    "hospital": (("医院", " Hospital"), ("社区卫生服务中心", " Community Health Centre")),
    "market": (("农贸市场", " Farmers' Market"), ("菜市场", " Food Market")),
    "mall": (("购物中心", " Shopping Centre"), ("广场", " Plaza")),
    "hotel": (("酒店", " Hotel"), ("宾馆", " Guesthouse")),
    "bank": (
        ("工商银行", "ICBC "),
        ("建设银行", "CCB "),
        ("农业银行", "ABC "),
        ("中国银行", "Bank of China "),
        ("富滇银行", "Fudian Bank "),
    ),
    "gas_station": (("中石化", "Sinopec "), ("中石油", "PetroChina ")),
    "metro_station": (("站", " Station"),),
    "bus_station": (("公交站", " Bus Stop"), ("公交枢纽", " Bus Interchange")),
    "entertainment_venue": (
        ("KTV", " KTV"),
        ("酒吧", " Bar"),
        ("网吧", " Internet Cafe"),
        ("夜总会", " Night Club"),
    ),
    "business": (
        ("商贸公司", " Trading Co."),
        ("科技公司", " Technology Co."),
        ("物流园", " Logistics Park"),
    ),
    "rental_house": (("出租屋", " Rental House"),),
    "other": (
        ("公园", " Park"),
        ("广场", " Square"),
        ("寺", " Temple"),
        ("街道办", " Sub-district Office"),
    ),
}


@dataclass
class _PlacesM:
    kind: list[str]
    zh: list[str]
    en: list[str]
    x: F64
    y: F64
    cap: I64
    police_room: BoolA


def _places(
    rng: np.random.Generator, frame: _Frame, x: F64, y: F64, cls: F64, scale: float
) -> _PlacesM:
    """Places near road nodes (x, y are node coordinates; cls the best class at each node)."""
    dens = frame.dens(x, y)
    major = cls <= _C["secondary_link"]
    collector = cls <= _C["tertiary_link"]
    local = ~collector
    n_of = {k: max(1, round(c * scale)) for k, c in _PLACE_COUNTS.items()}
    kinds: list[str] = []
    xs: list[F64] = []
    ys: list[F64] = []
    caps: list[I64] = []

    def put(kind: str, idx: I64, off_m: float, cap: I64 | None = None) -> None:
        m = len(idx)
        ang = rng.uniform(0, 2 * np.pi, m)
        r = rng.uniform(0.3, 1.0, m) * off_m
        xs.append(x[idx] + r * np.cos(ang))
        ys.append(y[idx] + r * np.sin(ang))
        kinds.extend([kind] * m)
        caps.append(np.zeros(m, dtype=np.int64) if cap is None else cap)

    # special anchors first (documented in model.md)
    hot = frame_anchor(x, y, *LONG_TERM_HOTSPOT_FRAC, frame.hw, frame.hh)
    emc = frame_anchor(x, y, *EMERGING_CLUSTER_FRAC, frame.hw, frame.hh)
    std = frame_anchor(x, y, *STADIUM_FRAC, frame.hw, frame.hh)
    put("market", np.array([hot]), 0.0)
    put("residential_compound", np.array([emc]), 0.0)
    put("stadium", np.array([std]), 0.0, np.array([32_000]))
    w_local = dens * local + 1e-6
    put(
        "residential_compound",
        _pick_nodes(rng, w_local * dens**0.5, n_of["residential_compound"] - 1),
        40.0,
    )
    put(
        "rental_house",
        _pick_nodes(rng, w_local * dens * np.exp(-dens / 0.35), n_of["rental_house"]),
        25.0,
    )
    put(
        "school",
        _pick_nodes(rng, w_local, n_of["school"]),
        50.0,
        rng.integers(300, 2800, n_of["school"]),
    )
    hosp = _spread_nodes(rng, x, y, dens**1.5 * collector + 1e-9, n_of["hospital"])
    hcap = np.where(
        np.arange(len(hosp)) < 16,
        rng.integers(500, 1800, len(hosp)),
        rng.integers(40, 420, len(hosp)),
    )
    put("hospital", hosp, 40.0, hcap)
    put("market", _pick_nodes(rng, dens * (0.3 + collector), n_of["market"] - 1), 30.0)
    put(
        "mall",
        _spread_nodes(rng, x, y, dens**2.5 * major + 1e-9, n_of["mall"]),
        40.0,
        rng.integers(2000, 20_000, n_of["mall"]),
    )
    metro = _spread_nodes(rng, x, y, dens**1.2 * major + 1e-9, n_of["metro_station"])
    put("metro_station", metro, 0.0)
    put(
        "hotel",
        _pick_nodes(rng, dens**1.5 * (0.5 + collector), n_of["hotel"]),
        30.0,
        rng.integers(20, 400, n_of["hotel"]),
    )
    put("bank", _pick_nodes(rng, dens**1.5 * (0.3 + collector), n_of["bank"]), 20.0)
    put("gas_station", _pick_nodes(rng, major * (0.2 + dens), n_of["gas_station"]), 30.0)
    put("bus_station", _pick_nodes(rng, collector * dens**0.7 + 1e-9, n_of["bus_station"]), 10.0)
    clusters = _spread_nodes(rng, x, y, dens**3 * collector + 1e-9, 5)
    n_ent = n_of["entertainment_venue"]
    n_cl = int(0.7 * n_ent)
    cl_of = rng.integers(0, 5, n_cl)
    cx = x[clusters][cl_of] + rng.normal(0, 180, n_cl)
    cy = y[clusters][cl_of] + rng.normal(0, 180, n_cl)
    near = cKDTree(np.column_stack([x, y])).query(np.column_stack([cx, cy]))[1]
    put("entertainment_venue", np.asarray(near, dtype=np.int64), 25.0)
    put("entertainment_venue", _pick_nodes(rng, dens**1.5, n_ent - n_cl), 25.0)
    put("business", _pick_nodes(rng, dens**1.3 * (0.4 + collector), n_of["business"]), 35.0)
    put("other", _pick_nodes(rng, dens**0.8, n_of["other"]), 40.0)
    px, py = np.concatenate(xs), np.concatenate(ys)
    # keep places on land: fall back to the node itself
    bad = ~shapely.contains_xy(frame.land, px, py)
    if bad.any():
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([px[bad], py[bad]]))[1]
        px[bad], py[bad] = x[nn], y[nn]
    cap = np.concatenate(caps)
    kind_arr = np.array(kinds)
    police = (kind_arr == "hospital") & (cap >= 500)
    police |= (kind_arr == "stadium") | ((kind_arr == "school") & (cap >= 2500))
    # names
    stems = nm.place_stems(rng, len(kinds))
    zh: list[str] = []
    en: list[str] = []
    sfx_pick = rng.integers(0, 1000, len(kinds))
    for i, k in enumerate(kinds):
        sz, se = stems[i]
        if k == "stadium":
            zh.append("春城体育中心")
            en.append("Chuncheng Sports Centre")
            continue
        opts = _PLACE_SUFFIX[k]
        fz, fe = opts[int(sfx_pick[i]) % len(opts)]
        if k in ("bank",):
            zh.append(f"{fz}{sz}支行")
            en.append(f"{fe}{se} Sub-branch")
        elif k == "gas_station":
            zh.append(f"{fz}{sz}加油站")
            en.append(f"{fe}{se} Gas Station")
        elif k == "rental_house":
            zh.append(f"{sz}{int(sfx_pick[i]) % 60 + 1}号{fz}")
            en.append(f"{se}{fe} No. {int(sfx_pick[i]) % 60 + 1}")
        elif k == "hospital" and cap[i] >= 500:
            zh.append(f"{sz}人民医院")
            en.append(f"{se} People's Hospital")
        else:
            zh.append(sz + fz)
            en.append(se + fe)
    zh[0], en[0] = "南屏农贸市场", "Nanping Farmers' Market"
    zh[1], en[1] = "金鼎花园", "Jinding Garden"
    return _PlacesM(kinds, zh, en, px, py, cap, police)


def _key_areas(
    rng: np.random.Generator, frame: _Frame, pm: _PlacesM
) -> list[tuple[str, str, str, Polygon, int, str]]:
    kind = np.array(pm.kind)
    cap = pm.cap
    dens = frame.dens(pm.x, pm.y)
    plan: list[tuple[str, str, int, float, int]] = [
        # (area kind, place kind, how many, radius_m, standard_s)
        ("stadium", "stadium", 1, 400.0, 60),
        ("transport_hub", "metro_station", 16, 220.0, 60),
        ("commercial_district", "mall", 20, 300.0, 60),
        ("nightlife", "entertainment_venue", 6, 250.0, 60),
        ("hospital", "hospital", 12, 180.0, 180),
        ("school_zone", "school", 24, 150.0, 180),
        ("market", "market", 14, 160.0, 180),
        ("tourist_site", "other", 10, 300.0, 300),
        ("government", "business", 9, 150.0, 300),
    ]
    out: list[tuple[str, str, str, Polygon, int, str]] = []
    used: list[int] = []
    ls = float(np.clip(math.sqrt(frame.land.area / 440e6), 0.05, 1.0))  # linear size factor
    for akind, pkind, n, rad0, std in plan:
        rad = rad0 * max(ls, 0.15)
        idx = np.flatnonzero(kind == pkind)
        score = (
            dens[idx] * (1.0 + cap[idx] / max(1.0, float(cap[idx].max())))
            + rng.random(len(idx)) * 0.05
        )
        if pkind == "market":
            score[idx == 0] = 1e9  # the long-term hot-spot market is a key area
        order = idx[np.argsort(-score, kind="stable")]
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= n:
                break
            if all(math.hypot(pm.x[i] - pm.x[j], pm.y[i] - pm.y[j]) > 2 * rad0 * ls for j in used):
                chosen.append(int(i))
                used.append(int(i))
        for i in chosen:
            r = rad * rng.uniform(0.8, 1.2)
            ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            rr = r * (1 + 0.15 * np.sin(3 * ang + rng.uniform(0, 6.28)))
            poly = Polygon(
                np.column_stack([pm.x[i] + rr * np.cos(ang), pm.y[i] + rr * np.sin(ang)])
            )
            poly = shapely.intersection(poly, frame.land, grid_size=_GRID)
            if not isinstance(poly, Polygon):
                poly = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
            zh_sfx = {
                "transport_hub": "交通枢纽",
                "commercial_district": "商圈",
                "nightlife": "夜间经济区",
                "hospital": "周边",
                "school_zone": "护学区",
                "market": "周边",
                "tourist_site": "景区",
                "government": "周边",
                "stadium": "赛事安保区",
            }[akind]
            en_sfx = {
                "transport_hub": " Transport Hub",
                "commercial_district": " Shopping Area",
                "nightlife": " Night-life Area",
                "hospital": " Surroundings",
                "school_zone": " School Safety Zone",
                "market": " Surroundings",
                "tourist_site": " Scenic Area",
                "government": " Surroundings",
                "stadium": " Event Security Zone",
            }[akind]
            out.append((pm.zh[i] + zh_sfx, pm.en[i] + en_sfx, akind, poly, std, ""))
    # top up to exactly 112 with the busiest other places
    by_dens = np.argsort(-dens, kind="stable")
    sep = 300.0 * ls
    while len(out) < 112:
        for cand in by_dens.tolist():
            if len(out) >= 112:
                break
            if any(math.hypot(pm.x[cand] - pm.x[j], pm.y[cand] - pm.y[j]) < sep for j in used):
                continue
            used.append(int(cand))
            ang = np.linspace(0, 2 * np.pi, 20, endpoint=False)
            r = 150.0 * max(ls, 0.15)
            poly = shapely.intersection(
                Polygon(
                    np.column_stack([pm.x[cand] + r * np.cos(ang), pm.y[cand] + r * np.sin(ang)])
                ),
                frame.land,
                grid_size=_GRID,
            )
            if not isinstance(poly, Polygon):
                poly = max(getattr(poly, "geoms", [poly]), key=lambda g: g.area)
            out.append(
                (pm.zh[cand] + "周边", pm.en[cand] + " Surroundings", "public_space", poly, 300, "")
            )
        sep /= 2.0
    return out[:112]


def _lonlat_polys(proj: LocalProjection, polys: list[Polygon]) -> list[Polygon]:
    def tf(xy: F64) -> F64:
        lo, la = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lo, la])

    arr = shapely.transform(np.array(polys, dtype=object), tf)
    return [p if p.is_valid else shapely.make_valid(p) for p in arr]


def _station_of(stations_ll: list[Polygon], lon: F64, lat: F64, codes: list[str]) -> StrA:
    fake = [Area(c, "station", "", "", None, p) for c, p in zip(codes, stations_ll, strict=True)]
    ix = locate_cells(fake, lon, lat)
    if (ix < 0).any():
        cen = np.array([[p.centroid.x, p.centroid.y] for p in stations_ll])
        nn = cKDTree(cen).query(np.column_stack([lon[ix < 0], lat[ix < 0]]))[1]
        ix[ix < 0] = nn
    return np.array(codes)[ix]


def build_city(
    *,
    seed: int = 20261122,
    osm_path: str | Path | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> City:
    """Build the seeded demo city.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.
    osm_path, bbox
        Read the road network from an OSM PBF/XML file (ways with ``highway=*`` inside
        ``bbox`` = (W, S, E, N) in WGS-84) and lay the jurisdictions over ``bbox``. Both or
        neither must be given.

    Returns
    -------
    City
        Jurisdictions (bureau, 5 districts, ~35 stations, ~430 communities, ~3,000 cells),
        roads, places, 112 key areas, forces, ~9,000 cameras and the demo users.

    Notes
    -----
    Time about 2 s for the default city, memory O(road nodes) (under 200 MB peak).
    """
    if (osm_path is None) != (bbox is None):
        raise ValueError("osm_path: give both osm_path and bbox, or neither")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")
    rng = np.random.default_rng(seed)
    frame = _kunming_frame() if bbox is None else _bbox_frame(tuple(bbox))  # type: ignore[arg-type]
    jur = _jurisdictions(rng, frame)
    proj = frame.proj

    # ---- names of jurisdictions ---------------------------------------------------------
    stems = nm.place_stems(rng, len(jur.stations) + len(jur.communities) + 400)
    dcodes = [d[0] for d in nm.DISTRICT_NAMES]
    districts_ll = _lonlat_polys(proj, jur.districts)
    stations_ll = _lonlat_polys(proj, jur.stations)
    comm_ll = _lonlat_polys(proj, jur.communities)
    cells_ll = _lonlat_polys(proj, jur.cells)
    land_ll = _lonlat_polys(proj, [frame.land])[0]
    lake_ll = _lonlat_polys(proj, [frame.lake])[0] if not frame.lake.is_empty else Polygon()
    bureau = Area(
        BUREAU_CODE, "bureau", "春城市公安局", "Chuncheng Public Security Bureau", None, land_ll
    )
    districts = [
        Area(
            dcodes[d],
            "district",
            nm.DISTRICT_NAMES[d][1] + "分局",
            nm.DISTRICT_NAMES[d][2] + " Sub-bureau",
            BUREAU_CODE,
            districts_ll[d],
        )
        for d in range(len(districts_ll))
    ]
    st_lon, st_lat = proj.inverse(jur.station_pts[:, 0], jur.station_pts[:, 1])
    stations: list[Area] = []
    st_codes: list[str] = []
    per_d = np.zeros(len(districts), dtype=np.int64)
    for s, poly in enumerate(stations_ll):
        d = int(jur.station_district[s])
        per_d[d] += 1
        code = f"{dcodes[d]}-{per_d[d]:02d}"
        st_codes.append(code)
        zh, en = stems[s]
        stations.append(
            Area(
                code,
                "station",
                zh + "派出所",
                en + " Police Station",
                dcodes[d],
                poly,
                None,
                float(st_lon[s]),
                float(st_lat[s]),
            )
        )
    communities: list[Area] = []
    com_codes: list[str] = []
    per_s = np.zeros(len(stations), dtype=np.int64)
    com_dens = frame.dens(
        np.array([p.centroid.x for p in jur.communities]),
        np.array([p.centroid.y for p in jur.communities]),
    )
    officers: list[str] = []
    for c, poly in enumerate(comm_ll):
        s = int(jur.community_station[c])
        per_s[s] += 1
        code = f"{st_codes[s]}-{per_s[s]:03d}"
        com_codes.append(code)
        zh, en = stems[len(stations_ll) + c]
        village = com_dens[c] < 0.12
        communities.append(
            Area(
                code,
                "community",
                zh + ("村" if village else "社区"),
                en + (" Village" if village else " Community"),
                st_codes[s],
                poly,
            )
        )
        officers.append(f"officer_{c + 1:04d}")
    cells: list[Area] = []
    per_c = np.zeros(len(communities), dtype=np.int64)
    for k, poly in enumerate(cells_ll):
        c = int(jur.cell_community[k])
        per_c[c] += 1
        code = f"{com_codes[c]}-{per_c[c]:04d}"
        cells.append(
            Area(
                code,
                "cell",
                f"{communities[c].name_zh}第{per_c[c]}网格",
                f"{communities[c].name_en} Grid {per_c[c]}",
                com_codes[c],
                poly,
                officers[c],
            )
        )

    # ---- roads --------------------------------------------------------------------------
    if osm_path is None:
        road_names = nm.place_stems(rng, 4000)
        net = _synthetic_roads(rng, frame, jur.districts)
        x, y, ru, rv, rcls, row, rbr, rnm = _finish_net(rng, frame, net)
        # road names: main roads after cities, others from stems with 路/街/巷
        n_names = int(rnm.max()) + 1
        nz: list[str] = []
        ne: list[str] = []
        for i in range(n_names):
            if i == 0:
                nz.append("二环路")
                ne.append("Second Ring Road")
            elif i == 1:
                nz.append("绕城高速")
                ne.append("Ring Expressway")
            elif i < 2 + len(nm.CITY_ROAD_NAMES):
                a, b = nm.CITY_ROAD_NAMES[i - 2]
                nz.append(a + "路")
                ne.append(b + " Road")
            else:
                a, b = road_names[i % len(road_names)]
                nz.append(a + "路")
                ne.append(b + " Road")
        # class-dependent suffix for local lines
        best = np.full(n_names, len(ROAD_CLASSES), dtype=np.int64)
        np.minimum.at(best, rnm, rcls)
        zh_arr = np.array(nz, dtype=object)
        en_arr = np.array(ne, dtype=object)
        loc = best >= _C["residential"]
        zh_arr[loc] = np.array(
            [
                s[:-1] + ("街" if i % 3 else "巷")
                for i, s in zip(np.flatnonzero(loc), zh_arr[loc], strict=True)
            ],
            dtype=object,
        )
        en_arr[loc] = np.array(
            [
                s[:-5] + (" Street" if i % 3 else " Lane")
                for i, s in zip(np.flatnonzero(loc), en_arr[loc], strict=True)
            ],
            dtype=object,
        )
        name_zh = zh_arr.astype(str)[rnm]
        name_en = en_arr.astype(str)[rnm]
    else:
        x, y, ru, rv, rcls, row, rbr, onames, rnm = _osm_roads(osm_path, bbox, frame)  # type: ignore[arg-type]
        name_zh = np.array([a for a, _ in onames])[rnm]
        name_en = np.array([b for _, b in onames])[rnm]
    lon, lat = proj.inverse(x, y)
    roads = RoadArrays(
        node_lon=lon,
        node_lat=lat,
        u=ru.astype(np.int64),
        v=rv.astype(np.int64),
        road_class=np.array(ROAD_CLASSES)[rcls],
        length_m=haversine_m(lon[ru], lat[ru], lon[rv], lat[rv]),
        oneway=row.astype(bool),
        bridge=rbr.astype(bool),
        name_zh=name_zh,
        name_en=name_en,
        speed_kph=np.array([SPEED_KPH_BY_CLASS[c] for c in ROAD_CLASSES])[rcls],
    )
    # best (most major) class at each node
    node_cls = np.full(len(x), len(ROAD_CLASSES) - 1, dtype=np.int64)
    np.minimum.at(node_cls, ru, rcls)
    np.minimum.at(node_cls, rv, rcls)

    # ---- places -------------------------------------------------------------------------
    f_pl = 1.0 if osm_path is None else float(np.clip(frame.land.area / 440e6, 0.2, 1.0))
    pm = _places(rng, frame, x, y, node_cls.astype(np.float64), f_pl)
    plon, plat = proj.inverse(pm.x, pm.y)
    pcell = locate_cells(cells, plon, plat)
    miss = pcell < 0
    if miss.any():  # on the boundary of the land: snap to the nearest road node
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([pm.x[miss], pm.y[miss]]))[1]
        plon[miss], plat[miss] = lon[nn], lat[nn]
        pcell[miss] = locate_cells(cells, plon[miss], plat[miss])
        pcell[pcell < 0] = 0
    cell_codes = np.array([c.code for c in cells])
    places = Places(
        kind=np.array(pm.kind),
        name_zh=np.array(pm.zh),
        name_en=np.array(pm.en),
        lon=plon,
        lat=plat,
        cell_code=cell_codes[pcell],
        capacity=pm.cap,
        police_room=pm.police_room,
    )

    # ---- key areas ----------------------------------------------------------------------
    ka_raw = _key_areas(rng, frame, pm)
    ka_polys = _lonlat_polys(proj, [k[3] for k in ka_raw])
    key_areas = [
        KeyArea(f"KA-{i + 1:03d}", k[0], k[1], ka_polys[i], k[4], k[2])
        for i, k in enumerate(ka_raw)
    ]

    # ---- forces -------------------------------------------------------------------------
    dens = frame.dens(x, y)
    ka_xy = np.array([[p.centroid.x, p.centroid.y] for p in (k[3] for k in ka_raw)])
    ka_std = np.array([k[4] for k in ka_raw])
    u_kind: list[str] = []
    ux: list[F64] = []
    uy: list[F64] = []
    # 49 fixed posts at the 1-minute and busiest 3-minute key areas; 80 mobile kiosks
    order = np.argsort(ka_std, kind="stable")[:49]
    ux.append(ka_xy[order, 0] + 20.0)
    uy.append(ka_xy[order, 1])
    u_kind += ["fixed_post"] * 49
    kio = _spread_nodes(rng, x, y, dens**2 * (node_cls <= _C["tertiary_link"]) + 1e-9, 80)
    ux.append(x[kio])
    uy.append(y[kio])
    u_kind += ["mobile_kiosk"] * 80
    n_st = len(stations)
    for kind, n, pw in (("patrol_car", 245, 1.0), ("motorcycle", 70, 1.5), ("foot_team", 60, 2.5)):
        base = np.arange(n) % n_st if kind == "patrol_car" else None
        if base is not None:
            # every station gets cars inside its own polygon, the rest follow density
            idx = np.empty(n, dtype=np.int64)
            for s in range(n_st):
                m = base == s
                inpoly = shapely.contains_xy(jur.stations[s], x, y)
                w = (dens**pw + 1e-9) * inpoly
                if w.sum() <= 0:
                    w = dens**pw
                idx[m] = _pick_nodes(rng, w, int(m.sum()))
        else:
            idx = _pick_nodes(rng, dens**pw, n)
        ux.append(x[idx])
        uy.append(y[idx])
        u_kind += [kind] * n
    tac = _spread_nodes(rng, x, y, dens * (node_cls <= _C["secondary_link"]) + 1e-9, 12)
    ux.append(x[tac])
    uy.append(y[tac])
    u_kind += ["tactical_unit"] * 12
    bases = np.array(
        [
            frame_anchor(x, y, -0.25, 0.3, frame.hw, frame.hh),
            frame_anchor(x, y, 0.35, -0.35, frame.hw, frame.hh),
        ]
    )
    ux.append(x[bases])
    uy.append(y[bases])
    u_kind += ["drone_base"] * 2
    ux.append(np.repeat(x[bases], 4))
    uy.append(np.repeat(y[bases], 4))
    u_kind += ["drone"] * 8
    uxa, uya = np.concatenate(ux), np.concatenate(uy)
    ulon, ulat = proj.inverse(uxa, uya)
    ukind = np.array(u_kind)
    ust = _station_of(stations_ll, ulon, ulat, st_codes)
    r = rng.random(len(ukind))
    status = np.where(
        r < 0.72,
        "available",
        np.where(r < 0.82, "dispatched", np.where(r < 0.9, "on_scene", "off_duty")),
    )
    status[np.isin(ukind, ("fixed_post", "drone_base"))] = "available"
    prefix = {
        "fixed_post": ("FP", "固定岗亭", "Fixed Post"),
        "mobile_kiosk": ("MK", "移动警务亭", "Mobile Kiosk"),
        "patrol_car": ("PC", "巡逻车", "Patrol Car"),
        "motorcycle": ("MC", "摩托巡逻组", "Motorcycle Patrol"),
        "foot_team": ("FT", "步巡组", "Foot Patrol Team"),
        "tactical_unit": ("TU", "特警处突组", "Tactical Unit"),
        "drone": ("DR", "无人机", "Drone"),
        "drone_base": ("DB", "无人机机场", "Drone Base"),
    }
    st_name = {a.code: (a.name_zh, a.name_en) for a in stations}
    counters: dict[str, int] = {}
    ucode: list[str] = []
    uzh: list[str] = []
    uen: list[str] = []
    for uk, sc in zip(u_kind, ust.tolist(), strict=True):
        counters[uk] = counters.get(uk, 0) + 1
        p, zh, en = prefix[uk]
        i = counters[uk]
        ucode.append(f"{p}-{i:04d}")
        uzh.append(f"{st_name[sc][0]}{zh}{i}号")
        uen.append(f"{st_name[sc][1]} {en} {i}")
    units = Units(
        code=np.array(ucode),
        kind=ukind,
        name_zh=np.array(uzh),
        name_en=np.array(uen),
        station_code=ust,
        lon=ulon,
        lat=ulat,
        status=status,
    )

    # ---- cameras ------------------------------------------------------------------------
    deg = np.bincount(ru, minlength=len(x)) + np.bincount(rv, minlength=len(x))
    n_cam = 9000
    n_x = 5200
    wx_ = (deg >= 3) * (dens + 0.05) * np.where(node_cls <= _C["tertiary_link"], 3.0, 1.0)
    cam_nodes = _pick_nodes(rng, wx_ + 1e-12, n_x, replace=False)
    cx_ = x[cam_nodes] + rng.normal(0, 6, len(cam_nodes))
    cy_ = y[cam_nodes] + rng.normal(0, 6, len(cam_nodes))
    n_pl = 2400
    pi = _pick_nodes(rng, np.where(np.isin(places.kind, ("rental_house", "other")), 0.3, 1.0), n_pl)
    cx2 = pm.x[pi] + rng.normal(0, 10, n_pl)
    cy2 = pm.y[pi] + rng.normal(0, 10, n_pl)
    n_rest = n_cam - len(cam_nodes) - n_pl
    ri = _pick_nodes(rng, (dens + 0.02) * (node_cls <= _C["secondary_link"]) + 1e-12, n_rest)
    cx3, cy3 = x[ri], y[ri]
    camx = np.concatenate([cx_, cx2, cx3])
    camy = np.concatenate([cy_, cy2, cy3])
    bad = ~shapely.contains_xy(frame.land, camx, camy)
    if bad.any():
        nn = cKDTree(np.column_stack([x, y])).query(np.column_stack([camx[bad], camy[bad]]))[1]
        camx[bad], camy[bad] = x[nn], y[nn]
    clon, clat = proj.inverse(camx, camy)
    ncam = len(camx)
    kind_r = rng.random(ncam)
    fov = np.where(kind_r < 0.15, 360.0, np.round(rng.uniform(50, 110, ncam), 1))
    rng_m = np.where(kind_r < 0.15, 60.0, np.round(rng.uniform(30, 150, ncam), 1))
    cameras = Cameras(
        code=np.array([f"CAM-{i + 1:06d}" for i in range(ncam)]),
        lon=clon,
        lat=clat,
        heading_deg=np.round(rng.uniform(0, 360, ncam), 1),
        fov_deg=fov,
        range_m=rng_m,
        station_code=_station_of(stations_ll, clon, clat, st_codes),
    )

    # ---- people -------------------------------------------------------------------------
    people = _people(rng, districts, stations, communities)
    return City(
        seed=seed,
        name_zh="春城市",
        name_en="Chuncheng",
        center_lon=float(proj.lon0),
        center_lat=float(proj.lat0),
        bureau=bureau,
        districts=districts,
        stations=stations,
        communities=communities,
        cells=cells,
        lake=lake_ll,
        roads=roads,
        places=places,
        key_areas=key_areas,
        units=units,
        cameras=cameras,
        people=people,
        half_width_m=frame.hw,
        half_height_m=frame.hh,
    )


def _people(
    rng: np.random.Generator, districts: list[Area], stations: list[Area], communities: list[Area]
) -> list[Person]:
    n = 2 + 1 + len(districts) + 12 + len(stations) + len(communities) + 6 + len(districts)
    pn = nm.person_names(rng, n)
    it = iter(pn)
    out: list[Person] = []

    def add(user: str, role: str, jur: str) -> None:
        zh, en = next(it)
        out.append(Person(user, zh, en, role, jur))

    add("admin", "admin", BUREAU_CODE)
    add("admin_02", "admin", BUREAU_CODE)
    add("commander", "commander", BUREAU_CODE)
    for d in districts:
        add(f"commander_{d.code}", "commander", d.code)
    for i in range(12):
        add(f"dispatcher_{i + 1:02d}", "dispatcher", BUREAU_CODE)
    for s in stations:
        add(f"chief_{s.code}", "station_chief", s.code)
    for c, com in enumerate(communities):
        add(f"officer_{c + 1:04d}", "community_officer", com.code)
    for i in range(6):
        add(f"analyst_{i + 1:02d}", "analyst", BUREAU_CODE)
    for d in districts:
        add(f"analyst_{d.code}", "analyst", d.code)
    return out
