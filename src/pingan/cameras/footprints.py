"""Building footprints (the occlusion layer): parsing a GeoJSON file with a reject report,
storing them, and reading those near a set of cameras in a metric frame. A footprint blocks a
camera's line of sight through its interior (:func:`pingan.coverage.camera_coverage_occluded`).
Keyword-only; never commits (the flows do)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pingan.cameras.models import BuildingFootprint
from pingan.cameras.schemas import Reject
from pingan.geo.crs import LocalProjection, to_wgs84

__all__ = ["MAX_VERTICES", "Parsed", "load_near", "parse_geojson", "stamp", "store"]

MAX_VERTICES = 5000
"""Vertices of one footprint at most (a building, not a district)."""
MIN_AREA_M2 = 4.0
MAX_AREA_M2 = 500_000.0


@dataclass
class Parsed:
    """Footprints read from a file (WGS-84 polygons, one a part) and the rows refused."""

    polygons: list[shapely.Polygon]
    codes: list[str | None]
    heights: list[float | None]
    rows: int
    rejects: list[Reject]


def _to_wgs84(poly: shapely.Polygon, crs: str) -> shapely.Polygon:
    if crs == "WGS84":
        return poly

    def conv(ring: Any) -> list[tuple[float, float]]:
        xy = np.asarray(ring.coords)
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return list(zip(np.asarray(lon).tolist(), np.asarray(lat).tolist(), strict=True))

    return shapely.Polygon(conv(poly.exterior), [conv(r) for r in poly.interiors])


def _area_m2(poly: shapely.Polygon) -> float:
    c = poly.representative_point()
    proj = LocalProjection(c.x, c.y)
    xy = np.asarray(poly.exterior.coords)
    x, y = proj.forward(xy[:, 0], xy[:, 1])
    return float(shapely.Polygon(np.column_stack([x, y])).area)


def parse_geojson(content: bytes, *, crs: str = "WGS84") -> Parsed:
    """A FeatureCollection of Polygon or MultiPolygon features (a MultiPolygon gives one
    footprint per part); ``properties.code`` and ``properties.height_m`` are kept when given.
    Each refused feature is reported with its field and reason. O(total vertices)."""
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Parsed(
            [], [], [], 0, [Reject(row=0, code=None, field="file", reason=f"not JSON: {exc}")]
        )
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list):
        reason = "expected a GeoJSON FeatureCollection with a features list"
        return Parsed([], [], [], 0, [Reject(row=0, code=None, field="file", reason=reason)])
    out = Parsed([], [], [], len(feats), [])
    for i, f in enumerate(feats, start=1):
        props = (f.get("properties") or {}) if isinstance(f, dict) else {}
        code = props.get("code")
        code = None if code is None else str(code)[:64]

        def bad(field: str, reason: str, row: int = i, code: str | None = code) -> None:
            out.rejects.append(Reject(row=row, code=code, field=field, reason=reason))

        try:
            geom = shapely.from_geojson(
                json.dumps(f.get("geometry") if isinstance(f, dict) else None)
            )
        except Exception:  # GEOS parser errors
            bad("geometry", "not a GeoJSON geometry")
            continue
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            bad(
                "geometry",
                f"expected a Polygon or MultiPolygon, got {getattr(geom, 'geom_type', None)}",
            )
            continue
        height = props.get("height_m")
        if height is not None and not (isinstance(height, int | float) and 0 < height <= 1000):
            bad("height_m", f"expected metres in (0, 1000], got {height!r}")
            continue
        for part in getattr(geom, "geoms", [geom]):
            if shapely.get_num_coordinates(part) > MAX_VERTICES:
                bad("geometry", f"more than {MAX_VERTICES} vertices")
                continue
            if not part.is_valid:
                bad("geometry", f"not a valid polygon: {shapely.is_valid_reason(part)}")
                continue
            w, s, e, n = part.bounds
            if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
                bad("geometry", "coordinates outside longitude/latitude")
                continue
            poly = _to_wgs84(part, crs)
            area = _area_m2(poly)
            if not MIN_AREA_M2 <= area <= MAX_AREA_M2:
                bad("geometry", f"area {area:.0f} m² outside [{MIN_AREA_M2:g}, {MAX_AREA_M2:g}]")
                continue
            out.polygons.append(poly)
            out.codes.append(code)
            out.heights.append(None if height is None else float(height))
    return out


def store(
    session: Session, *, parsed: Parsed, source: str = "import", replace: bool = False
) -> tuple[int, int]:
    """Write the parsed footprints (after deleting every footprint when ``replace``); returns
    (written, deleted)."""
    deleted = 0
    if replace:
        deleted = int(session.scalar(select(func.count(BuildingFootprint.id))) or 0)
        session.execute(delete(BuildingFootprint))
    rows = []
    for poly, code, h in zip(parsed.polygons, parsed.codes, parsed.heights, strict=True):
        w, s, e, n = poly.bounds
        rows.append(
            {
                "code": code,
                "geometry": shapely.to_geojson(shapely.set_precision(poly, 1e-7)),
                "min_lon": w,
                "min_lat": s,
                "max_lon": e,
                "max_lat": n,
                "height_m": h,
                "source": source,
            }
        )
    for k in range(0, len(rows), 2000):
        session.execute(insert(BuildingFootprint), rows[k : k + 2000])
    return len(rows), deleted


def stamp(session: Session) -> tuple[int, int | None]:
    """Count and highest id of the footprints: what the figures' cache keys on."""
    n, top = session.execute(
        select(func.count(BuildingFootprint.id), func.max(BuildingFootprint.id))
    ).one()
    return int(n), top


def load_near(
    session: Session, *, lon: NDArray[np.float64], lat: NDArray[np.float64], margin_m: float,
    proj: LocalProjection,
) -> list[shapely.Polygon]:  # fmt: skip
    """The footprints whose box comes within ``margin_m`` of the box of the given points, as
    polygons in ``proj`` metres (empty when none are loaded). One query; O(f) in those read."""
    if lon.size == 0 or stamp(session)[0] == 0:
        return []
    pad = margin_m / 111_320.0
    pad_lon = pad / max(0.2, float(np.cos(np.radians(np.nanmean(lat)))))
    rows = session.execute(
        select(BuildingFootprint.geometry).where(
            BuildingFootprint.max_lon >= float(np.nanmin(lon)) - pad_lon,
            BuildingFootprint.min_lon <= float(np.nanmax(lon)) + pad_lon,
            BuildingFootprint.max_lat >= float(np.nanmin(lat)) - pad,
            BuildingFootprint.min_lat <= float(np.nanmax(lat)) + pad,
        )
    ).all()
    if not rows:
        return []
    geoms = shapely.from_geojson([r[0] for r in rows])

    def forward(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = proj.forward(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    polys = shapely.transform(geoms, forward)  # every vertex in one call: O(total vertices)
    ok = shapely.is_valid(polys) & ~shapely.is_empty(polys)
    return list(polys[ok])
