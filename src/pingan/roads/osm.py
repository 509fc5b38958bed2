"""Read OpenStreetMap ways with pyosmium into segment arrays (plain numpy, no graph yet)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import osmium
from numpy.typing import NDArray

from pingan.roads.speeds import ROAD_CLASSES

__all__ = ["read_osm_ways"]

_KEEP = frozenset(ROAD_CLASSES)


def read_osm_ways(
    path: Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    names: list[tuple[str, str]] | None = None,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.str_],
    NDArray[np.bool_],
]:
    """Node lon/lat and the consecutive node pairs of every kept way with its class and
    one-way flag (reversed ways are flipped). Segments with a node outside ``bbox`` are dropped.
    When ``names`` is a list, each kept segment's way name (``name``, ``name:en``; ``""`` when
    untagged) is appended to it, in segment order.
    """
    node_index: dict[int, int] = {}
    lons: list[float] = []
    lats: list[float] = []
    us: list[int] = []
    vs: list[int] = []
    classes: list[str] = []
    ones: list[bool] = []
    seg_names: list[tuple[str, str]] = []
    fp = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if not isinstance(obj, osmium.osm.Way):
            continue
        hw = obj.tags.get("highway")
        if hw not in _KEEP or obj.tags.get("area") == "yes":
            continue
        ow = obj.tags.get("oneway", "no")
        reverse = ow == "-1"
        oneway = (
            ow in ("yes", "true", "1", "-1")
            or obj.tags.get("junction") == "roundabout"
            or hw in ("motorway", "motorway_link")
        )
        refs = []
        for n in obj.nodes:
            if not n.location.valid():
                refs.append(-1)
                continue
            k = node_index.get(n.ref)
            if k is None:
                k = node_index[n.ref] = len(lons)
                lons.append(n.location.lon)
                lats.append(n.location.lat)
            refs.append(k)
        if reverse:
            refs.reverse()
        nm = (str(obj.tags.get("name") or ""), str(obj.tags.get("name:en") or ""))
        for a, b in itertools.pairwise(refs):
            if a >= 0 and b >= 0 and a != b:
                us.append(a)
                vs.append(b)
                classes.append(hw)
                ones.append(oneway)
                seg_names.append(nm)
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    u = np.asarray(us, dtype=np.int64)
    v = np.asarray(vs, dtype=np.int64)
    rc = np.asarray(classes, dtype=str)
    one = np.asarray(ones, dtype=bool)
    if bbox is not None and u.size:
        west, south, east, north = bbox
        inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        keep = inside[u] & inside[v]
        u, v, rc, one = u[keep], v[keep], rc[keep], one[keep]
        seg_names = [nm for nm, k in zip(seg_names, keep.tolist(), strict=True) if k]
    if names is not None:
        names.extend(seg_names)
    return lon, lat, u, v, rc, one
