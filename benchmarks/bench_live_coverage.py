"""Benchmark of live 1-3-5 coverage (pingan.rapid_response.live) on the demo city's roads.

500 available units at random road nodes, the demo's grid cells as demand (or, without a demo
database, 3,000 random nodes), candidate sites one road node per kilometre square. Measured:

- ``cold``: the first computation at a quarter hour (every unit's and site's travel times by
  limited Dijkstra, then bands, shares and the move-up kernel);
- ``status change``: one unit dispatched (left out) or cleared (back), as the command center
  recomputes after each change: the columns are reused, only the arithmetic and the kernel run;
- ``moved unit``: one unit at a new node (one new Dijkstra).

Side by side, the reference: the same answer recomputed from scratch after each change (no
kept columns), which is what a straightforward implementation does; the ratio is printed. The
move-up kernel's gains are checked against brute force over every (unit, site) pair on a
subset. Budget (issue 18): recomputed within 2 s of a status change for 500 units.

Run: ``.venv/bin/python benchmarks/bench_live_coverage.py [--data-dir pingan-data]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pingan.coverage import MoveUp  # noqa: E402
from pingan.rapid_response import live  # noqa: E402
from pingan.rapid_response.data import Forces, Points  # noqa: E402
from pingan.roads import RoadNetwork  # noqa: E402

N_UNITS = 500
BUDGET_S = 2.0


def _units(net: RoadNetwork, n: int, rng: np.random.Generator) -> Forces:
    ok = np.flatnonzero(np.bincount(net.tail[net.vehicle_ok], minlength=net.n_nodes) > 0)
    nodes = rng.choice(ok, n, replace=False)
    kinds = rng.choice(
        ["patrol_car", "motorcycle", "mobile_kiosk", "foot_team"], n, p=[0.6, 0.15, 0.15, 0.1]
    )
    return Forces(
        np.arange(1, n + 1, dtype=np.int64),
        [f"U{i}" for i in range(n)],
        [f"U{i}" for i in range(n)],
        [f"U{i}" for i in range(n)],
        kinds.astype(str),
        np.full(n, "available"),
        net.node_lon[nodes],
        net.node_lat[nodes],
        np.full(n, np.nan),
        np.full(n, np.nan),
    )


def _demand(net: RoadNetwork, data: Path, rng: np.random.Generator) -> Points:
    db = data / "pingan.db"
    if db.exists():
        import sqlite3

        with sqlite3.connect(db) as c:
            rows = c.execute(
                "SELECT id, code, centroid_lon, centroid_lat FROM jurisdictions "
                "WHERE level = 'cell' AND centroid_lon IS NOT NULL"
            ).fetchall()
        w = rng.poisson(20, len(rows)).astype(float)
        return Points(
            "grid_cells",
            np.array([r[0] for r in rows]),
            [r[1] for r in rows],
            [r[1] for r in rows],
            ["cell"] * len(rows),
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
            w,
        )
    idx = rng.choice(net.n_nodes, 3000, replace=False)
    return Points(
        "grid_cells",
        idx,
        [str(i) for i in idx],
        [str(i) for i in idx],
        ["cell"] * idx.size,
        net.node_lon[idx],
        net.node_lat[idx],
        rng.poisson(20, idx.size).astype(float),
    )


def _reset() -> None:
    live._columns.clear()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="pingan-data")
    ap.add_argument("--changes", type=int, default=10)
    args = ap.parse_args()
    data = Path(args.data_dir).resolve()
    if not (data / "roads.npz").exists():
        print(f"SKIP: no road network in {data} (run `pingan demo --no-serve` first)")
        return 0
    rng = np.random.default_rng(18)
    net = RoadNetwork.load(data / "roads.npz")
    cells = _demand(net, data, rng)
    empty = Points(
        "key_areas",
        np.empty(0, np.int64),
        [],
        [],
        [],
        np.empty(0),
        np.empty(0),
        np.empty(0),
        standard_s=np.empty(0),
    )
    demand = live.make_demand(net, cells, empty)
    sites = live.make_sites(net, np.empty(0), np.empty(0), [])
    units = _units(net, N_UNITS, rng)
    at = dt.time(10, 0)
    net.graph("car", at), net.graph("motorcycle", at), net.graph("foot", at)  # built once a day

    def run(u: Forces) -> tuple[float, dict[str, object]]:
        t0 = time.perf_counter()
        out = live.live_coverage(net, u, demand, sites, at=at)
        return time.perf_counter() - t0, out

    _reset()
    cold, out = run(units)
    change: list[float] = []
    reference: list[float] = []
    moved: list[float] = []
    for k in range(args.changes):
        busy = np.ones(len(units), dtype=bool)
        busy[k] = False  # unit k dispatched
        t, _ = run(units.subset(busy))
        change.append(t)
        t, _ = run(units)  # and cleared
        change.append(t)
        _reset()
        t, _ = run(units.subset(busy))  # the reference: from scratch after the change
        reference.append(t)
        lon, lat = units.lon.copy(), units.lat.copy()
        j = int(rng.integers(net.n_nodes))
        lon[k], lat[k] = net.node_lon[j], net.node_lat[j]
        t, _ = run(
            Forces(
                units.id,
                units.code,
                units.name_zh,
                units.name_en,
                units.kind,
                units.status,
                lon,
                lat,
                units.speed_kph,
                units.range_m,
            )
        )
        moved.append(t)
    # the kernel against brute force on a subset
    rs = np.random.default_rng(5)
    cu = rs.uniform(0, 400, (400, 40))
    cu[rs.random((400, 40)) < 0.7] = np.inf
    cs = rs.uniform(0, 400, (400, 40))
    cs[rs.random((400, 40)) < 0.7] = np.inf
    w = rs.integers(1, 9, 400).astype(float)
    m = MoveUp.from_cost_matrices(cu, cs, w, standard_s=180)
    t0 = time.perf_counter()
    g = m.gains()
    t_kernel = time.perf_counter() - t0
    a, b = cu <= 180, cs <= 180
    t0 = time.perf_counter()
    base = w[a.any(1)].sum()
    brute = np.empty_like(g)
    for j in range(a.shape[1]):
        rest = np.delete(a, j, axis=1).any(1)
        for k in range(b.shape[1]):
            brute[j, k] = w[rest | b[:, k]].sum() - base
    t_brute = time.perf_counter() - t0
    assert np.allclose(g, brute), "move-up gains differ from brute force"
    med_change, med_ref = statistics.median(change), statistics.median(reference)
    print(
        f"live coverage on {data.name}: {net.n_nodes:,} nodes, {len(cells):,} cells, "
        f"{len(sites.node):,} sites, {N_UNITS} units"
    )
    print(f"{'measure':<42} {'seconds':>9}")
    print(f"{'cold (first at this quarter hour)':<42} {cold:>9.3f}")
    print(f"{'status change (median of ' + str(len(change)) + ')':<42} {med_change:>9.3f}")
    print(f"{'status change, max':<42} {max(change):>9.3f}")
    print(
        f"{'reference: from scratch after a change':<42} {med_ref:>9.3f}   "
        f"ratio {med_ref / med_change:.0f}x"
    )
    print(f"{'one unit moved (one new Dijkstra)':<42} {statistics.median(moved):>9.3f}")
    print(
        f"move-up gains, 40 units x 40 sites x 400 demand: kernel {t_kernel * 1000:.1f} ms, "
        f"brute force {t_brute * 1000:.0f} ms (ratio {t_brute / t_kernel:.0f}x), equal"
    )
    shares = out["shares"]  # type: ignore[index]
    print("shares:", [(s["standard_s"], s["cells_weighted_share"]) for s in shares])  # type: ignore[index]
    ok = max(change) <= BUDGET_S
    print(f"\n{'PASS' if ok else 'FAIL'}: recomputed ≤ {BUDGET_S} s after a status change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
