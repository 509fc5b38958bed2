from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from pingan.geo.assign import PolygonIndex, validate_polygon
from pingan.geo.crs import (
    LocalProjection,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    validate_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


def test_gcj02_known_point_and_roundtrip() -> None:
    # Kunming: the GCJ-02 offset there is a few hundred metres
    lon, lat = np.array([102.7123, 102.8, 116.397]), np.array([25.0406, 24.9, 39.909])
    glon, glat = wgs84_to_gcj02(lon, lat)
    off = haversine_m(lon, lat, glon, glat)
    assert np.all((off > 100) & (off < 700))
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)
    blon, blat = wgs84_to_bd09(lon, lat)
    r_lon, r_lat = bd09_to_wgs84(blon, blat)
    np.testing.assert_allclose(r_lon, lon, atol=1e-7)
    np.testing.assert_allclose(r_lat, lat, atol=1e-7)


def test_outside_china_is_unchanged() -> None:
    glon, glat = wgs84_to_gcj02([-87.6, 2.35], [41.8, 48.85])
    np.testing.assert_array_equal(glon, [-87.6, 2.35])
    np.testing.assert_array_equal(glat, [41.8, 48.85])


def test_validation_messages() -> None:
    with pytest.raises(ValueError, match=r"lon: 181.0 at index 1 is outside \[-180, 180\]"):
        validate_lonlat([1.0, 181.0], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"lat: nan at index 0 is outside \[-90, 90\]"):
        validate_lonlat([1.0], [float("nan")])
    with pytest.raises(ValueError, match="crs: 'EPSG:3857' is not supported; use one of WGS84"):
        to_wgs84([1.0], [1.0], "EPSG:3857")


def test_local_projection_distances() -> None:
    proj = LocalProjection(102.71, 25.04)
    x, y = proj.forward([102.71, 102.81], [25.04, 25.04])
    d = np.hypot(x[1] - x[0], y[1] - y[0])
    _, _, geodesic = pyproj.Geod(ellps="WGS84").inv(102.71, 25.04, 102.81, 25.04)
    assert abs(d - geodesic) < 0.05  # distances from the centre are exact in this projection
    assert abs(haversine_m(102.71, 25.04, 102.81, 25.04) - geodesic) / geodesic < 0.005
    lon, _lat = proj.inverse(x, y)
    np.testing.assert_allclose(lon, [102.71, 102.81], atol=1e-9)


def test_polygon_index_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    box = shapely.box(0, 0, 1, 1)
    seeds = shapely.multipoints(rng.uniform(0, 1, (300, 2)))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box
    )
    idx = PolygonIndex(list(cells))
    pts = rng.uniform(-0.1, 1.1, (20_000, 2))
    got = idx.assign(pts[:, 0], pts[:, 1])
    brute = np.full(len(pts), -1)
    for k, c in enumerate(cells):
        inside = shapely.intersects_xy(c, pts[:, 0], pts[:, 1]) & (brute < 0)
        brute[inside] = k
    np.testing.assert_array_equal(got, brute)
    assert (got < 0).sum() > 0  # points outside every cell are reported as -1


def test_validate_polygon_messages() -> None:
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    with pytest.raises(ValueError, match=r"cell: invalid polygon \(Self-intersection"):
        validate_polygon(bow, field="cell")
    with pytest.raises(ValueError, match="geometry: expected a Polygon or MultiPolygon, got Point"):
        validate_polygon(shapely.Point(0, 0))
