"""The demo's building footprints: along the streets, clear of them and of each other, the same
for a seed, and stored by ``seed_footprints``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pingan.demo.footprints import demo_footprints, seed_footprints
from tests.rapid_response.city import grid_network


def test_houses_stand_beside_the_streets_and_apart() -> None:
    net = grid_network()
    fp = demo_footprints(net, seed=3, max_buildings=300)
    assert 0 < len(fp) <= 300
    again = demo_footprints(net, seed=3, max_buildings=300)
    assert all(a.equals_exact(b, 1e-12) for a, b in zip(fp, again, strict=True))
    proj = net.projection
    x, y = proj.forward(net.node_lon, net.node_lat)
    streets = shapely.linestrings(
        np.stack([np.column_stack([x[net.tail], y[net.tail]]),
                  np.column_stack([x[net.head], y[net.head]])], axis=1)
    )  # fmt: skip

    def metric(xy: np.ndarray) -> np.ndarray:
        a, b = proj.forward(xy[:, 0], xy[:, 1])
        return np.column_stack([a, b])

    houses = shapely.transform(np.asarray(fp, dtype=object), metric)
    assert shapely.is_valid(houses).all()
    tree = shapely.STRtree(streets)
    near, _ = tree.query(houses, predicate="dwithin", distance=2.99)
    assert near.size == 0  # no house within 3 m of a street's line
    a, b = shapely.STRtree(houses).query(houses, predicate="intersects")
    assert (a == b).all()  # none overlaps another
    d = shapely.distance(houses, shapely.union_all(streets))
    assert float(np.max(d)) < 40  # and they stand along the streets


def test_seed_footprints_stores_them(own_engine: Engine, tmp_path: Path) -> None:
    from pingan.cameras.models import BuildingFootprint

    grid_network().save(tmp_path / "roads.npz")
    engine = own_engine

    def count() -> int | None:
        with Session(engine) as s:
            return s.scalar(select(func.count(BuildingFootprint.id)))

    assert seed_footprints(engine, tmp_path / "none", seed=1) == (
        "no road network: no building footprints"
    )
    out = seed_footprints(engine, tmp_path, seed=1)
    n = count()
    assert out == f"{n} building footprints" and n
    assert seed_footprints(engine, tmp_path, seed=1) == out  # replaced, not added
    assert count() == n
