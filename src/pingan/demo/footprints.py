"""Demo building footprints: rows of houses along the demo city's streets, so that the camera
figures and the siting run with occlusion on ``pingan demo``. Deterministic for a seed.

Along each street edge of 40-400 m, on both sides, rectangles 14-26 m wide and 10-22 m deep
stand 5-9 m back from the centre line, turned with the street; those that touch a street (its
line widened by 3 m) or another house are dropped, and at most ``max_buildings`` are kept, the
ones nearest the city's busiest places first (the roads' node density).
Run after the road network is saved (``roads.npz``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from pingan.roads import RoadNetwork

__all__ = ["demo_footprints", "seed_footprints"]

F64 = NDArray[np.float64]
MAX_BUILDINGS = 12_000


def demo_footprints(
    net: RoadNetwork, *, seed: int, max_buildings: int = MAX_BUILDINGS
) -> list[shapely.Polygon]:
    """Footprints (WGS-84 polygons) along the network's streets; see the module docstring.
    O(E + b log b) for E edges and b candidate houses."""
    rng = np.random.default_rng(seed + 2226)
    proj = net.projection
    x, y = proj.forward(net.node_lon, net.node_lat)
    t, h = net.tail.astype(np.int64), net.head.astype(np.int64)
    once = (t < h) & (net.length_m >= 40) & (net.length_m <= 400)
    t, h = t[once], h[once]
    if t.size == 0:
        return []
    ax, ay, bx, by = x[t], y[t], x[h], y[h]
    length = np.hypot(bx - ax, by - ay)
    ok = length > 1.0
    ax, ay, bx, by, length = ax[ok], ay[ok], bx[ok], by[ok], length[ok]
    ux, uy = (bx - ax) / length, (by - ay) / length  # along the street
    nx_, ny_ = -uy, ux  # its left
    per = np.maximum(1, (length // 32).astype(np.int64))
    e = np.repeat(np.arange(length.size), per)
    k = np.concatenate([np.arange(n) for n in per])
    frac = (k + 0.5) / per[e]
    side = rng.choice([-1.0, 1.0], e.size)
    width = rng.uniform(14, 26, e.size)
    depth = rng.uniform(10, 22, e.size)
    back = rng.uniform(5, 9, e.size) + depth / 2
    cx = ax[e] + frac * (bx[e] - ax[e]) + side * back * nx_[e]
    cy = ay[e] + frac * (by[e] - ay[e]) + side * back * ny_[e]
    corners = []
    for su, sn in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)):
        corners.append(
            np.column_stack(
                [
                    cx + su * width / 2 * ux[e] + sn * depth / 2 * nx_[e],
                    cy + su * width / 2 * uy[e] + sn * depth / 2 * ny_[e],
                ]
            )
        )
    rings = np.stack(corners, axis=1)  # (b, 5, 2)
    houses = shapely.polygons(rings)
    # busiest first: the node density around each house (nodes within 300 m)
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([x, y]))
    dens = tree.query_ball_point(np.column_stack([cx, cy]), 300.0, return_length=True)
    order = np.lexsort((rng.random(e.size), -np.asarray(dens)))
    houses = houses[order[: 4 * max_buildings]]  # the busiest candidates are enough
    # drop houses that touch a street (within 3 m of its line)
    streets = shapely.linestrings(
        np.stack(
            [
                np.column_stack([x[net.tail], y[net.tail]]),
                np.column_stack([x[net.head], y[net.head]]),
            ],
            axis=1,
        )
    )
    hit, _ = shapely.STRtree(streets).query(houses, predicate="dwithin", distance=3.0)
    keep = np.ones(houses.size, dtype=bool)
    keep[np.unique(hit)] = False
    houses = houses[keep]
    # and those overlapping an earlier (busier) house, up to the cap
    chosen: list[int] = []
    taken = shapely.STRtree(houses)
    blocked = np.zeros(houses.size, dtype=bool)
    for i in range(houses.size):
        if blocked[i]:
            continue
        chosen.append(i)
        if len(chosen) >= max_buildings:
            break
        blocked[taken.query(houses[i], predicate="intersects")] = True
    out = houses[np.asarray(chosen, dtype=np.int64)]

    def inverse(xy: F64) -> F64:
        lon, lat = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return list(shapely.transform(out, inverse))


def seed_footprints(engine: Any, data_dir: Path, *, seed: int) -> str:
    """Store the demo footprints (replacing earlier demo ones); a one-line summary."""
    from sqlalchemy import delete

    from pingan.cameras.footprints import Parsed, store
    from pingan.cameras.models import BuildingFootprint
    from pingan.store.engine import unit_of_work

    path = Path(data_dir) / "roads.npz"
    if not path.exists():
        return "no road network: no building footprints"
    polys = demo_footprints(RoadNetwork.load(path), seed=seed)
    parsed = Parsed(polys, [None] * len(polys), [None] * len(polys), len(polys), [])
    with unit_of_work(engine) as s:
        s.execute(delete(BuildingFootprint).where(BuildingFootprint.source == "demo"))
        n, _ = store(s, parsed=parsed, source="demo")
        s.commit()
    return f"{n} building footprints"
