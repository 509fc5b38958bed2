"""Benchmark: camera field-of-view coverage, pingan (grid index) vs a chunked numpy brute force.

Instance (seeded): 200,000 points (road samples) and 2,000 cameras over a 10 km × 10 km city,
denser in the centre (half the points and cameras normal around it, half uniform); 15 % of the
cameras are 360° domes with 60 m range, the others 50–110° with 30–150 m (as the demo city).
Both count, for every point, the cameras that see it; the counts must be equal, and pingan must
be at least 20× faster.

    .venv/bin/python benchmarks/bench_camera_coverage.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pingan.coverage import camera_coverage, camera_coverage_brute


def instance(n_points: int, n_cameras: int, *, seed: int = 22):
    rng = np.random.default_rng(seed)

    def where(n: int) -> np.ndarray:
        half = n // 2
        centre = rng.normal(5000, 1500, (half, 2))
        rest = rng.uniform(0, 10_000, (n - half, 2))
        return np.clip(np.vstack([centre, rest]), 0, 10_000)

    pts, cams = where(n_points), where(n_cameras)
    dome = rng.random(n_cameras) < 0.15
    heading = rng.uniform(0, 360, n_cameras)
    fov = np.where(dome, 360.0, rng.uniform(50, 110, n_cameras))
    range_m = np.where(dome, 60.0, rng.uniform(30, 150, n_cameras))
    return pts, cams, heading, fov, range_m


def best_of(fn, repeat: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    assert out is not None
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="50,000 points × 500 cameras")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for pingan (default 3)")
    args = ap.parse_args()
    n, m = (50_000, 500) if args.quick else (200_000, 2_000)
    pts, cams, heading, fov, range_m = instance(n, m)
    t_k, got = best_of(lambda: camera_coverage(pts, cams, heading, fov, range_m), args.repeat)
    t_b, ref = best_of(lambda: camera_coverage_brute(pts, cams, heading, fov, range_m), 1)
    equal = bool(np.array_equal(got, ref))
    ratio = t_b / t_k
    print(f"camera coverage, {n:,} points × {m:,} cameras")
    seen = int((got > 0).sum())
    print(f"  points seen: {seen:,} ({seen / n:.1%}), camera-point pairs {int(got.sum()):,}")
    print(f"  pingan camera_coverage (grid index, best of {args.repeat}): {t_k * 1000:.1f} ms")
    print(f"  chunked numpy brute force:                     {t_b * 1000:.1f} ms")
    print(f"  counts equal: {equal}")
    print(f"  ratio: {ratio:.1f}x (target >= 20x): {'pass' if ratio >= 20 and equal else 'FAIL'}")
    return 0 if equal and ratio >= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
