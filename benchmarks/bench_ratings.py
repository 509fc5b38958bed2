"""Star ratings of a whole city: the vectorised kernel against a query per premises.

Target (issue 21): every premises of the demo city (about 6,850) rated in at most 10 s. The city
here is synthetic and seeded: 6,850 premises, 20,000 cameras, 200,000 incidents in the 12-month
window, 500 open hazards. The kernel (``pingan.ratings.scoring.score``) finds all neighbours with
one sparse distance matrix per layer; the baseline scores one premises at a time with numpy
distances to every camera, hazard and incident (a query per premises), timed on a sample and
scaled to the city. Both must give the same points on the sample.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_ratings.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ratings.reference import synthetic

from pingan.ratings.criteria import DEFAULT_FILE, load_criteria
from pingan.ratings.scoring import Criteria, ScoreInput, score


def per_premises(
    crit: Criteria, inp: ScoreInput, rows: np.ndarray, median: np.ndarray
) -> np.ndarray:
    """Points of the premises ``rows``, one premises at a time (``median``: each premises' kind
    median of incident counts, which such a loop gets from the same per-premises counts)."""
    maxima = crit.max_matrix(inp.kinds)
    out = np.zeros((len(rows), len(crit.items)))
    for r, i in enumerate(rows):
        d_cam = np.hypot(*(inp.camera_xy_m - inp.xy_m[i]).T)
        d_inc = np.hypot(*(inp.incident_xy_m - inp.xy_m[i]).T)
        d_haz = np.hypot(*(inp.hazard_xy_m - inp.xy_m[i]).T)
        n_inc = int((d_inc <= crit.incident_radius_m).sum())
        med = float(median[i])
        hz = set(np.flatnonzero(d_haz <= crit.hazard_radius_m).tolist())
        hz |= set(np.flatnonzero(inp.hazard_premises == i).tolist())
        f = 0
        for k, item in enumerate(crit.items):
            m = maxima[i, k]
            if item.type == "feature":
                out[r, k] = m if inp.features[i, f] else 0.0
                f += 1
            elif item.type == "cameras":
                c = int((d_cam <= crit.camera_radius_m).sum())
                out[r, k] = m * min(c / item.full_at, 1.0)
            elif item.type == "inspection":
                out[r, k] = m if inp.inspection_passed[i] else 0.0
            elif item.type == "hazards":
                out[r, k] = m if not hz else (m / 2 if len(hz) == 1 else 0.0)
            else:
                half = max(2 * med, 2)
                out[r, k] = m if n_inc <= med else (m / 2 if n_inc <= half else 0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smaller sample for the baseline")
    args = ap.parse_args()
    crit = load_criteria(DEFAULT_FILE)
    n = 6_850
    inp = synthetic(
        n,
        7,
        cameras=20_000,
        incidents=200_000,
        hazards=500,
        kinds=(
            "residential_compound",
            "school",
            "hospital",
            "market",
            "hotel",
            "bank",
            "gas_station",
            "entertainment_venue",
            "business",
            "rental_house",
        ),
    )
    score(crit, inp)  # warm-up
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        res = score(crit, inp)
        best = min(best, time.perf_counter() - t)
    rng = np.random.default_rng(1)
    sample = np.sort(rng.choice(n, 50 if args.quick else 300, replace=False))
    t = time.perf_counter()
    pts = per_premises(crit, inp, sample, res.incident_median)
    loop_s = (time.perf_counter() - t) / len(sample) * n
    np.testing.assert_allclose(pts, res.points[sample])
    spread = np.bincount(res.stars, minlength=6)[1:]
    print(
        f"premises {n}, cameras {len(inp.camera_xy_m)}, incidents {len(inp.incident_xy_m)}, "
        f"hazards {len(inp.hazard_xy_m)}"
    )
    print(
        f"vectorised kernel: {best:.3f} s for the city (best of 3); stars 1..5: {spread.tolist()}"
    )
    print(
        f"query per premises: {loop_s:.1f} s for the city (scaled from {len(sample)}); "
        f"speed-up {loop_s / best:.0f}x; same points on the sample"
    )


if __name__ == "__main__":
    main()
