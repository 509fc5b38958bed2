"""A per-premises Python loop scoring one premises at a time: the reference the vectorised kernel
is checked against, and the baseline of ``benchmarks/bench_ratings.py``."""

from __future__ import annotations

import math
import statistics

import numpy as np

from pingan.ratings.scoring import Criteria, ScoreInput


def loop_score(criteria: Criteria, inp: ScoreInput) -> tuple[np.ndarray, np.ndarray]:
    """(points premises × items, stars) by brute force: every layer row against every premises."""
    n = len(inp.kinds)

    def near(i: int, xy: np.ndarray, r: float) -> list[int]:
        x0, y0 = inp.xy_m[i]
        return [j for j in range(len(xy)) if math.hypot(xy[j][0] - x0, xy[j][1] - y0) <= r]

    inc = [len(near(i, inp.incident_xy_m, criteria.incident_radius_m)) for i in range(n)]
    by_kind: dict[str, list[int]] = {}
    for k, c in zip(inp.kinds, inc, strict=True):
        by_kind.setdefault(k, []).append(c)
    points = np.zeros((n, len(criteria.items)))
    stars = np.zeros(n, dtype=int)
    for i in range(n):
        s = criteria.sets[criteria.set_of(inp.kinds[i])]
        f = 0
        for k, item in enumerate(criteria.items):
            m = float(s.get(item.code, 0.0))
            if item.type == "feature":
                p = m if inp.features[i, f] else 0.0
                f += 1
            elif item.type == "cameras":
                c = len(near(i, inp.camera_xy_m, criteria.camera_radius_m))
                p = m * min(c / item.full_at, 1.0)
            elif item.type == "inspection":
                p = m if inp.inspection_passed[i] else 0.0
            elif item.type == "hazards":
                hs = set(near(i, inp.hazard_xy_m, criteria.hazard_radius_m))
                hs |= {j for j, pi in enumerate(inp.hazard_premises) if pi == i}
                p = m if not hs else (m / 2 if len(hs) == 1 else 0.0)
            elif item.type == "rectification":
                sh = np.nan if inp.rectify_share is None else float(inp.rectify_share[i])
                p = m if math.isnan(sh) else m * sh
            else:
                med = statistics.median(by_kind[inp.kinds[i]])
                p = m if inc[i] <= med else (m / 2 if inc[i] <= max(2 * med, 2) else 0.0)
            points[i, k] = p
        top = sum(float(v) for v in s.values())
        share = points[i].sum() / top if top else 0.0
        stars[i] = max(n_ for n_, th in criteria.stars.items() if share >= th - 1e-9)
    return points, stars


def synthetic(
    n: int,
    seed: int = 0,
    *,
    cameras: int = 0,
    incidents: int = 0,
    hazards: int = 0,
    kinds: tuple[str, ...] = ("school", "bank", "hotel", "market"),
) -> ScoreInput:
    """A seeded synthetic city: premises, cameras, hazards and incidents in a 10 km square."""
    rng = np.random.default_rng(seed)
    side = 10_000.0 * math.sqrt(n / 7000)
    xy = rng.uniform(0, side, (n, 2))
    # incidents cluster around some premises so that counts vary
    centres = xy[rng.integers(0, n, max(incidents // 20, 1))]
    inc = centres[rng.integers(0, len(centres), incidents)] + rng.normal(0, 60, (incidents, 2))
    return ScoreInput(
        kinds=[kinds[i % len(kinds)] for i in range(n)],
        xy_m=xy,
        features=rng.random((n, 5)) < 0.6,
        inspection_passed=rng.random(n) < 0.7,
        camera_xy_m=xy[rng.integers(0, n, cameras)] + rng.normal(0, 40, (cameras, 2)),
        hazard_xy_m=rng.uniform(0, side, (hazards, 2)),
        hazard_premises=np.where(rng.random(hazards) < 0.3, rng.integers(0, n, hazards), -1),
        incident_xy_m=inc,
        rectify_share=np.where(rng.random(n) < 0.3, rng.integers(0, 3, n) / 2, np.nan),
    )
