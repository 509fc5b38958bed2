"""Benchmark: travel-time fields, unit ranking and isochrones vs scipy csgraph and networkx.

1. ``travel_times`` on a synthetic road-like network (jittered 500 × 500 grid, ~5% of blocks
   removed, classes and one-way streets: 250,000 nodes, ~950,000 directed edges) from 500
   sources, against a bare ``scipy.sparse.csgraph.dijkstra(min_only=True)`` on the same
   matrix and ``networkx.multi_source_dijkstra_path_length``; max abs difference checked.
2. ``rank_units`` (k = 5) on the demo city network (~73,000 nodes) with 300 ground units,
   p50/p99 per incident over 200 random incidents, against brute force (networkx
   single-source Dijkstra from every unit, ranked): identical unit order required.
3. ``isochrones`` 1/3/5 min for the demo city's 129 posts (fixed posts + mobile kiosks),
   against the exact buffered union of the reached segments (areas, symmetric difference);
   every reached node must lie inside its polygon.

    .venv/bin/python benchmarks/bench_coverage_fields.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def grid_network(n: int, *, seed: int) -> object:
    from pingan.geo.crs import haversine_m
    from pingan.roads import RoadNetwork

    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    lon = 102.5 + jj.ravel() * 0.0015 + rng.normal(0, 0.0002, n * n)
    lat = 24.8 + ii.ravel() * 0.0015 + rng.normal(0, 0.0002, n * n)
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) > 0.05
    u, v = u[keep], v[keep]
    row = u // n
    col = u % n
    cls = np.where(
        (row % 20 == 0) | (col % 20 == 0),
        "primary",
        np.where((row % 5 == 0) | (col % 5 == 0), "tertiary", "residential"),
    )
    length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    oneway = (cls == "residential") & (rng.random(u.size) < 0.1)
    return RoadNetwork.from_classified_edges(
        u, v, road_class=cls, length_m=length, node_lon=lon, node_lat=lat, oneway=oneway
    )


def to_nx(g: object) -> object:
    import networkx as nx
    import scipy.sparse as sp

    c = sp.coo_matrix(g)
    G = nx.DiGraph()
    G.add_nodes_from(range(c.shape[0]))
    G.add_weighted_edges_from(zip(c.row.tolist(), c.col.tolist(), c.data.tolist(), strict=True))
    return G


def bench_travel_times(quick: bool) -> None:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from pingan.coverage import travel_times

    n = 200 if quick else 500
    net = grid_network(n, seed=3)
    rng = np.random.default_rng(5)
    src = rng.choice(net.n_nodes, 500, replace=False)
    g = net.graph("car")  # built once and cached (as in every later call)
    travel_times(net, src[:2], mode="car")
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        ours = travel_times(net, src, mode="car")
    t_ours = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    for _ in range(reps):
        bare = dijkstra(g, directed=True, indices=src, min_only=True)
    t_bare = (time.perf_counter() - t0) / reps
    G = to_nx(g)
    t0 = time.perf_counter()
    ref = nx.multi_source_dijkstra_path_length(G, set(src.tolist()))
    t_nx = time.perf_counter() - t0
    want = np.full(net.n_nodes, np.inf)
    want[list(ref)] = list(ref.values())
    fin = np.isfinite(want)
    diff = max(
        float(np.abs(ours[fin] - want[fin]).max()), float(np.abs(ours[fin] - bare[fin]).max())
    )
    assert np.array_equal(np.isfinite(ours), fin)
    print(
        f"travel_times: {net.n_nodes:,} nodes, {g.nnz:,} directed edges, 500 sources: pingan "
        f"{t_ours * 1e3:.0f} ms, bare csgraph {t_bare * 1e3:.0f} ms "
        f"({t_ours / t_bare:.2f}x of csgraph), networkx {t_nx:.2f} s "
        f"({t_nx / t_ours:.0f}x slower than pingan), max |diff| {diff:.1e} s"
    )
    if diff > 1e-6:
        raise SystemExit(f"travel_times differs from networkx by {diff}")


def demo_network() -> tuple[object, object]:
    from pingan.demo.city import build_city
    from pingan.roads import RoadNetwork

    city = build_city()
    r = city.roads
    net = RoadNetwork.from_classified_edges(
        r.u,
        r.v,
        road_class=r.road_class,
        length_m=r.length_m,
        node_lon=r.node_lon,
        node_lat=r.node_lat,
        oneway=r.oneway,
    )
    return city, net


def bench_rank_units(city: object, net: object, quick: bool) -> None:
    import networkx as nx

    from pingan.coverage import Units, rank_units

    u = city.units  # type: ignore[attr-defined]
    kinds = np.asarray(u.kind).astype(str)
    ground = np.flatnonzero(np.isin(kinds, ["patrol_car", "motorcycle", "foot_team"]))
    rng = np.random.default_rng(8)
    pick = np.sort(rng.choice(ground, 300, replace=False))
    mode = np.where(
        kinds[pick] == "patrol_car",
        "car",
        np.where(kinds[pick] == "motorcycle", "motorcycle", "foot"),
    )
    units = Units(lon=u.lon[pick], lat=u.lat[pick], mode=mode, available=np.ones(300, dtype=bool))
    nodes = rng.choice(net.n_nodes, 60 if quick else 200, replace=False)
    pts = [(float(net.node_lon[i]), float(net.node_lat[i])) for i in nodes]
    t0 = time.perf_counter()
    rank_units(net, pts[0], units, k=5)  # warm the caches (graphs, KD-tree, numba kernel)
    t_first = time.perf_counter() - t0
    times = []
    results = []
    for p in pts:
        t0 = time.perf_counter()
        results.append(rank_units(net, p, units, k=5))
        times.append(time.perf_counter() - t0)
    t = np.array(times) * 1e3
    # brute force: every unit's full shortest path with networkx, ranked by ETA
    graphs = {m: to_nx(net.graph(m)) for m in ("car", "motorcycle", "foot")}
    us = net.snap(units.lon, units.lat, max_snap_m=1e9)
    n_check = 10 if quick else 25
    same = 0
    t0 = time.perf_counter()
    for p, got in zip(pts[:n_check], results[:n_check], strict=True):
        s = net.snap([p[0]], [p[1]], max_snap_m=1e9)
        tgt = int(s.node[0])
        eta = np.full(300, np.inf)
        for m in ("car", "motorcycle", "foot"):
            dist = nx.single_source_dijkstra_path_length(graphs[m].reverse(copy=False), tgt)
            for i in np.flatnonzero(mode == m).tolist():
                d = dist.get(int(us.node[i]))
                if d is not None:
                    eta[i] = d + us.walk_s[i] + s.walk_s[0]
        want = np.argsort(eta, kind="stable")[:5]
        ok = np.array_equal(want, got.unit) and np.allclose(eta[want], got.eta_s, atol=1e-6)
        same += ok
    t_brute = (time.perf_counter() - t0) / n_check
    print(
        f"rank_units: {net.n_nodes:,} nodes, 300 units, k=5, {len(pts)} incidents: p50 "
        f"{np.percentile(t, 50):.2f} ms, p99 {np.percentile(t, 99):.2f} ms; brute-force "
        f"networkx {t_brute * 1e3:.0f} ms per incident; identical ranking {same}/{n_check}; "
        f"first call in the process {t_first:.2f} s"
    )
    if same != n_check:
        raise SystemExit("rank_units ranking differs from brute force")


def exact_isochrones(net: object, field: np.ndarray, levels: list[float], roadside_m: float):
    """Reference: the reached road (edges with a reached tail, cut where the time runs out,
    whole when the head is reached) buffered segment by segment and unioned, in metres."""
    import shapely

    x, y = net.projection.forward(net.node_lon, net.node_lat)  # type: ignore[attr-defined]
    w = net.edge_times("car")  # type: ignore[attr-defined]
    tail, head = net.tail, net.head  # type: ignore[attr-defined]
    out = []
    for level in levels:
        sel = np.flatnonzero(field[tail] <= level)
        ta, tb = field[tail][sel], field[head][sel]
        with np.errstate(invalid="ignore"):
            f = np.where(tb <= level, 1.0, np.clip((level - ta) / w[sel], 0.0, 1.0))
        a, b = tail[sel], head[sel]
        seg = np.stack(
            [
                np.column_stack([x[a], y[a]]),
                np.column_stack([x[a] + (x[b] - x[a]) * f, y[a] + (y[b] - y[a]) * f]),
            ],
            axis=1,
        )
        lines = shapely.linestrings(seg)
        out.append(shapely.union_all(shapely.buffer(lines, roadside_m, quad_segs=8)))
    return out


def bench_isochrones(city: object, net: object) -> None:
    import shapely

    from pingan.coverage import isochrones, travel_times

    u = city.units  # type: ignore[attr-defined]
    kinds = np.asarray(u.kind).astype(str)
    posts = np.flatnonzero(np.isin(kinds, ["fixed_post", "mobile_kiosk"]))
    levels = [60.0, 180.0, 300.0]
    s = net.snap(u.lon[posts], u.lat[posts], max_snap_m=1e9)
    one = travel_times(net, np.column_stack([s.node[:1], s.walk_s[:1]]), mode="car", limit_s=60)
    t0 = time.perf_counter()
    isochrones(net, one, [60.0], mode="car")  # loads (or compiles) the numba kernels
    t_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    field = travel_times(net, np.column_stack([s.node, s.walk_s]), mode="car", limit_s=300)
    t_field = time.perf_counter() - t0
    t0 = time.perf_counter()
    polys = isochrones(net, field, levels, mode="car")
    t_iso = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = exact_isochrones(net, field, levels, 60.0)
    t_ref = time.perf_counter() - t0

    def fwd(c: np.ndarray) -> np.ndarray:
        x, y = net.projection.forward(c[:, 0], c[:, 1])  # type: ignore[attr-defined]
        return np.column_stack([x, y])

    rows = []
    for level, p, r in zip(levels, polys, ref, strict=True):
        pm = shapely.transform(p, fwd)
        reached = np.flatnonzero(field <= level)
        inside = shapely.contains_xy(p, net.node_lon[reached], net.node_lat[reached]).all()
        if not (p.is_valid and inside):
            raise SystemExit(f"isochrone {level:g} s: invalid or a reached node outside")
        rows.append(
            f"{level / 60:g} min {pm.area / 1e6:.1f} km² vs exact {r.area / 1e6:.1f} km² "
            f"({(pm.area / r.area - 1) * 100:+.1f}%, symmetric difference "
            f"{pm.symmetric_difference(r).area / r.area * 100:.1f}%), "
            f"{len(getattr(p, 'geoms', [p]))} parts"
        )
    print(
        f"isochrones: {posts.size} posts, 1/3/5 min, 25 m cells: field {t_field * 1e3:.0f} ms + "
        f"polygons {t_iso:.2f} s = {t_field + t_iso:.2f} s (first call in the process "
        f"{t_warm:.2f} s); exact buffered union of the reached segments {t_ref:.2f} s; "
        + "; ".join(rows)
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
    bench_travel_times(ns.quick)
    city, net = demo_network()
    bench_rank_units(city, net, ns.quick)
    bench_isochrones(city, net)


if __name__ == "__main__":
    main()
