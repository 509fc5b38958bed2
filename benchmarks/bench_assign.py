"""Point-to-cell assignment: pingan's PolygonIndex against a brute-force shapely reference.

Target (foundation issue): at least 500,000 points per second against 3,000 cells. The cells are
a seeded Voronoi partition of a 25 × 20 km city (like the demo's grid cells). The reference tests
every point against every cell with ``shapely.contains_xy`` (vectorised per cell); results must be
identical.

    .venv/bin/python benchmarks/bench_assign.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from pingan.geo.assign import PolygonIndex


def cells(n: int, rng: np.random.Generator) -> list[shapely.Geometry]:
    box = shapely.box(102.58, 24.95, 102.83, 25.13)
    pts = shapely.multipoints(
        np.column_stack([rng.uniform(102.58, 102.83, n), rng.uniform(24.95, 25.13, n)])
    )
    vor = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box))
    return list(shapely.intersection(vor, box))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    polys = cells(3000, rng)
    n = 200_000 if args.quick else 2_000_000
    lon = rng.uniform(102.57, 102.84, n)
    lat = rng.uniform(24.94, 25.14, n)
    t = time.perf_counter()
    idx = PolygonIndex(polys)
    build_s = time.perf_counter() - t
    idx.assign(lon[:1000], lat[:1000])
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        got = idx.assign(lon, lat)
        best = min(best, time.perf_counter() - t)
    m = min(n, 100_000)
    t = time.perf_counter()
    ref = np.full(m, -1, dtype=np.int64)
    for k, poly in enumerate(polys):
        hit = shapely.intersects_xy(poly, lon[:m], lat[:m]) & (ref < 0)
        ref[hit] = k
    ref_s = (time.perf_counter() - t) * n / m
    assert np.array_equal(got[:m], ref), "assignment differs from the brute-force reference"
    rate = n / best
    print(f"{len(polys)} cells, {n:,} points; index build {build_s * 1000:.0f} ms")
    print(f"pingan PolygonIndex   {best:7.3f} s  {rate:12,.0f} points/s")
    print(
        f"brute force (shapely) {ref_s:7.3f} s  {n / ref_s:12,.0f} points/s (extrapolated from "
        f"{m:,})"
    )
    print(
        f"ratio {ref_s / best:.0f}x faster; outside every cell: {(got < 0).sum():,}; "
        f"target 500,000/s: {'PASS' if rate >= 500_000 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
