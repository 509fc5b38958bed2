"""The demo city's address register: enough door plates, numbered along their roads, in cells."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from pingan.demo.addresses import generate_addresses
from pingan.demo.city import City, build_city, city_frame
from pingan.geo.assign import PolygonIndex


@pytest.fixture(scope="module")
def city() -> City:
    return build_city()


def test_door_plates_roads_and_junctions(city: City) -> None:
    a = generate_addresses(city)
    plate = np.array([b is None for b in a.building])
    inside = PolygonIndex([c.polygon for c in city.cells]).assign(a.lon[plate], a.lat[plate]) >= 0
    assert int(inside.sum()) >= 100_000  # door plates in a grid cell (the loader keeps those)
    assert len(np.unique(a.text_zh)) == len(a.text_zh)  # every label names one place
    assert "北京路88号" in set(a.text_zh[plate].tolist())
    assert all(re.fullmatch(r".+(路|街|巷)\d+号", s) for s in a.text_zh[plate][:2000].tolist())
    assert all(re.fullmatch(r".+\d+号\d栋", s) for s in a.text_zh[~plate][:2000].tolist())
    assert 0.05 < (~plate).mean() < 0.5
    # numbers along 北京路: odd on one side, even on the other, 1, 2, 3, … without gaps
    on = plate & (a.road_zh == "北京路")
    nums = np.sort(a.door_no[on].astype(int))
    np.testing.assert_array_equal(nums, np.arange(1, len(nums) + 1))
    # a plate stands 15 m off its road, on alternating sides
    proj = city_frame(city)
    x, y = proj.forward(a.lon[on], a.lat[on])
    order = np.argsort(a.door_no[on].astype(int))
    r = city.roads
    e = r.name_zh == "北京路"
    nx, ny = proj.forward(r.node_lon, r.node_lat)
    ex = np.r_[nx[r.u[e]], nx[r.v[e]]]
    ey = np.r_[ny[r.u[e]], ny[r.v[e]]]
    d = np.hypot(x[order][:, None] - ex[None, :], y[order][:, None] - ey[None, :]).min(axis=1)
    assert np.median(d) < 60  # near its road's nodes (the nodes are up to ~100 m apart)
    # roads and junctions
    assert set(a.road_label.tolist()) == set(np.unique(r.name_zh[r.name_zh != ""]).tolist())
    assert len(a.junction_label) > 1000
    assert all(re.fullmatch(r".+与.+交叉口", s) for s in a.junction_label[:500].tolist())
    pairs = {tuple(sorted(s.removesuffix("交叉口").split("与"))) for s in a.junction_label.tolist()}
    assert len(pairs) == len(a.junction_label)  # one junction per pair of names


def test_a_city_without_street_names_has_no_register(city: City) -> None:
    nameless = dataclasses.replace(
        city, roads=dataclasses.replace(city.roads, name_zh=np.full(len(city.roads.u), ""))
    )
    a = generate_addresses(nameless)
    assert len(a.text_zh) == len(a.road_label) == len(a.junction_label) == 0


def test_deterministic(city: City) -> None:
    a, b = generate_addresses(city), generate_addresses(city)
    assert a.text_zh.tolist() == b.text_zh.tolist()
    np.testing.assert_array_equal(a.lon, b.lon)
