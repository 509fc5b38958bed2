"""Benchmark of the demo generator: build the city and simulate two years of incidents.

There is no third-party tool that generates the same city, so the reference column is the
budget this stage has inside ``pingan demo`` (generation must leave the database load most of
the 3-minute, 4 GB budget on 2 cores). The script also checks that two runs with the same seed
give identical hashes.

Run: ``.venv/bin/python benchmarks/bench_demo_generate.py [--quick] [--scale F] [--years Y]``
(``--quick``: scale 0.2 and 0.5 years, well under a minute).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
import tracemalloc
from datetime import UTC, datetime

import numpy as np

from pingan.demo.city import build_city
from pingan.demo.simulate import IncidentArrays, simulate_incidents

BUDGET_S = {"build_city": 15.0, "simulate_incidents": 25.0, "total": 40.0}


def _hash(inc: IncidentArrays) -> str:
    h = hashlib.sha256()
    for name in inc.__dataclass_fields__:
        a = getattr(inc, name)
        h.update("|".join(a.tolist()).encode() if a.dtype.kind == "U" else a.tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--trace", action="store_true", help="tracemalloc peak (slower)")
    args = ap.parse_args()
    scale, years = (0.2, 0.5) if args.quick else (args.scale, args.years)
    end = datetime(2026, 11, 22, tzinfo=UTC)
    if args.trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    city = build_city(seed=args.seed)
    t1 = time.perf_counter()
    inc = simulate_incidents(city, seed=args.seed, end=end, years=years, scale=scale)
    t2 = time.perf_counter()
    peak_traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else float("nan")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    again = simulate_incidents(city, seed=args.seed, end=end, years=years, scale=scale)
    same = _hash(inc) == _hash(again)
    rows = [
        ("build_city", t1 - t0, BUDGET_S["build_city"]),
        ("simulate_incidents", t2 - t1, BUDGET_S["simulate_incidents"]),
        ("total", t2 - t0, BUDGET_S["total"]),
    ]
    print(f"demo generation (seed {args.seed}, scale {scale}, years {years})")
    print(f"{'stage':<20} {'pingan s':>9} {'budget s':>9} {'ratio':>7}")
    for name, t, b in rows:
        print(f"{name:<20} {t:9.2f} {b:9.1f} {t / b:7.2f}")
    r = city.roads
    print(
        f"road nodes {len(r.node_lon):,}  segments {len(r.u):,}  cells {len(city.cells):,}  "
        f"places {len(city.places.kind):,}  cameras {len(city.cameras.code):,}  "
        f"incidents {len(inc):,}"
    )
    print(f"peak RSS {rss_mb:,.0f} MB  (tracemalloc peak {peak_traced:,.0f} MB)")
    print(f"same seed -> same hash: {same}  ({_hash(inc)})")
    print(f"incidents per second: {len(inc) / max(t2 - t1, 1e-9):,.0f}")
    assert same, "simulation is not deterministic"
    assert np.all(np.diff(inc.reported_at) >= 0)


if __name__ == "__main__":
    main()
