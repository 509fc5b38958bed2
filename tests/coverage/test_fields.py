from __future__ import annotations

import contextlib
import itertools

import networkx as nx
import numpy as np
import pytest
import shapely

from pingan.coverage import Units, coverage_shares, isochrones, rank_units, travel_times
from pingan.geo.crs import haversine_m
from pingan.roads import RoadNetwork


def city_like(n: int, *, seed: int) -> RoadNetwork:
    """A jittered n × n grid with classes, one-way streets and some removed blocks."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    lon = 102.6 + jj.ravel() * 0.002 + rng.normal(0, 0.0003, n * n)
    lat = 24.95 + ii.ravel() * 0.002 + rng.normal(0, 0.0003, n * n)
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(u.size) > 0.08
    u, v = u[keep], v[keep]
    cls = np.where(
        (u // n) % 10 == 0, "primary", np.where(rng.random(u.size) < 0.1, "footway", "residential")
    )
    length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    oneway = rng.random(u.size) < 0.15
    return RoadNetwork.from_classified_edges(
        u, v, road_class=cls, length_m=length, node_lon=lon, node_lat=lat, oneway=oneway
    )


def _nx(net: RoadNetwork, mode: str) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    w = net.edge_times(mode)
    for a, b, t in zip(net.tail.tolist(), net.head.tolist(), w.tolist(), strict=True):
        if np.isfinite(t) and (not g.has_edge(a, b) or g[a][b]["w"] > t):
            g.add_edge(a, b, w=t)
    return g


@pytest.mark.parametrize("mode", ["car", "foot"])
def test_travel_times_equal_networkx(mode: str) -> None:
    net = city_like(25, seed=7)
    src = np.array([3, 200, 611])
    got = travel_times(net, src, mode=mode)
    ref = nx.multi_source_dijkstra_path_length(_nx(net, mode), set(src.tolist()), weight="w")
    want = np.full(net.n_nodes, np.inf)
    for k, d in ref.items():
        want[k] = d
    np.testing.assert_allclose(got, want, atol=1e-6)
    lim = travel_times(net, src, mode=mode, limit_s=120)
    assert np.all(np.isinf(lim[want > 120])) and np.allclose(lim[want <= 120], want[want <= 120])


def test_travel_times_with_offsets_and_errors() -> None:
    net = city_like(10, seed=2)
    base = travel_times(net, [5], mode="car")
    off = travel_times(net, np.array([[5, 30.0]]), mode="car")
    np.testing.assert_allclose(off[np.isfinite(base)], base[np.isfinite(base)] + 30.0)
    with pytest.raises(ValueError, match="sources: at least one source node is needed"):
        travel_times(net, [], mode="car")
    with pytest.raises(ValueError, match=r"sources: node indices must be in \[0, 100\)"):
        travel_times(net, [100], mode="car")
    with pytest.raises(ValueError, match="limit_s: must be > 0, got 0"):
        travel_times(net, [1], mode="car", limit_s=0)
    with pytest.raises(ValueError, match="mode: 'boat'; use one of car, motorcycle, foot"):
        travel_times(net, [1], mode="boat")


def test_rank_units_matches_brute_force() -> None:
    net = city_like(30, seed=11)
    rng = np.random.default_rng(4)
    n_units = 40
    pick = rng.integers(0, net.n_nodes, n_units)
    modes = np.where(rng.random(n_units) < 0.7, "car", "foot")
    units = Units(
        lon=net.node_lon[pick],
        lat=net.node_lat[pick],
        mode=modes,
        available=rng.random(n_units) < 0.9,
    )
    g = {m: _nx(net, m) for m in ("car", "foot")}
    for trial in range(5):
        target = int(rng.integers(0, net.n_nodes))
        point = (float(net.node_lon[target]), float(net.node_lat[target]))
        got = rank_units(net, point, units, k=5)
        eta = np.full(n_units, np.inf)
        for i in range(n_units):
            if units.available[i]:
                with contextlib.suppress(nx.NetworkXNoPath):
                    eta[i] = nx.dijkstra_path_length(g[modes[i]], int(pick[i]), target, "w")
        want = np.argsort(eta, kind="stable")[:5]
        want = want[np.isfinite(eta[want])]
        np.testing.assert_allclose(got.eta_s, eta[want], atol=1e-6, err_msg=f"trial {trial}")
        for r, i in zip(got.routes, got.unit.tolist(), strict=True):
            assert r[0] == pick[i] and r[-1] == target


def test_rank_units_drones_and_errors() -> None:
    net = city_like(10, seed=5)
    units = Units(
        lon=np.array([net.node_lon[0], net.node_lon[99]]),
        lat=np.array([net.node_lat[0], net.node_lat[99]]),
        mode=np.array(["drone", "car"]),
        available=np.array([True, True]),
        speed_kph=np.array([72.0, 0.0]),
        range_m=np.array([50_000.0, 0.0]),
    )
    got = rank_units(net, (float(net.node_lon[1]), float(net.node_lat[1])), units, k=2)
    assert got.mode[0] == "drone" and got.eta_s[0] < 100
    with pytest.raises(ValueError, match="units: the unit list is empty"):
        rank_units(
            net,
            (102.6, 24.95),
            Units(np.empty(0), np.empty(0), np.empty(0, str), np.empty(0, bool)),
        )
    with pytest.raises(ValueError, match=r"point: \d+ m from the nearest road"):
        rank_units(net, (103.5, 25.5), units)


def random_roads(n: int, *, seed: int, integer_times: bool) -> RoadNetwork:
    """Random directed graph in two road components (no edge between them), each node linked
    to near neighbours, about a third of the links one-way, travel times integers (many ties)
    or lengths at 30 km/h."""
    rng = np.random.default_rng(seed)
    lon = 102.6 + rng.random(n) * 0.03
    lat = 24.9 + rng.random(n) * 0.03
    half = lon < 102.615
    tail, head = [], []
    for i in range(n):
        same = np.flatnonzero(half == half[i])
        near = same[np.argsort((lon[same] - lon[i]) ** 2 + (lat[same] - lat[i]) ** 2)[1:4]]
        for j in near.tolist():
            tail.append(i)
            head.append(j)
            if rng.random() < 0.65:
                tail.append(j)
                head.append(i)
    t, h = np.array(tail), np.array(head)
    length = haversine_m(lon[t], lat[t], lon[h], lat[h])
    w = rng.integers(1, 6, t.size).astype(float) * 30 if integer_times else length / (30 / 3.6)
    return RoadNetwork.from_edges(t, h, w, node_lon=lon, node_lat=lat, length_m=length)


def brute_force_ranking(
    net: RoadNetwork, point: tuple[float, float], units: Units, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every unit's full ETA (networkx shortest path per unit and mode, walks at 5 km/h,
    drones by great circle within range), ranked with ties in input order."""
    tgt = net.snap([point[0]], [point[1]], max_snap_m=1e9)
    us = net.snap(units.lon, units.lat, max_snap_m=1e9)
    graphs: dict[str, nx.DiGraph] = {}
    eta = np.full(len(units), np.inf)
    for i in range(len(units)):
        if not units.available[i]:
            continue
        m = str(units.mode[i])
        if m == "drone":
            assert units.speed_kph is not None and units.range_m is not None
            d = float(haversine_m(units.lon[i], units.lat[i], point[0], point[1]))
            if d <= units.range_m[i]:
                eta[i] = d / (units.speed_kph[i] / 3.6) + units.takeoff_s
            continue
        g = graphs.setdefault(m, _nx(net, m))
        with contextlib.suppress(nx.NetworkXNoPath):
            road = nx.dijkstra_path_length(g, int(us.node[i]), int(tgt.node[0]), "w")
            eta[i] = (road + us.walk_s[i]) + tgt.walk_s[0]
    order = np.argsort(eta, kind="stable")[:k]
    return order[np.isfinite(eta[order])], eta


def _check_ranked(net: RoadNetwork, point: tuple[float, float], units: Units, k: int) -> None:
    got = rank_units(net, point, units, k=k)
    want, eta = brute_force_ranking(net, point, units, k)
    np.testing.assert_array_equal(got.unit, want)
    np.testing.assert_allclose(got.eta_s, eta[want], rtol=0, atol=1e-9)
    snap = net.snap([point[0]], [point[1]], max_snap_m=1e9)
    tgt = int(snap.node[0])
    us = net.snap(units.lon, units.lat, max_snap_m=1e9)
    for r, i, m in zip(got.routes, got.unit.tolist(), got.mode.tolist(), strict=True):
        if m == "drone":
            assert r.size == 0
            continue
        assert r[0] == us.node[i] and r[-1] == tgt
        w = net.edge_times(m)
        road = sum(
            float(w[(net.tail == a) & (net.head == b)].min())
            for a, b in zip(r[:-1].tolist(), r[1:].tolist(), strict=True)
        )
        assert road + us.walk_s[i] + snap.walk_s[0] == pytest.approx(
            got.eta_s[np.flatnonzero(got.unit == i)[0]]
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rank_units_exact_on_random_graphs(seed: int) -> None:
    """One-way edges, an unreachable component, integer times (ties), units on and off
    nodes, some unavailable, drones in and out of range; k up to more than can arrive."""
    net = random_roads(160, seed=seed, integer_times=seed != 3)
    rng = np.random.default_rng(seed + 10)
    n_units = 45
    pick = rng.integers(0, net.n_nodes, n_units)
    off = np.where(rng.random(n_units) < 0.3, rng.normal(0, 0.0004, n_units), 0.0)
    mode = rng.choice(
        np.array(["car", "motorcycle", "foot", "drone"]), n_units, p=[0.5, 0.2, 0.2, 0.1]
    )
    units = Units(
        lon=net.node_lon[pick] + off,
        lat=net.node_lat[pick] - off,
        mode=mode,
        available=rng.random(n_units) < 0.85,
        speed_kph=np.full(n_units, 50.0),
        range_m=rng.choice(np.array([300.0, 1500.0, 5000.0]), n_units),
        takeoff_s=45.0,
    )
    for trial in range(12):
        node = int(rng.integers(0, net.n_nodes))
        point = (float(net.node_lon[node]), float(net.node_lat[node]))
        if trial % 3 == 2:  # an incident off the road
            point = (point[0] + 0.0003, point[1] + 0.0002)
        _check_ranked(net, point, units, k=[1, 5, 60][trial % 3])


def test_rank_units_modes_exact_on_city_grid() -> None:
    """Per-mode travel times (one-way streets for vehicles, footways for foot only) with units
    off the nodes: the top 10 equals the brute force."""
    net = city_like(25, seed=13)
    rng = np.random.default_rng(21)
    n_units = 80
    pick = rng.integers(0, net.n_nodes, n_units)
    units = Units(
        lon=net.node_lon[pick] + rng.normal(0, 0.0002, n_units),
        lat=net.node_lat[pick] + rng.normal(0, 0.0002, n_units),
        mode=rng.choice(np.array(["car", "motorcycle", "foot"]), n_units),
        available=np.ones(n_units, dtype=bool),
    )
    for _ in range(8):
        node = int(rng.integers(0, net.n_nodes))
        _check_ranked(net, (float(net.node_lon[node]), float(net.node_lat[node])), units, k=10)


def test_rank_units_ties_keep_input_order() -> None:
    """Four units exactly 60 s from the incident (and a drone at 60 s too): whichever the
    search settles first, the ranking is by input order, as a stable sort of all ETAs is."""
    lon = 102.6 + np.array([0.0, 0.001, -0.001, 0.0, 0.0, 0.002])
    lat = 25.0 + np.array([0.0, 0.0, 0.0, 0.001, -0.001, 0.0])
    net = RoadNetwork.from_edges(
        [1, 2, 3, 4, 0, 5], [0, 0, 0, 0, 5, 0], [60.0] * 4 + [1.0, 1.0], node_lon=lon, node_lat=lat
    )
    for perm in itertools.permutations([1, 2, 3, 4]):
        p = np.array(perm)
        units = Units(
            lon=lon[p],
            lat=lat[p],
            mode=np.array(["car", "foot", "car", "motorcycle"]),
            available=np.ones(4, dtype=bool),
        )
        for k in (1, 2, 3):
            np.testing.assert_array_equal(
                rank_units(net, (lon[0], lat[0]), units, k=k).unit, range(k)
            )
    d = float(haversine_m(lon[5], lat[5], lon[0], lat[0]))
    units = Units(
        lon=np.append(lon[[1, 2]], lon[5]),
        lat=np.append(lat[[1, 2]], lat[5]),
        mode=np.array(["car", "car", "drone"]),
        available=np.ones(3, dtype=bool),
        speed_kph=np.full(3, d / 30.0 * 3.6),
        range_m=np.full(3, 1e4),
        takeoff_s=30.0,
    )
    got = rank_units(net, (lon[0], lat[0]), units, k=2)
    assert got.unit.tolist() == [0, 1] and got.eta_s.tolist() == pytest.approx([60.0, 60.0])


def test_rank_units_nobody_can_reach() -> None:
    net = random_roads(60, seed=4, integer_times=True)
    west = np.flatnonzero(net.node_lon < 102.615)
    east = np.flatnonzero(net.node_lon >= 102.615)
    units = Units(
        lon=net.node_lon[west[:3]],
        lat=net.node_lat[west[:3]],
        mode=np.array(["car", "foot", "drone"]),
        available=np.array([True, True, True]),
        speed_kph=np.full(3, 60.0),
        range_m=np.full(3, 10.0),
    )
    got = rank_units(net, (float(net.node_lon[east[0]]), float(net.node_lat[east[0]])), units)
    assert got.unit.size == 0 and got.eta_s.size == 0 and got.routes == []
    with pytest.raises(ValueError, match="k: must be >= 1, got 0"):
        rank_units(net, (float(net.node_lon[0]), float(net.node_lat[0])), units, k=0)


def _metric(net: RoadNetwork, geom: shapely.Geometry) -> shapely.Geometry:
    def fwd(c: np.ndarray) -> np.ndarray:
        x, y = net.projection.forward(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fwd)


def _reached_segments(
    net: RoadNetwork, field: np.ndarray, level: float, mode: str
) -> shapely.Geometry:
    """The exact reached road (metres): edges with a reached tail, cut where time runs out,
    whole when the head is reached too."""
    x, y = net.projection.forward(net.node_lon, net.node_lat)
    w = net.edge_times(mode)
    ta, tb = field[net.tail], field[net.head]
    sel = np.flatnonzero(ta <= level)
    with np.errstate(invalid="ignore"):
        f = np.where(tb[sel] <= level, 1.0, np.clip((level - ta[sel]) / w[sel], 0.0, 1.0))
    a, b = net.tail[sel], net.head[sel]
    seg = np.stack(
        [
            np.column_stack([x[a], y[a]]),
            np.column_stack([x[a] + (x[b] - x[a]) * f, y[a] + (y[b] - y[a]) * f]),
        ],
        axis=1,
    )
    return shapely.union_all([shapely.multilinestrings(seg), shapely.multipoints(seg[:, 0])])


@pytest.mark.parametrize("mode", ["car", "foot"])
def test_isochrones_follow_roads(mode: str) -> None:
    """Against the exact buffered reached road: every reached node inside; the outline within
    the documented tolerance of the exact buffer (outside it nothing, inside its erosion all)."""
    net = city_like(30, seed=9)
    sources = [465, 31, 870]
    field = travel_times(net, sources, mode=mode)
    levels = [60.0, 180.0, 300.0] if mode == "car" else [300.0, 600.0]
    roadside_m, cell_m = 60.0, 25.0
    tol = cell_m * (1 / np.sqrt(2) + 1 / 4) + 1.0  # the documented tolerance + sampling
    polys = isochrones(net, field, levels, roadside_m=roadside_m, cell_m=cell_m, mode=mode)
    assert len(polys) == len(levels)
    areas = [shapely.area(p) for p in polys]
    assert 0 < areas[0] < areas[-1] and all(a <= b for a, b in itertools.pairwise(areas))
    rng = np.random.default_rng(0)
    x, y = net.projection.forward(net.node_lon, net.node_lat)
    probe = np.column_stack(
        [
            rng.uniform(x.min() - 200, x.max() + 200, 4000),
            rng.uniform(y.min() - 200, y.max() + 200, 4000),
        ]
    )
    for level, poly in zip(levels, polys, strict=True):
        assert poly.is_valid and poly.geom_type in ("Polygon", "MultiPolygon")
        reached = np.flatnonzero(field <= level)
        assert shapely.contains_xy(poly, net.node_lon[reached], net.node_lat[reached]).all()
        pm = _metric(net, poly)
        road = _reached_segments(net, field, level, mode)
        d = shapely.distance(road, shapely.points(probe))
        inside = shapely.contains_xy(pm, probe[:, 0], probe[:, 1])
        assert not inside[d > roadside_m + tol].any(), "a point far from every reached road"
        assert inside[d < roadside_m - tol].all(), "a point next to a reached road is left out"
        assert (d > roadside_m + tol).any() and (d < roadside_m - tol).any()
        exact = shapely.area(shapely.buffer(road, roadside_m, quad_segs=8))
        assert shapely.area(pm) == pytest.approx(exact, rel=0.15)
    # the merged area holds every source's own area (same grid; up to the simplification)
    merged = _metric(net, polys[0]).buffer(cell_m / 2 + 1e-3)
    for src in sources:
        own = isochrones(net, travel_times(net, [src], mode=mode), levels[:1], mode=mode)[0]
        assert shapely.area(shapely.difference(_metric(net, own), merged)) < 1.0


def test_isochrones_cut_partly_reached_edges() -> None:
    """A straight road of two 100 s edges (about 1 km each): at 150 s the area ends about
    1.5 km out, give or take the tolerance, and never reaches the far end."""
    lon = 102.6 + np.array([0.0, 0.01, 0.02])
    lat = np.full(3, 25.0)
    net = RoadNetwork.from_edges(
        [0, 1, 1, 2], [1, 0, 2, 1], [100.0] * 4, node_lon=lon, node_lat=lat
    )
    field = travel_times(net, [0])
    poly = _metric(net, isochrones(net, field, [150.0], roadside_m=50.0, cell_m=10.0)[0])
    x, y = net.projection.forward(lon, lat)
    cut = x[0] + 0.5 * (x[2] - x[0]) * 1.5
    xmin, _, xmax, _ = poly.bounds
    assert abs(xmax - (cut + 50.0)) < 10 * (1 / np.sqrt(2) + 1 / 4) + 0.5
    assert abs(xmin - (x[0] - 50.0)) < 10 * (1 / np.sqrt(2) + 1 / 4) + 0.5
    assert not poly.contains(shapely.Point(x[2], y[2]))


@pytest.mark.parametrize("seed", range(4))
def test_mask_outlines_keep_every_cell_centre_on_its_side(seed: int) -> None:
    """Random masks (holes, islands in holes, diagonal-only contacts, the grid border): the
    outline is valid and every inside cell's centre is in it, every outside one's is not."""
    from pingan.coverage.fields import _mask_to_polygon

    rng = np.random.default_rng(seed)
    mask = rng.random((40, 50)) < [0.3, 0.5, 0.6, 0.75][seed]
    mask[10:20, 10:20] = True
    mask[13:17, 13:17] = False
    mask[14:16, 14:16] = True  # an island in a hole
    mask[25, 30] = mask[26, 31] = True  # a diagonal pair
    mask[25, 31] = mask[26, 30] = False
    cell = 25.0
    poly = _mask_to_polygon(mask, 1000.0, -500.0, cell)
    assert poly.is_valid
    ii, jj = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]]
    cx, cy = 1000.0 + (jj + 0.5) * cell, -500.0 + (ii + 0.5) * cell
    np.testing.assert_array_equal(shapely.contains_xy(poly, cx, cy), mask)


def test_isochrones_empty_and_errors() -> None:
    net = city_like(10, seed=3)
    field = np.full(net.n_nodes, np.inf)
    assert all(p.is_empty for p in isochrones(net, field, [60, 120]))
    field = travel_times(net, [5])
    with pytest.raises(ValueError, match=r"levels_s: must be > 0, got \[-5.0\]"):
        isochrones(net, field, [-5])
    with pytest.raises(ValueError, match="field_s: needs one time per node"):
        isochrones(net, field[:-1], [60])
    with pytest.raises(ValueError, match="roadside_m: must be > 0, got 0"):
        isochrones(net, field, [60], roadside_m=0)
    with pytest.raises(ValueError, match="cell_m: must be > 0, got -1"):
        isochrones(net, field, [60], cell_m=-1)


def test_isochrones_follow_roads_and_shares() -> None:
    net = city_like(30, seed=9)
    field = travel_times(net, [465], mode="car")
    polys = isochrones(net, field, [60, 180, 300])
    areas = [shapely.area(p) for p in polys]
    assert 0 < areas[0] < areas[1] < areas[2]
    assert polys[1].contains(shapely.Point(net.node_lon[465], net.node_lat[465]))
    res = coverage_shares(field, [465, 0, 899], [0.0, 10.0, 10.0], [1.0, 2.0, 1.0], [60, 1e9])
    assert res["levels"][0]["covered_share"] == pytest.approx(0.25)
    assert res["levels"][0]["outside"].tolist() == [1, 2]
