"""Assign many points at once to the polygon that contains them.

``PolygonIndex(polygons).assign(lon, lat)`` returns, for each point, the index of the polygon
containing it, or ``-1`` for points outside every polygon (reported, never silently dropped).
A point on a shared border goes to the polygon with the lowest index, deterministically.

Method: a shapely 2 ``STRtree`` over the polygons and one vectorised ``query(points,
predicate="intersects")``; the tree prepares the polygons once. Building is O(m log m) for m
polygons; assigning n points is about O(n log m + n·v) where v is the vertex count checked per
candidate, with O(n) memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from pingan.geo.crs import validate_lonlat

__all__ = ["PolygonIndex", "validate_polygon"]


def validate_polygon(geom: shapely.Geometry, *, field: str = "geometry") -> shapely.Geometry:
    """Return ``geom`` if it is a valid, non-empty (Multi)Polygon, else raise ``ValueError``.

    The message names ``field`` and the reason given by shapely (e.g. self-intersection).
    """
    if geom is None or geom.is_empty:
        raise ValueError(f"{field}: the polygon is empty")
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"{field}: expected a Polygon or MultiPolygon, got {geom.geom_type}")
    if not geom.is_valid:
        raise ValueError(f"{field}: invalid polygon ({shapely.is_valid_reason(geom)})")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValueError(f"{field}: coordinates outside lon [-180, 180] / lat [-90, 90]")
    return geom


class PolygonIndex:
    """A spatial index of polygons (WGS-84 lon/lat) for vectorised point assignment."""

    def __init__(self, polygons: Sequence[shapely.Geometry]) -> None:
        self.polygons = np.asarray(polygons, dtype=object)
        if self.polygons.size == 0:
            raise ValueError("polygons: at least one polygon is needed")
        shapely.prepare(self.polygons)
        self._tree = shapely.STRtree(self.polygons)

    def __len__(self) -> int:
        return int(self.polygons.size)

    def assign(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int64]:
        """Index of the containing polygon for each point, ``-1`` where none contains it."""
        lo, la = validate_lonlat(lon, lat)
        lo, la = lo.ravel(), la.ravel()
        out = np.full(lo.size, -1, dtype=np.int64)
        if lo.size == 0:
            return out
        points = shapely.points(lo, la)
        pairs = self._tree.query(points, predicate="intersects")
        if pairs.shape[1]:
            pt, poly = pairs[0], pairs[1]
            # lowest polygon index wins on shared borders: write in descending order
            order = np.lexsort((-poly, pt))
            pt, poly = pt[order], poly[order]
            first = np.ones(pt.size, dtype=bool)
            first[1:] = pt[1:] != pt[:-1]
            out[pt[first]] = poly[first]
        return out
