"""Travel-time fields, unit ranking, isochrones and coverage shares (pure numpy/scipy/shapely).

All times are seconds; all kernels are exact shortest paths (Dijkstra, scipy.sparse.csgraph).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from pingan.geo.crs import haversine_m
from pingan.roads.network import RoadNetwork

__all__ = [
    "Ranked",
    "Units",
    "coverage_shares",
    "isochrones",
    "rank_units",
    "travel_times",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _sources(network: RoadNetwork, sources: ArrayLike) -> tuple[I64, F64 | None]:
    src = np.asarray(sources)
    if src.size == 0:
        raise ValueError("sources: at least one source node is needed")
    if src.ndim == 2 and src.shape[1] == 2:
        nodes = src[:, 0].astype(np.int64)
        offsets: F64 | None = src[:, 1].astype(np.float64)
    else:
        nodes = src.ravel().astype(np.int64)
        offsets = None
    if nodes.min() < 0 or nodes.max() >= network.n_nodes:
        raise ValueError(f"sources: node indices must be in [0, {network.n_nodes})")
    return nodes, offsets


def travel_times(
    network: RoadNetwork,
    sources: ArrayLike,
    *,
    mode: str = "car",
    limit_s: float | None = None,
    at: dt.time | None = None,
) -> F64:
    """Minimum travel time (s) from any source to every node; ``inf`` where unreachable or
    beyond ``limit_s``.

    ``sources`` are node indices, or ``(node, start_offset_s)`` rows (e.g. the walk from a post
    to its snapped node). Exact multi-source Dijkstra (scipy.sparse.csgraph, ``min_only``); with
    offsets, one Dijkstra from a virtual super-source. Time O((V + E) log V), memory O(V + E)
    (the adjacency is cached per mode and quarter hour on the network).
    """
    nodes, offsets = _sources(network, sources)
    if limit_s is not None and not limit_s > 0:
        raise ValueError(f"limit_s: must be > 0, got {limit_s}")
    g = network.graph(mode, at)
    lim = np.inf if limit_s is None else float(limit_s)
    if offsets is None or not np.any(offsets):
        return np.asarray(dijkstra(g, directed=True, indices=nodes, min_only=True, limit=lim))
    n = network.n_nodes
    ext = sp.vstack(
        [
            sp.hstack([g, sp.csr_matrix((n, 1))]),
            sp.csr_matrix(
                (np.maximum(offsets, 1e-9), (np.zeros(nodes.size, int), nodes)), shape=(1, n + 1)
            ),
        ]
    )
    d = dijkstra(ext.tocsr(), directed=True, indices=n, limit=lim)
    return np.asarray(d[:n])


@dataclass(frozen=True)
class Units:
    """Units to rank: position, kind and availability; drones fly.

    ``speed_kph`` and ``range_m`` matter for drones (flight); ``takeoff_s`` is added to a
    drone's flight time. ``mode`` per ground unit: car, motorcycle or foot.
    """

    lon: F64
    lat: F64
    mode: NDArray[np.str_]  # "car", "motorcycle", "foot" or "drone"
    available: NDArray[np.bool_]
    speed_kph: F64 | None = None
    range_m: F64 | None = None
    takeoff_s: float = 60.0

    def __len__(self) -> int:
        return int(self.lon.size)


@dataclass(frozen=True)
class Ranked:
    """Ranked units: index into the input, ETA in seconds, how it gets there, route nodes."""

    unit: I64
    eta_s: F64
    mode: NDArray[np.str_]
    routes: list[I64]


def rank_units(
    network: RoadNetwork,
    point: tuple[float, float],
    units: Units,
    *,
    k: int = 5,
    at: dt.time | None = None,
    max_snap_m: float = 1000.0,
    first_limit_s: float = 300.0,
) -> Ranked:
    """The ``k`` available units with the smallest exact ETA to ``point`` (lon, lat).

    Ground units: one Dijkstra per mode on the reversed graph from the incident's node, bounded
    by a limit that doubles until ``k`` units are inside it, so the answer equals ranking every
    unit by its full shortest path (what a brute force computes) at a fraction of the cost.
    Modes are searched fastest first, and each later search stops at the k-th best ETA found
    so far (no unit beyond it can enter the ranking).
    Snap distances (unit to its node, node to the incident) are walked at 5 km/h. Drones fly the
    great-circle distance at ``speed_kph`` plus ``takeoff_s``, only within ``range_m``.
    Time O(k-bounded Dijkstra) per mode; typically under a millisecond on a city network.
    """
    if len(units) == 0:
        raise ValueError("units: the unit list is empty")
    if k < 1:
        raise ValueError(f"k: must be >= 1, got {k}")
    snap = network.snap([point[0]], [point[1]], max_snap_m=max_snap_m)
    if snap.too_far[0]:
        raise ValueError(
            f"point: {snap.distance_m[0]:.0f} m from the nearest road (more than "
            f"max_snap_m={max_snap_m:g}); not snapped"
        )
    target = int(snap.node[0])
    walk_in = float(snap.walk_s[0])
    eta = np.full(len(units), np.inf)
    pred_by_mode: dict[str, NDArray[np.int32]] = {}
    ok = np.asarray(units.available, dtype=bool)
    modes = np.asarray(units.mode).astype(str)
    drone = ok & (modes == "drone")
    if drone.any():
        speed = units.speed_kph if units.speed_kph is not None else np.full(len(units), 60.0)
        rng = units.range_m if units.range_m is not None else np.full(len(units), np.inf)
        dist = haversine_m(units.lon[drone], units.lat[drone], point[0], point[1])
        t = dist / (speed[drone] / 3.6) + units.takeoff_s
        eta[np.flatnonzero(drone)] = np.where(dist <= rng[drone], t, np.inf)
    ground = ok & (modes != "drone")
    unit_node = np.full(len(units), -1, dtype=np.int64)
    if ground.any():
        us = network.snap(units.lon[ground], units.lat[ground], max_snap_m=1e9)
        gidx = np.flatnonzero(ground)
        unit_node[gidx] = us.node
        present = set(np.unique(modes[ground]).tolist())
        speed_rank = ["car", "motorcycle", "foot"]  # fast modes first: they tighten the bound
        for m in [x for x in speed_rank if x in present] + sorted(present - set(speed_rank)):
            sel = modes[gidx] == m
            g = network.graph(m, at, reverse=True)
            # the k-th best ETA found so far bounds this mode's search: a unit farther than
            # it cannot enter the top k, so the answer stays exact
            fin = eta[np.isfinite(eta)]
            bound = float(np.partition(fin, k - 1)[k - 1]) if fin.size >= k else np.inf
            cap = bound - walk_in + 1e-9
            limit = min(first_limit_s, cap)
            while True:
                d, pred = dijkstra(
                    g,
                    directed=True,
                    indices=target,
                    limit=max(limit, 0.0),
                    return_predecessors=True,
                )
                t = d[us.node[sel]] + us.walk_s[sel] + walk_in
                if (
                    np.isfinite(t).sum() >= min(k, int(sel.sum()))
                    or limit >= cap
                    or not np.isfinite(limit)
                ):
                    break
                limit = min(limit * 2 if limit < 86_400 else np.inf, cap)
            eta[gidx[sel]] = t
            pred_by_mode[m] = pred
    order = np.argsort(eta, kind="stable")
    order = order[np.isfinite(eta[order])][:k]
    routes: list[I64] = []
    for i in order.tolist():
        pred = pred_by_mode.get(str(modes[i]))
        if pred is None:
            routes.append(np.empty(0, dtype=np.int64))
            continue
        path = [int(unit_node[i])]
        while path[-1] != target and pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        routes.append(np.asarray(path, dtype=np.int64))
    return Ranked(order.astype(np.int64), eta[order], modes[order], routes)


def isochrones(
    network: RoadNetwork, field_s: F64, levels_s: ArrayLike, *, roadside_m: float = 60.0
) -> list[shapely.Geometry]:
    """Polygons (WGS-84) of the area reached within each level: the reached road segments,
    partly reached ones cut where the time runs out, widened by ``roadside_m`` on each side and
    merged (per-segment buffers, one cascaded union). Follows the roads, not circles. O(E)
    plus the polygon union, O(S log S) in the reached segments S."""
    lv = np.asarray(levels_s, dtype=np.float64).ravel()
    if lv.size == 0 or np.any(lv <= 0):
        raise ValueError(f"levels_s: must be > 0, got {lv.tolist()}")
    if field_s.shape != (network.n_nodes,):
        raise ValueError("field_s: needs one time per node")
    proj = network.projection
    x, y = proj.forward(network.node_lon, network.node_lat)
    w = network.edge_times("foot" if network.given_time_s is None else "car")
    t_a = field_s[network.tail]
    out = []
    for level in lv.tolist():
        reach = t_a <= level
        frac = np.clip((level - t_a) / np.maximum(w, 1e-9), 0.0, 1.0)
        frac = np.where(
            np.isfinite(field_s[network.head]) & (field_s[network.head] <= level), 1.0, frac
        )
        sel = np.flatnonzero(reach & (frac > 0))
        if sel.size == 0:
            out.append(shapely.Polygon())
            continue
        # a segment reached end to end in both directions is drawn once
        full = frac[sel] >= 1.0
        ta, hb = network.tail[sel].astype(np.int64), network.head[sel].astype(np.int64)
        key = np.minimum(ta, hb) * network.n_nodes + np.maximum(ta, hb)
        _, first = np.unique(key[full], return_index=True)
        sel = np.concatenate([sel[full][first], sel[~full]])
        a, b, f = network.tail[sel], network.head[sel], frac[sel]
        x0, y0 = x[a], y[a]
        x1, y1 = x0 + (x[b] - x0) * f, y0 + (y[b] - y0) * f
        coords = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
        lines = shapely.linestrings(coords)
        # buffer each segment, then one cascaded union (STRtree): much faster than buffering
        # a MultiLineString, which unions through a slower path
        poly = shapely.union_all(shapely.buffer(lines, roadside_m, quad_segs=2))
        poly = shapely.simplify(poly, roadside_m / 4)
        out.append(_to_lonlat(poly, proj))
    return out


def _to_lonlat(geom: shapely.Geometry, proj: Any) -> shapely.Geometry:
    def inv(c: F64) -> F64:
        lon, lat = proj.inverse(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, inv)


def coverage_shares(
    field_s: F64, node: ArrayLike, walk_s: ArrayLike, weights: ArrayLike, standards_s: ArrayLike
) -> dict[str, Any]:
    """Share of demand (weighted) reached within each standard, and which points are outside.

    ``node``/``walk_s`` are the demand points' snapped nodes and walk times; time = field at the
    node + walk. O(n × levels)."""
    t = field_s[np.asarray(node, dtype=np.int64)] + np.asarray(walk_s, dtype=np.float64)
    wts = np.asarray(weights, dtype=np.float64)
    total = float(wts.sum())
    out: dict[str, Any] = {"total_weight": total, "time_s": t, "levels": []}
    for s in np.asarray(standards_s, dtype=np.float64).ravel().tolist():
        inside = t <= s
        covered = float(wts[inside].sum())
        out["levels"].append(
            {
                "standard_s": s,
                "covered_weight": covered,
                "covered_share": covered / total if total else 0.0,
                "outside": np.flatnonzero(~inside),
            }
        )
    return out
