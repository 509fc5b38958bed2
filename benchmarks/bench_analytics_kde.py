"""Benchmark: binned FFT kernel density (pingan ``kde_grid``) vs scikit-learn ``KernelDensity``.

Both evaluate a Gaussian KDE (bandwidth 250 m) at the centres of a 200 x 200 grid of 100 m cells
(20 km x 20 km) on the same seeded points (a mix of clustered and uniform incidents).
scikit-learn uses ``KernelDensity(kernel="gaussian", bandwidth=250)`` with its default tree and
tolerances (``rtol=0``, exact to float precision). The agreement check is the max relative error
where the density exceeds 1% of its peak (no edge correction on either side, so they compute
the same quantity). The full run uses 1,000,000 points; ``--quick`` uses 10,000.

    .venv/bin/python benchmarks/bench_analytics_kde.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def points(n: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = n // 2
    centres = rng.uniform(3000, 17000, size=(20, 2))
    which = rng.integers(0, 20, k)
    cx = centres[which, 0] + rng.normal(0, 400, k)
    cy = centres[which, 1] + rng.normal(0, 400, k)
    ux = rng.uniform(0, 20000, n - k)
    uy = rng.uniform(0, 20000, n - k)
    x = np.clip(np.concatenate([cx, ux]), 0, 20000)
    y = np.clip(np.concatenate([cy, uy]), 0, 20000)
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
    from sklearn.neighbors import KernelDensity

    from pingan.analytics.hotspots import kde_grid

    n = 10_000 if ns.quick else 1_000_000
    x, y = points(n)
    bounds = (0.0, 0.0, 20000.0, 20000.0)
    kde_grid(x[:100], y[:100], bandwidth_m=250, cell_m=100, bounds=bounds)
    t0 = time.perf_counter()
    ours = kde_grid(x, y, bandwidth_m=250, cell_m=100, bounds=bounds, edge_correction=False)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    c = (np.arange(200) + 0.5) * 100.0
    gx, gy = np.meshgrid(c, c)
    kd = KernelDensity(kernel="gaussian", bandwidth=250.0).fit(np.column_stack([x, y]))
    ref = np.exp(kd.score_samples(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(200, 200)
    ref *= n
    t_sk = time.perf_counter() - t0
    mask = ref > 0.01 * ref.max()
    err = float((np.abs(ours - ref) / ref)[mask].max())
    print(f"{'points':>10s} {'pingan s':>9s} {'sklearn s':>10s} {'ratio':>7s} {'max rel err':>12s}")
    print(f"{n:>10,d} {t_ours:9.3f} {t_sk:10.1f} {t_sk / t_ours:6.0f}x {err:12.2e}")
    if err > 0.01:
        raise SystemExit(f"KDE differs from scikit-learn by {err:.3%}")


if __name__ == "__main__":
    main()
