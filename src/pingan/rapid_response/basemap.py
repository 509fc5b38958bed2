"""The base map's street names: the bureau's own roads merged into one line per street (and
per connected stretch of it), simplified for the zoom, for the map's name labels. Served by
pingan from the road network beside the database; never an outside tile server.

The merged lines are built once per loaded network (shapely ``line_merge`` over the segments
of each name, O(S log S) for S named segments) and kept beside it; a request then picks the
lines in its bounding box (one vectorised bounds test, O(L) for L lines) and simplifies them.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from pingan.roads import RoadNetwork

__all__ = ["StreetLines", "street_label_geojson", "street_lines"]

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
