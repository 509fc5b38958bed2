"""``GET /api/v1/map/roads``: the road layer of the command-center and coverage maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.api.deps import bbox_param
from pingan.errors import Invalid
from pingan.geo.crs import haversine_m
from pingan.rapid_response import data, service
from pingan.roads import RoadNetwork
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import CoverageCity, D, build


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def _mixed() -> RoadNetwork:
    """A 3-node line of a primary road and a residential spur."""
    lon = np.array([LON0, LON0 + D, LON0 + 2 * D, LON0 + D])
    lat = np.array([LAT0, LAT0, LAT0, LAT0 + D])
    u, v = np.array([0, 1, 1]), np.array([1, 2, 3])
    return RoadNetwork.from_classified_edges(
        u,
        v,
        road_class=np.array(["primary", "primary", "residential"]),
        length_m=haversine_m(lon[u], lat[u], lon[v], lat[v]),
        node_lon=lon,
        node_lat=lat,
        oneway=np.zeros(3, dtype=bool),
    )


def test_classes_by_zoom_and_bbox() -> None:
    net = _mixed()
    city = service.road_geojson(net, bbox=None, zoom=11)
    assert [f["properties"]["road_class"] for f in city["features"]] == ["primary"]
    assert city["numberReturned"] == 2 and city["truncated"] is False
    street = service.road_geojson(net, bbox=None, zoom=15)
    assert {f["properties"]["road_class"] for f in street["features"]} == {
        "primary",
        "residential",
    }
    # only the first segment's box meets this bbox
    w, s = LON0 - 0.0001, LAT0 - 0.0001
    one = service.road_geojson(net, bbox=(w, s, LON0 + D / 2, LAT0 + 0.0001), zoom=15)
    assert one["numberReturned"] == 1
    (line,) = one["features"][0]["geometry"]["coordinates"]
    assert line == [[round(LON0, 5), round(LAT0, 5)], [round(LON0 + D, 5), round(LAT0, 5)]]
    capped = service.road_geojson(net, bbox=None, zoom=15, max_segments=2)
    assert capped["truncated"] is True and capped["numberReturned"] == 2


def test_bbox_errors_name_the_field() -> None:
    with pytest.raises(Invalid, match=r"^bbox: expected 4 numbers W,S,E,N, got 3$"):
        bbox_param("1,2,3")
    with pytest.raises(Invalid, match="W < E"):
        bbox_param("10,2,3,4")
    assert bbox_param(None) is None


def test_endpoint(client: TestClient, city: SmallCity, cov: CoverageCity) -> None:
    h = auth(city.tokens["dispatcher"])
    r = client.get("/api/v1/map/roads", params={"zoom": 15}, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    net = cov.network
    n_segments = net.seg_u.size if net.seg_u is not None else int((net.tail < net.head).sum())
    assert body["numberReturned"] == n_segments
    bad = client.get("/api/v1/map/roads", params={"bbox": "a,b,c,d"}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "bbox"
    assert client.get("/api/v1/map/roads").status_code == 401


def _street(n: int, classes: list[str]) -> RoadNetwork:
    """``n`` segments end to end along one parallel (a straight street), one class each."""
    lon = LON0 + D * np.arange(n + 1, dtype=float)
    lat = np.full(n + 1, LAT0)
    u, v = np.arange(n), np.arange(1, n + 1)
    return RoadNetwork.from_classified_edges(
        u,
        v,
        road_class=np.array(classes),
        length_m=haversine_m(lon[u], lat[u], lon[v], lat[v]),
        node_lon=lon,
        node_lat=lat,
        oneway=np.zeros(n, dtype=bool),
    )


def test_segments_joined_into_lines_and_simplified() -> None:
    # a straight street of 4 segments: one line of its two ends (the 3 inner points are on it)
    one = service.road_geojson(_street(4, ["residential"] * 4), bbox=None, zoom=15)
    (feature,) = one["features"]
    assert feature["properties"] == {"road_class": "residential", "segments": 4}
    (line,) = feature["geometry"]["coordinates"]
    assert sorted(line) == [
        [round(LON0, 5), round(LAT0, 5)],
        [round(LON0 + 4 * D, 5), round(LAT0, 5)],
    ]
    assert one["numberReturned"] == 4
    # two classes stay two lines, each joined within its class
    two = service.road_geojson(
        _street(4, ["primary"] * 2 + ["residential"] * 2), bbox=None, zoom=15
    )
    assert {
        f["properties"]["road_class"]: len(f["geometry"]["coordinates"]) for f in two["features"]
    } == {
        "primary": 1,
        "residential": 1,
    }


def test_a_bent_street_keeps_its_bend_and_lanes_wait_for_zoom_14() -> None:
    lon = np.array([LON0, LON0 + D, LON0 + D])
    lat = np.array([LAT0, LAT0, LAT0 + D])
    u, v = np.array([0, 1]), np.array([1, 2])
    net = RoadNetwork.from_classified_edges(
        u,
        v,
        road_class=np.array(["service", "service"]),
        length_m=haversine_m(lon[u], lat[u], lon[v], lat[v]),
        node_lon=lon,
        node_lat=lat,
        oneway=np.zeros(2, dtype=bool),
    )
    assert service.road_geojson(net, bbox=None, zoom=13.5)["features"] == []
    (feature,) = service.road_geojson(net, bbox=None, zoom=14)["features"]
    (line,) = feature["geometry"]["coordinates"]
    assert len(line) == 3  # the corner is ~100 m off the line through the ends: kept
    assert service.drawing_tolerance_deg(13.9) == service.drawing_tolerance_deg(13.0)
    assert service.drawing_tolerance_deg(14) == service.drawing_tolerance_deg(13) / 2
