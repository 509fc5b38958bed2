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


@pytest.mark.parametrize("crs", ["GCJ02", "BD09"])
def test_one_point_converts_as_in_an_array(crs: str) -> None:
    """The API converts one point at a time with plain floats: the same as the array path to
    a fraction of a millimetre, inside and outside China, and the same shape."""
    rng = np.random.default_rng(4)
    lon = np.r_[rng.uniform(73, 135, 300), 2.35, -74.0, 102.7123]
    lat = np.r_[rng.uniform(3, 53, 300), 48.85, 40.7, 25.0406]
    many_lon, many_lat = to_wgs84(lon, lat, crs)
    one = np.array([[v[0] for v in to_wgs84([x], [y], crs)] for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_allclose(one[:, 0], many_lon, atol=1e-9, rtol=0)
    np.testing.assert_allclose(one[:, 1], many_lat, atol=1e-9, rtol=0)
    assert to_wgs84(102.7, 25.0, crs)[0].shape == ()
    with pytest.raises(ValueError, match=r"lat: 95\.0 at index 0 is outside"):
        to_wgs84([102.7], [95.0], crs)


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


def test_a_point_on_a_shared_border_goes_to_the_lowest_index_one_or_many() -> None:
    """Corners and edges shared by grid cells: the lowest-numbered cell, whether the point comes
    alone (the API's single-point path) or with others (the vectorised path)."""
    cells = [shapely.box(i, j, i + 1, j + 1) for i in range(4) for j in range(4)]
    idx = PolygonIndex(cells)
    rng = np.random.default_rng(8)
    pts = np.concatenate(
        [
            np.array([[1.0, 1.0], [2.0, 1.5], [1.5, 3.0], [0.0, 0.0], [4.0, 4.0], [4.5, 1.0]]),
            rng.integers(0, 5, (50, 2)).astype(float),  # lattice points: all on borders
            rng.uniform(-0.5, 4.5, (200, 2)),
        ]
    )
    brute = np.full(len(pts), -1)
    for k in range(len(cells) - 1, -1, -1):  # the lowest index written last
        brute[shapely.intersects_xy(cells[k], pts[:, 0], pts[:, 1])] = k
    np.testing.assert_array_equal(idx.assign(pts[:, 0], pts[:, 1]), brute)
    np.testing.assert_array_equal([idx.assign([x], [y])[0] for x, y in pts], brute)
    assert idx.assign([1.0], [1.0])[0] == 0  # cells 0, 1, 4 and 5 meet there


def test_validate_polygon_messages() -> None:
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    with pytest.raises(ValueError, match=r"cell: invalid polygon \(Self-intersection"):
        validate_polygon(bow, field="cell")
    with pytest.raises(ValueError, match="geometry: expected a Polygon or MultiPolygon, got Point"):
        validate_polygon(shapely.Point(0, 0))
