"""The 1/3/5-minute areas as map layers: precomputed, simplified for drawing, kept on disk.

The page ``/coverage`` and the OGC collection ``coverage-isochrones`` draw the areas reached from
today's posts within each standard. Computing them (a Dijkstra field from every post and the
raster outline of :func:`pingan.coverage.isochrones`) takes about a second a layer set, and the
raster outline of the 5-minute area is about 1 MB of GeoJSON, most of it the holes between
blocks. So:

* **What is drawn is simplified** (:func:`drawing`), in metres in the network's projection:
  holes smaller than :data:`HOLE_MIN_M2` are filled (the gaps between blocks that the roadside
  band does not reach; a real gap, a park or a lake, is larger), the rings are simplified by
  :data:`SIMPLIFY_M` keeping their topology (Douglas-Peucker that never lets a ring cross
  itself or another), and the coordinates are snapped to a grid of :data:`QUANTUM_DEG` degrees
  (about 1 m; the snap keeps the polygon valid) and written with 5 decimals. When a layer is
  still over :data:`MAX_LAYER_BYTES`, both thresholds are doubled until it fits (at most
  :data:`MAX_COARSEN` times); each feature says the values used (``simplified_m``,
  ``holes_filled_below_m2``).
* **The figures are the raster's**: ``area_km2`` is the area of the unsimplified outline, and
  the coverage report's shares (key areas, premises, cells, incidents) read the travel-time
  field at the points themselves; neither reads the drawing.
* **The layers are kept on disk** (:class:`LayerStore`, ``<data_dir>/coverage-layers``) under a
  key of everything they depend on (:func:`layer_key`): the posts' positions, the road
  network file, the mode, the speeds of the time slot (the 96 quarter-hours share a few speed
  regimes: free flow, the peaks, the night; walking has one), the standards and the sources.
  A post moved or added, or a new road network, is a new key: the scheduled job
  ``coverage_layers`` (every five minutes, and at the demo build) computes the bureau's layers
  of every mode and regime whose key is missing (:func:`precompute`); a page asking before it
  has run computes the one layer set and stores it. Every process reads the same files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from pingan.coverage import isochrones
from pingan.roads import RoadNetwork

__all__ = [
    "HOLE_MIN_M2",
    "MAX_LAYER_BYTES",
    "PAGE_MODES",
    "QUANTUM_DEG",
    "SIMPLIFY_M",
    "STORE_DIR",
    "LayerStore",
    "drawing",
    "isochrone_layers",
    "layer_key",
    "regime_times",
    "rounded",
    "speed_regime",
]

HOLE_MIN_M2 = 20_000.0
"""Holes in a drawn area smaller than this (2 ha, two city blocks) are filled."""
SIMPLIFY_M = 20.0
"""Douglas-Peucker tolerance of the drawn rings, in metres (the raster cells are 25 m)."""
QUANTUM_DEG = 1e-5
"""Coordinates of the drawing are snapped to this grid (about 1.1 m north-south)."""
MAX_LAYER_BYTES = 200_000
"""The most one drawn layer (one standard) may weigh as compact GeoJSON."""
MAX_COARSEN = 8
"""How many times the thresholds may be doubled to bring a layer under the bound."""
STORE_DIR = "coverage-layers"
"""The folder under the data directory that keeps the layers."""
STORE_VERSION = 2
"""Part of every key: a change to how layers are drawn makes the kept ones stale."""
STORE_MAX_FILES = 512
PAGE_MODES = ("car", "motorcycle", "foot")
"""The travel modes the page offers (the layers precomputed for each)."""


# ---------------------------------------------------------------------------- drawing
def rounded(obj: Any, ndigits: int = 5) -> Any:
    """``obj`` (GeoJSON coordinates: nested lists of numbers) with every float rounded to
    ``ndigits`` decimals."""
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, list | tuple):
        return [rounded(o, ndigits) for o in obj]
    if isinstance(obj, dict):
        return {k: rounded(v, ndigits) for k, v in obj.items()}
    return obj


def _fill_small_holes(geom: shapely.Geometry, min_area_m2: float) -> shapely.Geometry:
    parts = shapely.get_parts(geom)
    kept = []
    for p in parts:
        if not isinstance(p, shapely.Polygon) or p.is_empty:
            continue
        holes = [r for r in p.interiors if shapely.Polygon(r).area >= min_area_m2]
        kept.append(shapely.Polygon(p.exterior, holes))
    if not kept:
        return shapely.Polygon()
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def _size(geometry: dict[str, Any] | None) -> int:
    return len(json.dumps(geometry, separators=(",", ":")))


def drawing(
    area: shapely.Geometry,
    projection: Any,
    *,
    hole_min_m2: float = HOLE_MIN_M2,
    simplify_m: float = SIMPLIFY_M,
    max_bytes: int = MAX_LAYER_BYTES,
) -> tuple[dict[str, Any] | None, float, float]:
    """The GeoJSON geometry that draws ``area`` (WGS-84), simplified in metres by
    ``projection`` (``forward``/``inverse`` between lon/lat and metres): small holes filled,
    rings simplified keeping their topology, coordinates snapped to :data:`QUANTUM_DEG` (the
    result is a valid polygon). Coarsened by doubling both thresholds while over
    ``max_bytes``. Answers (geometry, tolerance used, hole threshold used); geometry ``None``
    for an empty area. O(V log V) per attempt for V vertices."""
    if area.is_empty:
        return None, simplify_m, hole_min_m2

    def fwd(c: Any) -> Any:
        x, y = projection.forward(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    def inv(c: Any) -> Any:
        lon, lat = projection.inverse(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])

    metric = shapely.transform(area, fwd)
    geometry: dict[str, Any] | None = None
    for _ in range(MAX_COARSEN + 1):
        g = _fill_small_holes(metric, hole_min_m2)
        g = shapely.simplify(g, simplify_m, preserve_topology=True)
        g = shapely.set_precision(shapely.transform(g, inv), QUANTUM_DEG)
        g = shapely.orient_polygons(g)  # RFC 7946 winding, as the OGC collections serve it
        geometry = None if g.is_empty else rounded(json.loads(shapely.to_geojson(g)))
        if _size(geometry) <= max_bytes:
            break
        simplify_m *= 2
        hole_min_m2 *= 2
    return geometry, simplify_m, hole_min_m2


def isochrone_layers(
    network: RoadNetwork,
    time_s: Any,
    standards_s: Sequence[float],
    *,
    mode: str,
    at: dt.time | None,
    sources: int,
) -> list[dict[str, Any]]:
    """One feature per standard (largest first, so smaller ones draw on top) from the travel
    times ``time_s`` of every node: the drawing (:func:`drawing`) with the raster's area."""
    polys = isochrones(network, time_s, list(standards_s), mode=mode, at=at)
    proj = network.projection
    feats = []

    def fwd(c: Any) -> Any:
        x, y = proj.forward(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    for s, poly in sorted(zip(standards_s, polys, strict=True), key=lambda p: -p[0]):
        area = 0.0 if poly.is_empty else float(shapely.area(shapely.transform(poly, fwd))) / 1e6
        geom, tol, holes = drawing(poly, proj)
        feats.append(
            {
                "type": "Feature",
                "id": int(s),
                "geometry": geom,
                "properties": {
                    "standard_s": float(s),
                    "minutes": round(float(s) / 60.0, 2),
                    "mode": mode,
                    "at": at.strftime("%H:%M") if at else None,
                    "area_km2": round(area, 3),
                    "sources": sources,
                    "simplified_m": tol,
                    "holes_filled_below_m2": holes,
                },
            }
        )
    return feats


# ---------------------------------------------------------------------------- keys
def speed_regime(network: RoadNetwork, mode: str, at: dt.time | None) -> tuple[float, ...] | str:
    """The speeds of every road class for ``mode`` at ``at`` (``"given"`` for a network of
    given edge times): two times with the same regime have the same travel times."""
    if network.given_time_s is not None:
        return "given"
    return tuple(network.profile.speed_kph(mode, c, at) for c in network.classes)


def regime_times(network: RoadNetwork, mode: str) -> list[dt.time]:
    """One time of day per speed regime of ``mode`` among the 96 quarter-hours the page
    offers (the first quarter of each): the times whose layers differ."""
    seen: dict[Any, dt.time] = {}
    for q in range(96):
        at = dt.time(q // 4, (q % 4) * 15)
        seen.setdefault(speed_regime(network, mode, at), at)
    return list(seen.values())


_FINGERPRINTS: dict[tuple[str, int, int], str] = {}
_FINGERPRINT_LOCK = threading.Lock()


def file_fingerprint(path: Path) -> str:
    """The SHA-256 of ``path``'s bytes, computed once per process for each (path, size,
    modification time): a copied or restored data folder keeps its keys. O(file) the first
    time (5.6 MB of the demo's roads: ~15 ms), O(1) after."""
    st = path.stat()
    mark = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _FINGERPRINT_LOCK:
        known = _FINGERPRINTS.get(mark)
    if known is not None:
        return known
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    with _FINGERPRINT_LOCK:
        _FINGERPRINTS[mark] = h.hexdigest()
    return h.hexdigest()


def layer_key(
    network: RoadNetwork,
    network_file: Path,
    lon: Any,
    lat: Any,
    *,
    mode: str,
    at: dt.time | None,
    standards_s: Sequence[float],
    sources: str,
) -> str:
    """The key of a layer set: a hash of the sources' positions, the network file's content
    (:func:`file_fingerprint`: the same roads give the same key wherever the folder is), the
    mode's speeds at ``at``, the standards and the kind of sources. O(sources + road
    classes) once the file's fingerprint is known."""
    roads = file_fingerprint(network_file)
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(lon, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(lat, dtype=np.float64).tobytes())
    h.update(
        repr(
            (
                STORE_VERSION,
                roads,
                network.n_nodes,
                mode,
                speed_regime(network, mode, at),
                tuple(float(s) for s in standards_s),
                sources,
            )
        ).encode()
    )
    return h.hexdigest()


# ---------------------------------------------------------------------------- store
class LayerStore:
    """Layer sets as JSON files ``<folder>/<key>.json``, written atomically (a reader sees the
    whole file or none); at most :data:`STORE_MAX_FILES` kept (the oldest go first)."""

    _lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def beside(cls, data_dir: Path) -> LayerStore:
        """The store in ``data_dir`` (the folder of the database and the road network)."""
        return cls(Path(data_dir) / STORE_DIR)

    def path(self, key: str) -> Path:
        """Where the layer set ``key`` is kept."""
        return self.folder / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether ``key`` is kept."""
        return self.path(key).is_file()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The layer set kept under ``key``, or ``None``."""
        try:
            text = self.path(key).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            feats = json.loads(text)
        except ValueError:  # a damaged file: computed again
            return None
        return feats if isinstance(feats, list) else None

    def put(self, key: str, feats: list[dict[str, Any]]) -> None:
        """Keep ``feats`` under ``key`` (replacing what was there)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(feats, separators=(",", ":"), ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, self.path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._prune()

    def _prune(self) -> None:
        with self._lock:
            files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
            for p in files[: max(0, len(files) - STORE_MAX_FILES)]:
                p.unlink(missing_ok=True)
