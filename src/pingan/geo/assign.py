"""Assign many points at once to the polygon that contains them.

``PolygonIndex(polygons).assign(lon, lat)`` returns, for each point, the index of the polygon
containing it, or ``-1`` for points outside every polygon (reported, never silently dropped).
A point on a shared border goes to the polygon with the lowest index, deterministically.

Method: a regular grid of buckets over the polygons' extent, each bucket listing (in ascending
order) the polygons whose bounding box overlaps it, in CSR arrays; a point's bucket comes from two
floor divisions, its candidates from the bucket's list, and GEOS decides each (point, candidate)
pair exactly with ``shapely.intersects_xy`` on the prepared polygons, so no Point object is made.
The bucket of a coordinate is monotone in it, so a polygon's bucket range holds every point of
its bounding box, borders included. Building is O(m + B + P) for m polygons, B buckets (about
four per polygon, capped) and P (polygon, bucket) pairs; assigning n points is O(n·c) for c
candidates per point (one or two on a city's cells), with O(n·c) memory.
"""

from __future__ import annotations

import math
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

    BUCKETS_PER_POLYGON = 4
    MAX_BUCKETS = 4_000_000
    MAX_PAIRS = 16_000_000

    def __init__(self, polygons: Sequence[shapely.Geometry]) -> None:
        self.polygons = np.asarray(polygons, dtype=object)
        if self.polygons.size == 0:
            raise ValueError("polygons: at least one polygon is needed")
        shapely.prepare(self.polygons)
        bounds = shapely.bounds(self.polygons)  # (m, 4): minx, miny, maxx, maxy
        self._x0, self._y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        width = max(float(bounds[:, 2].max()) - self._x0, 1e-9)
        height = max(float(bounds[:, 3].max()) - self._y0, 1e-9)
        buckets = min(self.MAX_BUCKETS, self.BUCKETS_PER_POLYGON * self.polygons.size)
        while True:
            side = math.sqrt(width * height / buckets)
            self._nx = max(1, math.ceil(width / side))
            self._ny = max(1, math.ceil(height / side))
            self._dx, self._dy = width / self._nx, height / self._ny
            bx0, by0 = self._bucket(bounds[:, 0], bounds[:, 1])
            bx1, by1 = self._bucket(bounds[:, 2], bounds[:, 3])
            nbx, nby = bx1 - bx0 + 1, by1 - by0 + 1
            # polygons whose boxes span much of the extent: a coarser grid keeps pairs bounded
            if int((nbx * nby).sum()) <= self.MAX_PAIRS or buckets <= 1:
                break
            buckets = max(1, buckets // 4)
        # every (polygon, bucket) pair of each polygon's bounding-box range, polygons ascending
        poly = np.repeat(np.arange(self.polygons.size), nbx * nby)
        start = np.cumsum(nbx * nby) - nbx * nby
        k = np.arange(poly.size) - np.repeat(start, nbx * nby)  # position inside the range
        bucket = (by0[poly] + k // nbx[poly]) * self._nx + (bx0[poly] + k % nbx[poly])
        order = np.argsort(bucket, kind="stable")  # stable: ascending polygons per bucket
        self._cand = poly[order]
        self._offsets = np.zeros(self._nx * self._ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(bucket, minlength=self._nx * self._ny), out=self._offsets[1:])

    def __len__(self) -> int:
        return int(self.polygons.size)

    def _bucket(
        self, x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Bucket columns and rows of coordinates (clipped to the grid): monotone in each."""
        bx = np.floor((x - self._x0) / self._dx).astype(np.int64)
        by = np.floor((y - self._y0) / self._dy).astype(np.int64)
        return np.clip(bx, 0, self._nx - 1), np.clip(by, 0, self._ny - 1)

    def assign(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int64]:
        """Index of the containing polygon for each point, ``-1`` where none contains it."""
        lo, la = validate_lonlat(lon, lat)
        lo, la = lo.ravel(), la.ravel()
        out = np.full(lo.size, -1, dtype=np.int64)
        if lo.size == 0:
            return out
        if lo.size == 1:  # one call of the API: the same steps without the array machinery
            x, y = float(lo[0]), float(la[0])
            bx1 = min(max(math.floor((x - self._x0) / self._dx), 0), self._nx - 1)
            by1 = min(max(math.floor((y - self._y0) / self._dy), 0), self._ny - 1)
            b1 = by1 * self._nx + bx1
            cands = self._cand[self._offsets[b1] : self._offsets[b1 + 1]]
            hits = cands[shapely.intersects_xy(self.polygons[cands], x, y)]
            if hits.size:
                out[0] = hits[0]
            return out
        bx, by = self._bucket(lo, la)
        # a point outside the grid's extent (clipped into an edge bucket) is tested against that
        # bucket's polygons all the same, and GEOS finds it in none
        b = by * self._nx + bx
        first, count = self._offsets[b], self._offsets[b + 1] - self._offsets[b]
        pt = np.repeat(np.arange(lo.size), count)  # pairs grouped by point ...
        cand = self._cand[np.repeat(first - np.cumsum(count) + count, count) + np.arange(pt.size)]
        hit = shapely.intersects_xy(self.polygons[cand], lo[pt], la[pt])
        pt, cand = pt[hit], cand[hit]  # ... with ascending polygons: the first hit is the lowest
        if pt.size:
            lead = np.ones(pt.size, dtype=bool)
            lead[1:] = pt[1:] != pt[:-1]
            out[pt[lead]] = cand[lead]
        return out
