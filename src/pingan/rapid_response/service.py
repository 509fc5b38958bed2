"""Coverage computations over arrays from :mod:`pingan.rapid_response.data`: input checks,
travel-time fields from posts and units, coverage shares per layer, unit recommendations with
their routes, isochrone and grid-cell features, the map's road layer. The siting run (MCLP) is
:mod:`pingan.rapid_response.siting`.

Every check raises :class:`pingan.errors.Invalid` naming the field (the API's name; the CLI maps
it to its option), so the API answers 422 and the CLI exits 2 with the same sentence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from pingan.coverage import Units, coverage_shares, rank_units, travel_times
from pingan.errors import Invalid
from pingan.geo.crs import haversine_m
from pingan.rapid_response.data import KIND_MODE, Forces, Points
from pingan.rapid_response.layers import rounded
from pingan.roads import MODES, RoadNetwork

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "Field",
    "cell_features",
    "check_mode",
    "coverage_table",
    "field_from",
    "nearest_road",
    "parse_at",
    "parse_standards",
    "recommend",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Progress = Callable[[float, str], None]
DEFAULT_MAX_SNAP_M = 500.0
MAX_LISTED = 500
DRONE_TAKEOFF_S = 60.0
DRONE_SPEED_KPH = 60.0


# ---------------------------------------------------------------------------- input checks
def parse_standards(value: str | Sequence[float] | None) -> list[float]:
    """``"60,180,300"`` or a list → sorted unique seconds, each > 0."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid("standard", "give at least one response standard in seconds, e.g. 60,180,300")
    parts: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    out: list[float] = []
    for p in parts:
        try:
            s = float(p)
        except (TypeError, ValueError):
            raise Invalid("standard", f"{str(p).strip()!r} is not a number of seconds") from None
        if not np.isfinite(s) or s <= 0:
            raise Invalid("standard", f"must be > 0 seconds, got {s:g}")
        if s > 7200:
            raise Invalid("standard", f"at most 7200 seconds (2 hours), got {s:g}")
        out.append(s)
    if not out:
        raise Invalid("standard", "give at least one response standard in seconds")
    return sorted(set(out))


def parse_at(value: str | None) -> dt.time | None:
    """``"18:00"`` → a wall-clock time (speed profile), ``None``/empty → free flow."""
    if value is None or value == "":
        return None
    try:
        hh, mm = value.split(":")[:2]
        return dt.time(int(hh), int(mm))
    except ValueError:
        raise Invalid("at", f"expected a time of day HH:MM such as 18:00, got {value!r}") from None


def check_mode(mode: str) -> str:
    """A travel mode of the road network."""
    if mode not in MODES:
        raise Invalid("mode", f"{mode!r} is not a travel mode; use one of {', '.join(MODES)}")
    return mode


# ---------------------------------------------------------------------------- fields
@dataclass(frozen=True)
class Field:
    """A travel-time field: seconds to every node from the nearest source, and its sources."""

    time_s: F64
    mode: str
    at: dt.time | None
    n_sources: int
    too_far: list[dict[str, Any]]
    n_drones: int = 0


def snap_rows(
    network: RoadNetwork, lon: F64, lat: F64, max_snap_m: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_], F64]:
    snap = network.snap(lon, lat, max_snap_m=max_snap_m)
    rows = np.column_stack([snap.node.astype(np.float64), snap.walk_s])
    return rows, snap.too_far, snap.distance_m


def drone_times(network: RoadNetwork, drones: Forces) -> F64:
    """Flight time (s) from the nearest drone base to every node: great-circle distance at the
    drone's speed plus take-off, within its range."""
    out = np.full(network.n_nodes, np.inf)
    for i in range(len(drones)):
        speed = drones.speed_kph[i] if np.isfinite(drones.speed_kph[i]) else DRONE_SPEED_KPH
        rng = drones.range_m[i] if np.isfinite(drones.range_m[i]) else np.inf
        d = haversine_m(network.node_lon, network.node_lat, drones.lon[i], drones.lat[i])
        t = np.where(d <= rng, d / (speed / 3.6) + DRONE_TAKEOFF_S, np.inf)
        np.minimum(out, t, out=out)
    return out


def field_from(
    network: RoadNetwork,
    sources: Forces,
    *,
    mode: str,
    at: dt.time | None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    drones: Forces | None = None,
    what: str = "posts",
) -> Field:
    """Travel time from the nearest of ``sources`` (by ``mode`` at ``at``) to every node;
    with ``drones``, the smaller of that and the drones' flight time. Sources farther than
    ``max_snap_m`` from a road are left out and listed, never snapped across a river."""
    check_mode(mode)
    if len(sources) == 0 and (drones is None or len(drones) == 0):
        raise Invalid("units", f"no {what} with a position in your jurisdiction")
    t = np.full(network.n_nodes, np.inf)
    far: list[dict[str, Any]] = []
    n_used = 0
    if len(sources):
        rows, too_far, dist = snap_rows(network, sources.lon, sources.lat, max_snap_m)
        far = [
            {"id": int(sources.id[i]), "code": sources.code[i], "distance_m": round(float(dist[i]))}
            for i in np.flatnonzero(too_far).tolist()
        ]
        ok = ~too_far
        n_used = int(ok.sum())
        if n_used:
            t = travel_times(network, rows[ok], mode=mode, at=at)
        elif drones is None or len(drones) == 0:
            raise Invalid(
                "units",
                f"all {len(sources)} {what} are more than {max_snap_m:g} m from the nearest "
                f"road (closest: {float(dist.min()):.0f} m); check their positions",
            )
    n_drones = 0
    if drones is not None and len(drones):
        t = np.minimum(t, drone_times(network, drones))
        n_drones = len(drones)
    return Field(t, mode, at, n_used, far, n_drones)


# ---------------------------------------------------------------------------- coverage
def _groups(points: Points, by_group: bool) -> list[tuple[str, NDArray[np.bool_]]]:
    if not by_group:
        return [(points.layer, np.ones(len(points), dtype=bool))]
    g = np.asarray(points.group, dtype=str) if len(points) else np.empty(0, dtype=str)
    return [(f"{points.layer}:{k}", g == k) for k in sorted(set(points.group))]


def coverage_table(
    network: RoadNetwork,
    field: Field,
    layers: Sequence[tuple[Points, bool]],
    standards_s: Sequence[float],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    max_listed: int = MAX_LISTED,
) -> list[dict[str, Any]]:
    """Share of each layer (or each group of it, e.g. premises by kind) reached within each
    standard, weighted by the layer's weights, with what is outside (at most ``max_listed``
    listed per level; points farther than ``max_snap_m`` from a road are outside with their
    distance). Key areas also get their share within their own response standard."""
    out: list[dict[str, Any]] = []
    for points, by_group in layers:
        if len(points) == 0:
            for name in [g for g, _ in _groups(points, by_group)] or [points.layer]:
                out.append({"layer": name, "count": 0, "total_weight": 0.0, "levels": []})
            continue
        snap = network.snap(points.lon, points.lat, max_snap_m=max_snap_m)
        walk = np.where(snap.too_far, np.inf, snap.walk_s)
        for name, mask in _groups(points, by_group):
            idx = np.flatnonzero(mask)
            sh = coverage_shares(
                field.time_s, snap.node[idx], walk[idx], points.weight[idx], standards_s
            )
            t = sh["time_s"]
            levels = []
            for lv in sh["levels"]:
                outside = idx[lv["outside"]]
                levels.append(
                    {
                        "standard_s": lv["standard_s"],
                        "covered": int(idx.size - outside.size),
                        "covered_weight": lv["covered_weight"],
                        "covered_share": lv["covered_share"],
                        "n_outside": int(outside.size),
                        "outside": [
                            _entry(points, i, t[j], snap)
                            for j, i in zip(
                                lv["outside"][:max_listed].tolist(),
                                outside[:max_listed].tolist(),
                                strict=True,
                            )
                        ],
                    }
                )
            row: dict[str, Any] = {
                "layer": name,
                "count": int(idx.size),
                "total_weight": sh["total_weight"],
                "too_far_from_road": int(snap.too_far[idx].sum()),
                "levels": levels,
            }
            if points.standard_s is not None:
                own = t <= points.standard_s[idx]
                row["own_standard"] = {
                    "covered": int(own.sum()),
                    "covered_share": float(own.mean()) if idx.size else 0.0,
                    "outside": [
                        _entry(points, int(idx[j]), t[j], snap)
                        | {"standard_s": float(points.standard_s[idx[j]])}
                        for j in np.flatnonzero(~own)[:max_listed].tolist()
                    ],
                }
            out.append(row)
    return out


def _entry(points: Points, i: int, time_s: float, snap: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "id": int(points.id[i]),
        "code": points.code[i],
        "name": points.name[i],
        "time_s": None if not np.isfinite(time_s) else round(float(time_s), 1),
    }
    if points.layer == "premises":
        e["kind"] = points.group[i]
    if points.layer == "grid_cells":
        e["incidents"] = int(points.weight[i])
    if snap.too_far[i]:
        e["distance_to_road_m"] = round(float(snap.distance_m[i]))
    return e


# ---------------------------------------------------------------------------- recommendations
def nearest_road(
    network: RoadNetwork, lon: float, lat: float, *, max_snap_m: float, field: str = "location"
) -> tuple[int, float]:
    """The snapped node and distance of a point; ``Invalid`` with the distance when farther
    than ``max_snap_m`` from any road (never snapped silently across a river)."""
    snap = network.snap([lon], [lat], max_snap_m=max_snap_m)
    d = float(snap.distance_m[0])
    if snap.too_far[0]:
        raise Invalid(
            field,
            f"({lon:.6f}, {lat:.6f}) is {d:.0f} m from the nearest road, more than "
            f"max_snap_m={max_snap_m:g}; correct the location or raise max_snap_m",
            detail={"distance_m": round(d, 1), "max_snap_m": max_snap_m},
        )
    return int(snap.node[0]), d


def _component_size(network: RoadNetwork, node: int, mode: str, at: dt.time | None) -> int:
    _, labels = connected_components(network.graph(mode, at), directed=True, connection="weak")
    return int((labels == labels[node]).sum())


def recommend(
    network: RoadNetwork,
    forces: Forces,
    point: tuple[float, float],
    *,
    k: int = 5,
    at: dt.time | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """The ``k`` available units with the smallest exact ETA to ``point``: ground units by road
    in their kind's mode (``KIND_MODE``), drones by flight time; each with its road distance and
    route as a GeoJSON LineString (unit → road → incident)."""
    if k < 1:
        raise Invalid("k", f"must be >= 1, got {k}")
    node, snap_d = nearest_road(network, point[0], point[1], max_snap_m=max_snap_m)
    avail = forces.status == "available"
    usable = avail & (forces.kind != "drone_base")
    if not usable.any():
        raise Invalid(
            "units",
            f"no available unit with a position in your jurisdiction ({len(forces)} units, "
            f"{int(avail.sum())} available)",
        )
    units_all = forces.subset(usable)
    modes = np.array([KIND_MODE.get(str(x), "car") for x in units_all.kind], dtype=str)
    # ground units farther than max_snap_m from a road cannot be routed: leave them out
    gsnap = network.snap(units_all.lon, units_all.lat, max_snap_m=max_snap_m)
    ok = (modes == "drone") | ~gsnap.too_far
    units_f = units_all.subset(ok)
    modes = modes[ok]
    left_out = [
        {
            "id": int(units_all.id[i]),
            "code": units_all.code[i],
            "distance_m": round(float(gsnap.distance_m[i])),
        }
        for i in np.flatnonzero(~ok).tolist()
    ]
    speed = np.where(np.isfinite(units_f.speed_kph), units_f.speed_kph, DRONE_SPEED_KPH)
    rng = np.where(np.isfinite(units_f.range_m), units_f.range_m, np.inf)
    units = Units(
        units_f.lon,
        units_f.lat,
        modes,
        np.ones(len(units_f), dtype=bool),
        speed_kph=speed,
        range_m=rng,
        takeoff_s=DRONE_TAKEOFF_S,
    )
    ranked = rank_units(network, point, units, k=k, at=at, max_snap_m=max_snap_m)
    if ranked.unit.size == 0:
        size = _component_size(network, node, "car", at)
        raise Invalid(
            "location",
            f"no available unit can reach the incident: its road belongs to a component of "
            f"{size} nodes that no unit's road connects to, and no drone is in range",
            detail={"component_nodes": size, "units_considered": len(units_f)},
        )
    out = []
    for rank, (i, eta, mode, route) in enumerate(
        zip(
            ranked.unit.tolist(),
            ranked.eta_s.tolist(),
            ranked.mode.tolist(),
            ranked.routes,
            strict=True,
        ),
        start=1,
    ):
        ulon, ulat = float(units_f.lon[i]), float(units_f.lat[i])
        if mode == "drone" or route.size == 0:
            coords = [[ulon, ulat], [point[0], point[1]]]
            dist = float(haversine_m(ulon, ulat, point[0], point[1]))
        else:
            nl, na = network.node_lon[route], network.node_lat[route]
            coords = [[ulon, ulat], *np.column_stack([nl, na]).tolist(), [point[0], point[1]]]
            c = np.asarray(coords)
            dist = float(haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum())
        out.append(
            {
                "rank": rank,
                "id": int(units_f.id[i]),
                "code": units_f.code[i],
                "name": units_f.name_en[i] if lang == "en" else units_f.name_zh[i],
                "kind": str(units_f.kind[i]),
                "mode": mode,
                "basis": "drone" if mode == "drone" else "road",
                "eta_s": round(float(eta), 1),
                "distance_m": round(dist, 1),
                "route": {"type": "LineString", "coordinates": _round(coords)},
                "why": _why(mode, float(eta), dist, rank, len(units_f), at, lang),
            }
        )
    return {
        "units": out,
        "busy": int((~avail & (forces.kind != "drone_base")).sum()),
        "snap_distance_m": round(snap_d, 1),
        "considered": len(units_f),
        "left_out_far_from_road": left_out,
        "at": at.strftime("%H:%M") if at else None,
        "how": (
            "Exact shortest travel time on the road network (Dijkstra from the incident on the "
            "reversed graph, per mode: car, motorcycle, foot by unit kind, with the time-of-day "
            "speed profile); the walk from each unit and to the incident along the snap distance "
            f"at 5 km/h. Drones: great-circle distance at their speed plus {DRONE_TAKEOFF_S:g} s "
            "take-off, within their range. Only available units are ranked."
        ),
    }


def _why(
    mode: str, eta_s: float, dist_m: float, rank: int, n: int, at: dt.time | None, lang: str
) -> str:
    """Why a unit ranks where it does, in the caller's language."""
    mins, secs = divmod(round(eta_s), 60)
    clock = at.strftime("%H:%M") if at else ""
    km = dist_m / 1000
    if lang == "en":
        how = (
            f"flies {km:.1f} km straight"
            if mode == "drone"
            else f"{km:.1f} km by road as a {mode}" + (f", {clock} traffic" if clock else "")
        )
        return f"ETA {mins} min {secs:02d} s: {how}; #{rank} of {n} available units"
    mode_zh = {"car": "汽车", "motorcycle": "摩托车", "foot": "步行"}.get(mode, mode)
    how = (
        f"直线飞行 {km:.1f} 公里"
        if mode == "drone"
        else f"按{mode_zh}走道路 {km:.1f} 公里" + (f"（{clock} 路况）" if clock else "")
    )
    return f"预计 {mins} 分 {secs:02d} 秒到达：{how}；可用单位 {n} 个中第 {rank}"


def _round(coords: list[list[float]]) -> list[list[float]]:
    return [[round(x, 6), round(y, 6)] for x, y in coords]


# ---------------------------------------------------------------------------- features
def cell_features(
    network: RoadNetwork,
    field: Field,
    cells: Points,
    standards_s: Sequence[float],
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> list[dict[str, Any]]:
    """Each grid cell with the best time from the nearest source to its centre, its
    historical incidents, and whether it is outside each standard."""
    if len(cells) == 0:
        return []
    snap = network.snap(cells.lon, cells.lat, max_snap_m=max_snap_m)
    t = field.time_s[snap.node] + np.where(snap.too_far, np.inf, snap.walk_s)
    lo = min(standards_s)
    outlines = _outlines(cells.geometry) if cells.geometry else None
    feats = []
    for i in range(len(cells)):
        ti = float(t[i])
        props: dict[str, Any] = {
            "code": cells.code[i],
            "name": cells.name[i],
            "best_time_s": round(ti, 1) if np.isfinite(ti) else None,
            "incidents": int(cells.weight[i]),
            "within_s": next((float(s) for s in standards_s if ti <= s), None),
            "outside_standard": bool(not ti <= lo),
        }
        if snap.too_far[i]:
            props["distance_to_road_m"] = round(float(snap.distance_m[i]))
        feats.append(
            {
                "type": "Feature",
                "id": int(cells.id[i]),
                "geometry": outlines[i] if outlines is not None else None,
                "properties": props,
            }
        )
    return feats


OUTLINE_TOLERANCE_DEG = 1e-6
"""Vertices closer than this (about 0.1 m) to the line through their neighbours are left out of
the cells' outlines: the grid's cells come with their straight edges cut into many collinear
points (26 vertices where 6 draw the same hexagon)."""


def _outlines(geometry: Sequence[str | None]) -> list[dict[str, Any] | None]:
    """The cells' outlines for drawing: collinear vertices left out (shape within 0.1 m,
    topology kept), 6 decimals (0.1 m). A quarter of the bytes of the stored outlines."""
    shapes = shapely.from_geojson([g if g else "null" for g in geometry], on_invalid="ignore")
    lean = shapely.simplify(shapes, OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    return [rounded(json.loads(shapely.to_geojson(g)), 6) if g is not None else None for g in lean]


# ---------------------------------------------------------------------------- map roads
MAJOR_CLASSES = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link")
MIDDLE_CLASSES = ("secondary", "secondary_link", "tertiary", "tertiary_link")
LANE_CLASSES = ("service", "track", "pedestrian", "footway", "path", "steps", "cycleway")
"""Lanes and paths: drawn from zoom 14, as the usual street maps do (at 13 they would crowd the
streets and cost a station's map a fifth of its vertices)."""
MAX_ROAD_SEGMENTS = 60_000


def road_classes_for_zoom(zoom: float, classes: Sequence[str]) -> tuple[str, ...]:
    """Which of the network's road ``classes`` a map at ``zoom`` draws: major roads at city
    zoom, collectors from zoom 12, every street from 13, lanes and paths too from 14."""
    if zoom < 12:
        return tuple(c for c in classes if c in MAJOR_CLASSES)
    if zoom < 13:
        return tuple(c for c in classes if c in MAJOR_CLASSES + MIDDLE_CLASSES)
    if zoom < 14:
        return tuple(c for c in classes if c not in LANE_CLASSES)
    return tuple(classes)


def drawing_tolerance_deg(zoom: float) -> float:
    """How far (degrees) a drawn road may stray from its true line at ``zoom``: a quarter of a
    pixel of a 512-pixel tile at the zoom's floor, so that the map drawn from one answer stays
    exact to half a pixel until the next zoom level asks again."""
    return 360.0 / math.ldexp(512.0, math.floor(zoom)) / 4


def _merged_lines(
    lon_u: NDArray[np.float64],
    lat_u: NDArray[np.float64],
    lon_v: NDArray[np.float64],
    lat_v: NDArray[np.float64],
    tolerance_deg: float,
) -> list[list[list[float]]]:
    """Segments joined into lines where exactly two meet (GEOS line merge), then simplified by
    ``tolerance_deg`` (Douglas-Peucker) and rounded to 1e-5 degree: the same picture in about
    half the vertices and a quarter of the lines (a street of 20 segments is one line of 21
    points, or 2 when it is straight). O(k log k) in the k segments."""
    ends = np.stack([np.stack([lon_u, lat_u], axis=1), np.stack([lon_v, lat_v], axis=1)], axis=1)
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(ends)))
    parts = shapely.get_parts(merged)
    if tolerance_deg > 0:
        parts = shapely.simplify(parts, tolerance_deg, preserve_topology=False)
    xy, which = shapely.get_coordinates(parts, return_index=True)
    flat = np.round(xy, 5).tolist()
    cuts = np.flatnonzero(np.diff(which)) + 1
    bounds = [0, *cuts.tolist(), len(flat)]
    return [flat[a:b] for a, b in itertools.pairwise(bounds)]


def road_geojson(
    network: RoadNetwork,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
    max_segments: int = MAX_ROAD_SEGMENTS,
) -> dict[str, Any]:
    """The road segments inside ``bbox`` that a map at ``zoom`` draws, as one
    ``MultiLineString`` feature per road class (property ``road_class``; ``segments`` and
    ``numberReturned`` count the segments). Segments are joined into lines where two meet and
    simplified to a quarter pixel at ``zoom`` (:func:`drawing_tolerance_deg`), coordinates
    rounded to 1e-5° (about 1 m). When more than ``max_segments`` would be drawn, only the
    larger classes are kept and ``truncated`` says so.

    O(S) in the number S of undirected segments (one vectorised bounding-box test), plus
    O(k log k) for the k segments drawn.
    """
    if network.seg_u is None or network.seg_v is None or network.seg_class is None:
        u, v, cls = network.tail, network.head, network.class_code
        keep = u < v
        u, v, cls = u[keep], v[keep], cls[keep]
    else:
        u, v, cls = network.seg_u, network.seg_v, network.seg_class
    lon, lat = network.node_lon, network.node_lat
    mask = np.ones(u.size, dtype=bool)
    if bbox is not None:
        w, s, e, n = bbox
        lo_x, hi_x = np.minimum(lon[u], lon[v]), np.maximum(lon[u], lon[v])
        lo_y, hi_y = np.minimum(lat[u], lat[v]), np.maximum(lat[u], lat[v])
        mask = (hi_x >= w) & (lo_x <= e) & (hi_y >= s) & (lo_y <= n)
    names = np.asarray(network.classes, dtype=object)
    mask &= np.isin(names[cls], road_classes_for_zoom(zoom, network.classes))
    truncated = False
    if int(mask.sum()) > max_segments:
        truncated = True
        for narrower in (MAJOR_CLASSES + MIDDLE_CLASSES, MAJOR_CLASSES):
            mask &= np.isin(names[cls], narrower)
            if int(mask.sum()) <= max_segments:
                break
    idx = np.flatnonzero(mask)
    c = cls[idx]
    tolerance = drawing_tolerance_deg(zoom)
    features = []
    for code in np.unique(c).tolist():
        rows = idx[c == code]
        a, b = u[rows], v[rows]
        lines = _merged_lines(lon[a], lat[a], lon[b], lat[b], tolerance)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": lines},
                "properties": {"road_class": str(names[code]), "segments": int(rows.size)},
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberReturned": int(idx.size),
        "truncated": truncated,
    }
