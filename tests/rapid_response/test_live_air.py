"""Drones in the live 1-3-5 coverage: their reach by air, apart from the ground figures,
checked exactly against a brute force over every drone and point."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.rapid_response import data, live
from pingan.rapid_response.service import DRONE_SPEED_KPH, DRONE_TAKEOFF_S
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import CoverageCity, build

R = 6_371_008.8


def _brute(
    drones: list[tuple[float, float, float | None, float | None]], lon: float, lat: float
) -> float:
    """The nearest drone by flight time, one pair at a time (haversine, speed, launch)."""
    best = math.inf
    for dlon, dlat, speed, rng in drones:
        p1, p2 = math.radians(lat), math.radians(dlat)
        h = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(dlon - lon) / 2) ** 2
        )
        d = 2 * R * math.asin(math.sqrt(h))
        if rng is not None and d > rng:
            continue
        best = min(best, d / ((speed or DRONE_SPEED_KPH) / 3.6) + DRONE_TAKEOFF_S)
    return best


def _forces(drones: list[tuple[float, float, float | None, float | None]]) -> data.Forces:
    n = len(drones)
    nan = float("nan")
    return data.Forces(
        np.arange(n, dtype=np.int64),
        [f"DR-{k}" for k in range(n)],
        ["无人机"] * n,
        ["drone"] * n,
        np.array(["drone"] * n),
        np.array(["available"] * n),
        np.array([d[0] for d in drones]),
        np.array([d[1] for d in drones]),
        np.array([nan if d[2] is None else d[2] for d in drones]),
        np.array([nan if d[3] is None else d[3] for d in drones]),
    )


def test_air_times_equal_a_brute_force() -> None:
    rng = np.random.default_rng(20261207)
    drones: list[tuple[float, float, float | None, float | None]] = [
        (
            LON0 + float(rng.uniform(0, 0.1)),
            LAT0 + float(rng.uniform(0, 0.05)),
            None if k % 3 == 0 else float(rng.uniform(40, 90)),
            None if k % 4 == 0 else float(rng.uniform(1500, 6000)),
        )
        for k in range(9)
    ]
    lon = LON0 + rng.uniform(-0.02, 0.12, 5000)  # more than one block of 4096
    lat = LAT0 + rng.uniform(-0.02, 0.07, 5000)
    got = live.air_times(_forces(drones), lon, lat)
    want = np.array([_brute(drones, x, y) for x, y in zip(lon, lat, strict=True)])
    assert np.isinf(got).sum() == np.isinf(want).sum()
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert np.isinf(live.air_times(_forces([]), lon, lat)).all()
    # only drones with a range and all points beyond it: no reach
    far = live.air_times(_forces([(LON0, LAT0, 60.0, 100.0)]), lon[:3] + 1, lat[:3])
    assert np.isinf(far).all()


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def test_live_coverage_reports_drones_apart(
    client: TestClient, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    body = client.get("/api/v1/coverage/live", headers=h).json()
    assert body["units"]["considered"] == 4  # ground figures: the drone is not among them
    air = body["air"]
    assert air["drones"] == 1 and air["codes"] == ["DR-1"]
    assert air["takeoff_s"] == DRONE_TAKEOFF_S
    drone = [(LON0 + 0.05, LAT0 + 0.01, 60.0, 5000.0)]  # tests.rapid_response.city
    centre = {c.id: shapely.from_geojson(c.geometry).centroid for c in city.cells}
    want = {}
    for cid, p in centre.items():
        t = _brute(drone, p.x, p.y)
        band = 1 if t <= 60 else 3 if t <= 180 else 5 if t <= 300 else 0
        if band:
            want[cid] = band
    assert want and dict(map(tuple, air["cells"])) == want
    three = next(s for s in air["shares"] if s["standard_s"] == 180.0)
    assert three["cells_within"] == sum(1 for b in want.values() if b in (1, 3))
    # ground or air reaches at least what each reaches alone
    for g, a, both in zip(body["shares"], air["shares"], air["with_ground_shares"], strict=True):
        assert both["cells_within"] >= max(g["cells_within"], a["cells_within"])
