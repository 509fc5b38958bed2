"""The city's frame: land, lake and rivers (Kunming-like or a bbox), density, cell look-ups."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon, box

from pingan.demo.city.common import (
    _GRID,
    CENTER_LAT,
    CENTER_LON,
    F64,
    HALF_HEIGHT_M,
    HALF_WIDTH_M,
    I64,
    StrA,
)
from pingan.demo.city.model import Area, City
from pingan.geo.crs import LocalProjection


def urban_density(x_m: F64, y_m: F64, *, half_width_m: float, half_height_m: float) -> F64:
    """Relative urban density (about 1 at the old centre, 0.04 in the countryside).

    A main centre at the frame origin and a new town to the south-east, each an exponential
    in normalised distance. Time and memory O(n).
    """
    u = np.asarray(x_m, dtype=np.float64) / half_width_m
    v = np.asarray(y_m, dtype=np.float64) / half_height_m
    r1 = np.hypot(u, v)
    r2 = np.hypot(u - 0.45, v + 0.62)
    return np.asarray(np.exp(-r1 / 0.26) + 0.45 * np.exp(-r2 / 0.14) + 0.04, dtype=np.float64)


def city_frame(city: City) -> LocalProjection:
    """The local metric projection of ``city`` (its centre is the frame origin)."""
    return LocalProjection(city.center_lon, city.center_lat)


def locate_cells(cells: list[Area], lon: F64, lat: F64) -> I64:
    """Index into ``cells`` of the cell containing each point, -1 outside every cell.

    Points on a shared edge go to the lowest cell index. Uses a shapely STRtree; time
    O(n log c) for n points and c cells, memory O(n).
    """
    polys = np.array([c.polygon for c in cells], dtype=object)
    tree = shapely.STRtree(polys)
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    out = np.full(len(lon_a), -1, dtype=np.int64)
    chunk = 262_144  # bounds the memory of the shapely points to ~30 MB
    for a in range(0, len(lon_a), chunk):
        pts = shapely.points(lon_a[a : a + chunk], lat_a[a : a + chunk])
        pi, ci = tree.query(pts, predicate="intersects")
        order = np.lexsort((ci, pi))
        pi, ci = pi[order], ci[order]
        first = np.ones(len(pi), dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        out[a + pi[first]] = ci[first]
    return out


@dataclass(frozen=True)
class _Frame:
    proj: LocalProjection
    hw: float
    hh: float
    land: Polygon
    lake: Polygon
    rivers: list[F64]

    def dens(self, x: F64, y: F64) -> F64:
        return urban_density(x, y, half_width_m=self.hw, half_height_m=self.hh)


def _ring(
    cx: float,
    cy: float,
    a: float,
    b: float,
    rot_deg: float,
    wobble: list[tuple[float, int, float]],
    n: int,
) -> F64:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    r = np.ones_like(t)
    for amp, k, ph in wobble:
        r += amp * np.sin(k * t + ph)
    x0, y0 = a * r * np.cos(t), b * r * np.sin(t)
    c, s = math.cos(math.radians(rot_deg)), math.sin(math.radians(rot_deg))
    return np.column_stack([cx + c * x0 - s * y0, cy + s * x0 + c * y0])


def _densify(ctrl: F64, step_m: float, meander_m: float, wavelength_m: float) -> F64:
    seg = np.diff(ctrl, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = np.arange(0.0, cum[-1], step_m)
    x = np.interp(s, cum, ctrl[:, 0])
    y = np.interp(s, cum, ctrl[:, 1])
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    nx, ny = -seg[k, 1] / seg_len[k], seg[k, 0] / seg_len[k]
    off = meander_m * np.sin(2 * np.pi * s / wavelength_m) * np.sin(np.pi * s / cum[-1])
    return np.column_stack([x + nx * off, y + ny * off])


def _kunming_frame() -> _Frame:
    proj = LocalProjection(CENTER_LON, CENTER_LAT)
    hw, hh = HALF_WIDTH_M, HALF_HEIGHT_M
    lake_xy = _ring(
        -9_800.0,
        -9_500.0,
        3_900.0,
        8_600.0,
        -15.0,
        [(0.06, 3, 0.5), (0.035, 7, 1.3), (0.015, 13, 2.0)],
        720,
    )
    lake = shapely.set_precision(Polygon(lake_xy), _GRID)
    # straight edges in metres are curves in lon/lat: densify so that every polygon cut from
    # the land shares the same vertices along the boundary
    frame_box = shapely.segmentize(box(-hw, -hh, hw, hh), 50.0)
    land = shapely.difference(frame_box, lake, grid_size=_GRID)
    if not isinstance(land, Polygon):  # pragma: no cover - fixed geometry
        raise ValueError("land: the lake split the city; fix the lake geometry")
    panlong = _densify(
        np.array(
            [
                [1800.0, 10_050.0],
                [1200.0, 6500.0],
                [300.0, 3000.0],
                [-600.0, 0.0],
                [-2500.0, -2600.0],
                [-5600.0, -4000.0],
                [-7600.0, -4300.0],
                [-9_500.0, -4800.0],
            ]
        ),
        15.0,
        140.0,
        900.0,
    )
    baoxiang = _densify(
        np.array(
            [
                [12_550.0, -3000.0],
                [8000.0, -4300.0],
                [3000.0, -6100.0],
                [-2500.0, -7600.0],
                [-6000.0, -8300.0],
                [-8000.0, -8600.0],
            ]
        ),
        15.0,
        110.0,
        800.0,
    )
    rivers = []
    for r in (panlong, baoxiang):
        keep = shapely.contains_xy(land, r[:, 0], r[:, 1])
        rivers.append(r[keep])
    return _Frame(proj, hw, hh, land, lake, rivers)


def _bbox_frame(bbox: tuple[float, float, float, float]) -> _Frame:
    w, s, e, n = bbox
    if not (w < e and s < n):
        raise ValueError(f"bbox: must be W,S,E,N with W < E and S < N, got {bbox}")
    proj = LocalProjection((w + e) / 2.0, (s + n) / 2.0)
    xs, ys = proj.forward(np.array([w, e, w, e]), np.array([s, s, n, n]))
    hw = float(min(-xs.min(), xs.max()))
    hh = float(min(-ys.min(), ys.max()))
    land = shapely.set_precision(shapely.segmentize(box(-hw, -hh, hw, hh), 20.0), _GRID)
    return _Frame(proj, hw, hh, land, Polygon(), [])


def _lonlat_polys(proj: LocalProjection, polys: list[Polygon]) -> list[Polygon]:
    def tf(xy: F64) -> F64:
        lo, la = proj.inverse(xy[:, 0], xy[:, 1])
        return np.column_stack([lo, la])

    arr = shapely.transform(np.array(polys, dtype=object), tf)
    return [p if p.is_valid else shapely.make_valid(p) for p in arr]


def _station_of(stations_ll: list[Polygon], lon: F64, lat: F64, codes: list[str]) -> StrA:
    fake = [Area(c, "station", "", "", None, p) for c, p in zip(codes, stations_ll, strict=True)]
    ix = locate_cells(fake, lon, lat)
    if (ix < 0).any():
        cen = np.array([[p.centroid.x, p.centroid.y] for p in stations_ll])
        nn = cKDTree(cen).query(np.column_stack([lon[ix < 0], lat[ix < 0]]))[1]
        ix[ix < 0] = nn
    return np.array(codes)[ix]
