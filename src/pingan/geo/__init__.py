"""Geometry helpers: coordinate systems, metric projection, point-to-area assignment and the
one bounding-box parser (:func:`parse_bbox`).

Pure library: imports nothing from the database, the domains or the web stack.
"""

from pingan.geo.bbox import BBox, BBoxError, parse_bbox
from pingan.geo.crs import (
    EARTH_RADIUS_M,
    SUPPORTED_CRS,
    LocalProjection,
    bd09_to_wgs84,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    validate_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

__all__ = [
    "EARTH_RADIUS_M",
    "SUPPORTED_CRS",
    "BBox",
    "BBoxError",
    "LocalProjection",
    "bd09_to_wgs84",
    "gcj02_to_wgs84",
    "haversine_m",
    "parse_bbox",
    "to_wgs84",
    "validate_lonlat",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
