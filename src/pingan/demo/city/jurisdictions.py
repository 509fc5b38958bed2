"""Jurisdictions: districts, stations, communities and grid cells partitioning the land."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon

from pingan.demo.city.common import _GRID, F64, I64
from pingan.demo.city.frame import _Frame


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
