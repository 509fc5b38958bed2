"""The one bbox parser: rules and messages (used by the map roads API, OGC items and the CLI)."""

from __future__ import annotations

import pytest

from pingan.geo import BBoxError, parse_bbox


def test_parses_four_numbers_and_none() -> None:
    assert parse_bbox("102.7,25.0,102.8,25.1") == (102.7, 25.0, 102.8, 25.1)
    assert parse_bbox(" -1 , -2 , 3 , 4 ") == (-1.0, -2.0, 3.0, 4.0)
    assert parse_bbox("5,5,5,5") == (5.0, 5.0, 5.0, 5.0)  # degenerate boxes are allowed
    assert parse_bbox(None) is None
    assert parse_bbox("") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "bbox: expected 4 numbers W,S,E,N, got 3"),
        ("1,2,3,4,5", "bbox: expected 4 numbers W,S,E,N, got 5"),
        ("a,b,c,d", "bbox: not numbers: 'a,b,c,d'; give four numbers W,S,E,N"),
        (
            "0,95,1,96",
            "bbox: longitudes must be in [-180, 180], latitudes in [-90, 90] with S ≤ N, "
            "got '0,95,1,96'",
        ),
        (
            "0,3,1,2",
            "bbox: longitudes must be in [-180, 180], latitudes in [-90, 90] with S ≤ N, "
            "got '0,3,1,2'",
        ),
        (
            "0,0,nan,1",
            "bbox: longitudes must be in [-180, 180], latitudes in [-90, 90] with S ≤ N, "
            "got '0,0,nan,1'",
        ),
        (
            "10,2,3,4",
            "bbox: boxes crossing the antimeridian (W > E) are not supported; give W < E, "
            "got '10,2,3,4'",
        ),
    ],
)
def test_errors_name_the_field_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(BBoxError) as caught:
        parse_bbox(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "bbox" and message == f"bbox: {caught.value.reason}"


def test_the_field_is_the_callers() -> None:
    with pytest.raises(BBoxError, match=r"^--bbox: expected 4 numbers W,S,E,N, got 1$"):
        parse_bbox("7", field="--bbox")


def test_the_box_around_a_point_holds_the_circle() -> None:
    from pingan.geo.bbox import around
    from pingan.geo.crs import haversine_m

    w, s, e, n = around(102.7, 25.0, 150.0)
    assert w < 102.7 < e and s < 25.0 < n
    # each side is at least the radius away from the centre (the circle fits in the box)
    assert float(haversine_m(102.7, 25.0, e, 25.0)) >= 150.0
    assert float(haversine_m(102.7, 25.0, 102.7, n)) >= 150.0
    assert float(haversine_m(102.7, 25.0, 102.7, n)) < 152.0  # and not much more
