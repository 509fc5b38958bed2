"""``GET /api/v1/map/areas/{layer}`` and ``/api/v1/map/incidents``: the lean layers the
command center draws its first view from."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from pingan.rapid_response import basemap
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity


def _staircase(n: int) -> str:
    """A 1 km square whose south edge carries ``n`` collinear vertices (as a boundary built
    from grid cells does) and one 3 m notch the simplification must keep."""
    d = 0.01
    south = [(LON0 + d * k / n, LAT0) for k in range(n + 1)]
    notch = [(LON0 + d, LAT0 + d / 2), (LON0 + d - 0.00003, LAT0 + d / 2 + 0.00001)]
    ring = [*south, *notch, (LON0 + d, LAT0 + d), (LON0, LAT0 + d), south[0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def test_lean_areas_drop_collinear_vertices_and_keep_the_shape() -> None:
    text = _staircase(400)
    fc = basemap.lean_areas([(7, text, {"name_zh": "甲"})])
    (f,) = fc["features"]
    assert f["id"] == 7 and f["properties"] == {"name_zh": "甲"}
    ring = f["geometry"]["coordinates"][0]
    assert len(ring) <= 8  # 406 vertices in, the corners and the notch out
    # coordinates to 1e-5 degree, the shape within the 1 m tolerance (+ rounding)
    assert all(round(c, 5) == c for xy in ring for c in xy)
    src, out = shapely.from_geojson(text), shapely.Polygon(ring)
    lat_m = 110_574.0
    assert shapely.hausdorff_distance(src, out) * lat_m < 2.0
    assert out.is_valid
    assert fc["bbox"] == [
        round(LON0, 5),
        round(LAT0, 5),
        round(LON0 + 0.01, 5),
        round(LAT0 + 0.01, 5),
    ]


def test_lean_areas_bbox_and_empty() -> None:
    a = json.dumps(shapely.geometry.mapping(shapely.box(0, 0, 1, 1)))
    b = json.dumps(shapely.geometry.mapping(shapely.box(5, 5, 6, 6)))
    fc = basemap.lean_areas([(1, a, {}), (2, b, {})], bbox=(4.5, 4.5, 7, 7))
    assert [f["id"] for f in fc["features"]] == [2]
    assert basemap.lean_areas([])["features"] == []
    with pytest.raises(ValueError, match=r"^tolerance_m: expected >= 0 metres, got -1"):
        basemap.lean_areas([(1, a, {})], tolerance_m=-1)


def test_lean_points() -> None:
    fc = basemap.lean_points([3], [102.123456789], [25.987654321], [{"klass": "fire"}])
    assert fc["features"] == [
        {
            "type": "Feature",
            "id": 3,
            "geometry": {"type": "Point", "coordinates": [102.12346, 25.98765]},
            "properties": {"klass": "fire"},
        }
    ]
    assert basemap.lean_points([], [], [], [])["numberReturned"] == 0


def test_areas_endpoint_scope_and_errors(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    st = client.get("/api/v1/map/areas/stations", headers=h).json()
    assert sorted(f["properties"]["name_en"] for f in st["features"]) == sorted(
        s.name_en for s in city.stations
    )
    assert set(st["features"][0]["properties"]) == {"name_zh", "name_en", "parent_id", "code"}
    assert sorted(f["properties"]["code"] for f in st["features"]) == sorted(
        s.code for s in city.stations
    )
    assert len(st["bbox"]) == 4
    # a station chief sees his own station's cells only
    chief = auth(city.tokens["chief0"])
    cells = client.get("/api/v1/map/areas/grid-cells", headers=chief).json()["features"]
    assert 0 < len(cells) < len(city.cells)
    ids = {c.id for c in city.cells if c.path.startswith(city.stations[0].path)}
    assert {f["id"] for f in cells} == ids
    bad = client.get("/api/v1/map/areas/roads", headers=h)
    assert bad.status_code == 422
    err = bad.json()["error"]
    assert err["field"] == "layer"
    assert err["message"].endswith(
        "expected one of districts, stations, communities, grid-cells, key-areas, got 'roads'"
    )
    assert client.get("/api/v1/map/areas/districts").status_code == 401


def test_incidents_endpoint(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    made = []
    for k in range(3):
        body = {"subtype": "fight", "lon": LON0 + 0.001 * (k + 1), "lat": LAT0 + 0.001}
        made.append(client.post("/api/v1/incidents", headers=h, json=body).json()["id"])
    fc = client.get("/api/v1/map/incidents", headers=h, params={"hours": 1}).json()
    assert [f["id"] for f in fc["features"]] == made
    assert fc["features"][0]["properties"] == {"klass": "public_order"}
    two = client.get("/api/v1/map/incidents", headers=h, params={"limit": 2}).json()
    assert [f["id"] for f in two["features"]] == made[1:]  # the newest
    bad = client.get("/api/v1/map/incidents", headers=h, params={"hours": 0})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "hours"
    xy = np.array([f["geometry"]["coordinates"] for f in fc["features"]])
    assert np.allclose(xy[:, 0], [LON0 + 0.001 * (k + 1) for k in range(3)], atol=1e-5)
