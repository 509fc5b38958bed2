"""Benchmark: Getis-Ord Gi* on a grid, pingan (convolution) vs PySAL esda ``G_Local``.

Same seeded Poisson grid, queen weights of radius 1 with the cell itself (binary), esda
``G_Local(y, w, star=True, transform="B", permutations=0)`` with the weights already built
(building them is not timed). Checks the z-scores agree to 1e-8 and prints both times.

    .venv/bin/python benchmarks/bench_analytics_gistar.py [--quick]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
    from esda.getisord import G_Local
    from libpysal.weights import lat2W

    from pingan.analytics.hotspots import getis_ord_gi_star

    sizes = [(100, 100), (200, 200)] if ns.quick else [(100, 100), (200, 200), (400, 400)]
    print(f"{'grid':>10s} {'pingan ms':>10s} {'esda s':>8s} {'ratio':>8s} {'max |dz|':>10s}")
    for shape in sizes:
        rng = np.random.default_rng(42)
        y = rng.poisson(3.0, size=shape).astype(np.float64)
        y[shape[0] // 3 : shape[0] // 3 + 5, shape[1] // 2 : shape[1] // 2 + 5] += 8
        w = lat2W(*shape, rook=False)
        w.transform = "B"
        getis_ord_gi_star(y)  # warm-up
        reps = 20
        t0 = time.perf_counter()
        for _ in range(reps):
            z = getis_ord_gi_star(y, radius_cells=1, kernel="queen")
        t_ours = (time.perf_counter() - t0) / reps
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            g = G_Local(y.ravel(), w, star=True, transform="B", permutations=0)
            t_esda = time.perf_counter() - t0
        dz = float(np.abs(z.ravel() - g.Zs).max())
        print(
            f"{shape[0]:>4d}x{shape[1]:<5d} {t_ours * 1e3:10.2f} {t_esda:8.2f} "
            f"{t_esda / t_ours:7.0f}x {dz:10.1e}"
        )
        if dz > 1e-8:
            raise SystemExit(f"Gi* differs from esda by {dz}")


if __name__ == "__main__":
    main()
