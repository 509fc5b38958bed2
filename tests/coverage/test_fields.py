from __future__ import annotations

import contextlib

import networkx as nx
import numpy as np
import pytest
import shapely

from pingan.coverage import Units, coverage_shares, isochrones, rank_units, travel_times
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
    from pingan.geo.crs import haversine_m

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


def test_isochrones_follow_roads_and_shares() -> None:
    net = city_like(30, seed=9)
    field = travel_times(net, [465], mode="car")
    polys = isochrones(net, field, [60, 180, 300])
    areas = [shapely.area(p) for p in polys]
    assert 0 < areas[0] < areas[1] < areas[2]
    assert polys[1].contains(shapely.Point(net.node_lon[465], net.node_lat[465]))
    with pytest.raises(ValueError, match=r"levels_s: must be > 0, got \[-5.0\]"):
        isochrones(net, field, [-5])
    res = coverage_shares(field, [465, 0, 899], [0.0, 10.0, 10.0], [1.0, 2.0, 1.0], [60, 1e9])
    assert res["levels"][0]["covered_share"] == pytest.approx(0.25)
    assert res["levels"][0]["outside"].tolist() == [1, 2]
