"""The base map's lean layers, served by pingan itself (never an outside tile server).

* Street names: the bureau's own roads merged into one line per street (and per connected
  stretch of it), simplified for the zoom, for the map's name labels. The merged lines are
  built once per loaded network (shapely ``line_merge`` over the segments of each name,
  O(S log S) for S named segments) and kept beside it; a request then picks the lines in its
  bounding box (one vectorised bounds test, O(L) for L lines) and simplifies them.
* Areas (districts, stations, communities, grid cells, key areas) for drawing: polygons
  simplified in metres (Douglas-Peucker with a 1 m tolerance in a local equirectangular
  projection, topology kept), coordinates rounded to 1e-5 degree (about 1 m), and only the
  properties the map draws. The demo city's boundaries follow its grid, so most of their
  vertices are collinear: a station layer of 9,786 vertices keeps 298 (401 kB → 13 kB).
  O(V) for V vertices.
* Points (the incidents of the last hours) as compact features: id, position to 1e-5 degree
  and the few properties the map styles by.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from pingan.roads import RoadNetwork

__all__ = [
    "AREA_TOLERANCE_M",
    "StreetLines",
    "lean_areas",
    "lean_points",
    "street_label_geojson",
    "street_lines",
]

AREA_TOLERANCE_M = 1.0
"""How far a simplified boundary may stray from the stored one (metres): about the
precision of the rounded coordinates, less than a pixel at every zoom the maps use."""
_DIGITS = 5  # 1e-5 degree: 1.1 m north-south, 1.0 m east-west at 25°N
_M_PER_DEG = 111_320.0

# at zoom z a street is labelled when its class is in the first n classes of this order
_RANK = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "service",
)


def _min_rank_for_zoom(zoom: float) -> int:
    """The largest class rank labelled at ``zoom``: major roads from 12, collectors from 13.5,
    every street from 15."""
    if zoom < 12:
        return 2
    if zoom < 13.5:
        return 3
    if zoom < 15:
        return 5
    return len(_RANK)


@dataclass(frozen=True)
class StreetLines:
    """One line per connected stretch of a named street: geometry, name index, class rank and
    bounds (W, S, E, N arrays)."""

    lines: NDArray[np.object_]
    name: NDArray[np.int64]
    rank: NDArray[np.int64]
    bounds: NDArray[np.float64]
    length_deg: NDArray[np.float64]


_lock = threading.Lock()
_built: weakref.WeakKeyDictionary[RoadNetwork, StreetLines] = weakref.WeakKeyDictionary()


def street_lines(network: RoadNetwork) -> StreetLines:
    """The network's named streets merged into lines (built once per network, then kept)."""
    with _lock:
        hit = _built.get(network)
    if hit is not None:
        return hit
    out = _build(network)
    with _lock:
        _built[network] = out
    return out


def _build(network: RoadNetwork) -> StreetLines:
    empty = StreetLines(
        np.empty(0, dtype=object),
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty((0, 4)),
        np.empty(0),
    )
    if network.seg_name is None or network.seg_u is None or network.seg_v is None:
        return empty
    assert network.seg_class is not None
    named = np.flatnonzero(network.seg_name >= 0)
    if named.size == 0:
        return empty
    u, v = network.seg_u[named], network.seg_v[named]
    name = network.seg_name[named].astype(np.int64)
    lon, lat = network.node_lon, network.node_lat
    coords = np.stack(
        [np.column_stack([lon[u], lat[u]]), np.column_stack([lon[v], lat[v]])], axis=1
    )
    segs = shapely.linestrings(coords)
    order = np.argsort(name, kind="stable")
    uniq = np.unique(name)
    multi = shapely.multilinestrings(segs[order], indices=np.searchsorted(uniq, name[order]))
    merged = shapely.line_merge(multi)
    parts, which = shapely.get_parts(merged, return_index=True)
    rank_of_class = {c: i for i, c in enumerate(_RANK)}
    cls_rank = np.array(
        [rank_of_class.get(c.removesuffix("_link"), len(_RANK)) for c in network.classes]
    )
    seg_rank = cls_rank[network.seg_class[named]]
    best = np.full(uniq.size, len(_RANK), dtype=np.int64)
    np.minimum.at(best, np.searchsorted(uniq, name), seg_rank)
    return StreetLines(
        parts,
        uniq[which],
        best[which],
        shapely.bounds(parts),
        shapely.length(parts),
    )


def street_label_geojson(
    network: RoadNetwork,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: float,
    lang: str = "zh-CN",
    max_lines: int = 4000,
) -> dict[str, Any]:
    """The named streets inside ``bbox`` that a map at ``zoom`` labels, as LineStrings with
    ``name`` (in ``lang``, Chinese when the street has no English name) and ``rank`` (0 for a
    motorway, larger for smaller streets), simplified to about a pixel and without stretches
    too short to carry their name. The longest first; at most ``max_lines``."""
    st = street_lines(network)
    keep = st.rank <= _min_rank_for_zoom(zoom)
    if bbox is not None:
        w, s, e, n = bbox
        b = st.bounds
        keep &= (b[:, 2] >= w) & (b[:, 0] <= e) & (b[:, 3] >= s) & (b[:, 1] <= n)
    deg_per_px = 360.0 / (512.0 * 2.0**zoom)
    keep &= st.length_deg >= 40 * deg_per_px  # room for a short name
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(-st.length_deg[idx], kind="stable")][:max_lines]
    names = network.names_en if lang == "en" else network.names_zh
    lines = shapely.simplify(st.lines[idx], deg_per_px, preserve_topology=False)
    feats = []
    for i, geom in zip(idx.tolist(), lines.tolist(), strict=True):
        xy = np.round(shapely.get_coordinates(geom), 5)
        if len(xy) < 2:
            continue
        k = int(st.name[i])
        label = names[k] or network.names_zh[k]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": xy.tolist()},
                "properties": {"name": label, "rank": int(st.rank[i])},
            }
        )
    return {"type": "FeatureCollection", "features": feats, "numberReturned": len(feats)}


def lean_areas(
    rows: Sequence[tuple[int, str, dict[str, Any]]],
    *,
    tolerance_m: float = AREA_TOLERANCE_M,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """A FeatureCollection of ``rows`` (``(id, GeoJSON geometry text, properties)``) for
    drawing: each polygon simplified by ``tolerance_m`` metres (in a local equirectangular
    projection at the layer's mean latitude; topology kept, so a polygon stays a polygon),
    coordinates rounded to 1e-5 degree, and the collection's ``bbox`` (W, S, E, N of every
    row, for fitting a map's first view). With ``bbox``, only the areas whose bounds meet it.

    O(V) for V vertices in all. Raises ``ValueError`` for a negative tolerance.
    """
    if tolerance_m < 0:
        raise ValueError(f"tolerance_m: expected >= 0 metres, got {tolerance_m}")
    keep = [(i, g, p) for i, g, p in rows if g]
    if not keep:
        return {"type": "FeatureCollection", "features": [], "numberReturned": 0}
    geoms = shapely.from_geojson([g for _, g, _ in keep])
    bounds = shapely.bounds(geoms)
    if bbox is not None:
        w, s, e, n = bbox
        hit = (bounds[:, 2] >= w) & (bounds[:, 0] <= e) & (bounds[:, 3] >= s) & (bounds[:, 1] <= n)
        idx = np.flatnonzero(hit)
        keep, geoms, bounds = [keep[i] for i in idx], geoms[idx], bounds[idx]
    if not keep:
        return {"type": "FeatureCollection", "features": [], "numberReturned": 0}
    lat0 = float(np.mean((bounds[:, 1] + bounds[:, 3]) / 2))
    scale = np.array([_M_PER_DEG * np.cos(np.radians(lat0)), _M_PER_DEG])
    metres = shapely.transform(geoms, lambda xy: xy * scale)
    if tolerance_m > 0:
        metres = shapely.simplify(metres, tolerance_m, preserve_topology=True)
    lean = shapely.transform(metres, lambda xy: np.round(xy / scale, _DIGITS))
    texts = shapely.to_geojson(lean)
    feats = [
        {"type": "Feature", "id": i, "geometry": json.loads(text), "properties": props}
        for (i, _, props), text in zip(keep, texts.tolist(), strict=True)
    ]
    box = [
        round(float(bounds[:, 0].min()), _DIGITS),
        round(float(bounds[:, 1].min()), _DIGITS),
        round(float(bounds[:, 2].max()), _DIGITS),
        round(float(bounds[:, 3].max()), _DIGITS),
    ]
    n = len(feats)
    return {"type": "FeatureCollection", "bbox": box, "features": feats, "numberReturned": n}


def lean_points(
    ids: Sequence[int],
    lon: Sequence[float],
    lat: Sequence[float],
    properties: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """A FeatureCollection of points with their ``id``, the position rounded to 1e-5 degree
    (about 1 m) and ``properties`` as given (the caller keeps only what the map styles by).
    O(N)."""
    xy = np.round(np.column_stack([np.asarray(lon, float), np.asarray(lat, float)]), _DIGITS)
    feats = [
        {
            "type": "Feature",
            "id": int(i),
            "geometry": {"type": "Point", "coordinates": c},
            "properties": p,
        }
        for i, c, p in zip(ids, xy.tolist(), properties, strict=True)
    ]
    return {"type": "FeatureCollection", "features": feats, "numberReturned": len(feats)}
