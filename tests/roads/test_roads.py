from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from pingan.roads import RoadNetwork
from tests.coverage.test_fields import city_like


def test_classified_edges_oneway_and_modes() -> None:
    lon = np.array([102.70, 102.71, 102.72])
    lat = np.array([25.0, 25.0, 25.0])
    net = RoadNetwork.from_classified_edges(
        [0, 1],
        [1, 2],
        road_class=["primary", "footway"],
        length_m=[1000.0, 1000.0],
        node_lon=lon,
        node_lat=lat,
        oneway=[True, False],
    )
    car = net.graph("car")
    foot = net.graph("foot")
    assert car[0, 1] == pytest.approx(1000 / (45 / 3.6)) and car[1, 0] == 0  # one-way
    assert car[1, 2] == 0  # footway: no cars
    assert foot[1, 0] == pytest.approx(720.0) and foot[1, 2] == pytest.approx(720.0)
    peak = net.graph("car", dt.time(18, 0))
    night = net.graph("car", dt.time(3, 0))
    assert peak[0, 1] > car[0, 1] > night[0, 1]


def test_save_load_roundtrip(tmp_path: Path) -> None:
    net = city_like(40, seed=3)
    net.save(tmp_path / "r.npz")
    back = RoadNetwork.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(back.tail, net.tail)
    np.testing.assert_allclose(back.edge_times("car"), net.edge_times("car"))
    assert back.classes == net.classes


def test_snap_flags_far_points() -> None:
    net = city_like(20, seed=1)
    s = net.snap([net.node_lon[5], 103.5], [net.node_lat[5], 25.0], max_snap_m=300)
    assert s.node[0] == 5 and s.distance_m[0] < 1e-6 and not s.too_far[0]
    assert s.too_far[1] and s.distance_m[1] > 50_000
    with pytest.raises(ValueError, match="max_snap_m: must be > 0, got 0"):
        net.snap([1.0], [1.0], max_snap_m=0)


@pytest.mark.parametrize(
    "name", ["Helsinki.osm.pbf", "test.osm.pbf", "West-Oakland.osm.bz2", "aguascalientes.osm.pbf"]
)
def test_from_osm(shared_data: Path, name: str) -> None:
    net = RoadNetwork.from_osm(shared_data / "osm" / name)
    assert net.n_nodes > 100 and net.n_edges > net.n_nodes
    assert np.isfinite(net.edge_times("foot")).mean() > 0.8  # no walking on motorways
    assert net.seg_u is not None and net.seg_u.size * 2 == net.n_edges


def test_osm_errors(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(ValueError, match="path: file not found"):
        RoadNetwork.from_osm(tmp_path / "none.osm.pbf")
    with pytest.raises(
        ValueError,
        match=r"path: Helsinki.osm.pbf has no roads \(no ways with "
        r"a known highway tag inside the bbox\)",
    ):
        RoadNetwork.from_osm(shared_data / "osm" / "Helsinki.osm.pbf", bbox=(0, 0, 1, 1))


def test_from_edges_validation() -> None:
    with pytest.raises(ValueError, match=r"tail, head: node indices must be in \[0, 2\)"):
        RoadNetwork.from_edges([0], [5], [1.0], node_lon=[0, 1], node_lat=[0, 1])
    with pytest.raises(ValueError, match="travel_time_s: must be finite and >= 0"):
        RoadNetwork.from_edges([0], [1], [-1.0], node_lon=[0, 1], node_lat=[0, 1])
