"""The road network as compact arrays: directed edges sorted by tail (CSR), per-edge length and
class, and travel times derived per mode and time of day.

Build it from plain arrays (:meth:`RoadNetwork.from_edges`, for checking against networkx), from
classified segments (:meth:`RoadNetwork.from_classified_edges`, what the demo generator makes) or
from OpenStreetMap (:meth:`RoadNetwork.from_osm`); save and load it as one ``.npz`` (no pickle),
which loads in milliseconds.

Modes: vehicles (car, motorcycle) follow one-way rules; foot ignores them and may use footways.
Turn costs are not modelled. Parallel edges keep the fastest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from pingan.geo.crs import LocalProjection, haversine_m
from pingan.roads.speeds import DEFAULT_PROFILE, MODES, ROAD_CLASSES, SpeedProfile

__all__ = ["RoadNetwork", "Snap"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
FOOT_ONLY = frozenset({"pedestrian", "footway", "path", "steps", "cycleway"})
_GIVEN = "given"  # from_edges: one travel time per edge for every mode


def _street_names(
    name_zh: ArrayLike | None, name_en: ArrayLike | None, n: int
) -> tuple[NDArray[np.int32] | None, tuple[str, ...], tuple[str, ...]]:
    """Each segment's index into the distinct (zh, en) street names; -1 for unnamed. O(n log n)."""
    if name_zh is None and name_en is None:
        return None, (), ()
    zh = np.asarray(name_zh if name_zh is not None else [""] * n).astype(str)
    en = np.asarray(name_en if name_en is not None else zh).astype(str)
    if zh.shape != (n,) or en.shape != (n,):
        raise ValueError(f"name_zh, name_en: must have one name per segment ({n})")
    en = np.where(en == "", zh, en)
    zh = np.where(zh == "", en, zh)
    pairs = np.char.add(np.char.add(zh, "\x1f"), en)
    uniq, inv = np.unique(pairs, return_inverse=True)
    idx = inv.astype(np.int32)
    named = zh != ""
    idx[~named] = -1
    keep = np.unique(idx[named])
    remap = np.full(uniq.size, -1, dtype=np.int32)
    remap[keep] = np.arange(keep.size, dtype=np.int32)
    idx[named] = remap[idx[named]]
    parts = [str(x).split("\x1f") for x in uniq[keep].tolist()]
    return idx, tuple(a for a, _ in parts), tuple(b for _, b in parts)


@dataclass(frozen=True)
class Snap:
    """Points snapped to the network: nearest node, distance to it and the walk time there."""

    node: I64
    distance_m: F64
    walk_s: F64
    too_far: NDArray[np.bool_]


@dataclass(eq=False)
class RoadNetwork:
    """A directed road graph in CSR order (edges sorted by ``tail``).

    Attributes: ``node_lon``/``node_lat`` (WGS-84), ``tail``/``head`` (int32 node indices),
    ``length_m``, ``class_code`` (index into ``classes``), ``vehicle_ok`` (False for the reverse
    direction of one-way streets and for foot-only paths), ``given_time_s`` (from ``from_edges``)
    and ``indptr`` (CSR row pointer). ``seg_u``/``seg_v``/``seg_class`` hold the undirected
    segments for drawing, ``seg_name`` each segment's street name (an index into ``names_zh``
    and ``names_en``, -1 for an unnamed one) for the map's labels.
    """

    node_lon: F64
    node_lat: F64
    tail: NDArray[np.int32]
    head: NDArray[np.int32]
    length_m: F64
    class_code: NDArray[np.int16]
    vehicle_ok: NDArray[np.bool_]
    classes: tuple[str, ...]
    given_time_s: F64 | None = None
    profile: SpeedProfile = field(default_factory=lambda: DEFAULT_PROFILE)
    seg_u: NDArray[np.int32] | None = None
    seg_v: NDArray[np.int32] | None = None
    seg_class: NDArray[np.int16] | None = None
    seg_name: NDArray[np.int32] | None = None
    names_zh: tuple[str, ...] = ()
    names_en: tuple[str, ...] = ()
    _cache: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        order = np.lexsort((self.head, self.tail))
        if not np.all(order == np.arange(order.size)):
            for name in ("tail", "head", "length_m", "class_code", "vehicle_ok"):
                setattr(self, name, getattr(self, name)[order])
            if self.given_time_s is not None:
                self.given_time_s = self.given_time_s[order]
        self.indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.tail, minlength=self.n_nodes), out=self.indptr[1:])
        self._proj: LocalProjection | None = None
        self._tree: Any = None

    # ------------------------------------------------------------------ constructors
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_lon.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.tail.size)

    @classmethod
    def from_edges(
        cls,
        tail: ArrayLike,
        head: ArrayLike,
        travel_time_s: ArrayLike,
        *,
        node_lon: ArrayLike,
        node_lat: ArrayLike,
        length_m: ArrayLike | None = None,
    ) -> RoadNetwork:
        """A network from directed edges with one travel time each (used for every mode)."""
        t = np.asarray(tail, dtype=np.int64)
        h = np.asarray(head, dtype=np.int64)
        w = np.asarray(travel_time_s, dtype=np.float64)
        lon = np.asarray(node_lon, dtype=np.float64)
        lat = np.asarray(node_lat, dtype=np.float64)
        if not (t.shape == h.shape == w.shape) or t.ndim != 1:
            raise ValueError("tail, head, travel_time_s: must be 1-D arrays of the same length")
        if lon.shape != lat.shape:
            raise ValueError("node_lon, node_lat: must have the same length")
        n = lon.size
        if t.size and (t.min() < 0 or h.min() < 0 or t.max() >= n or h.max() >= n):
            raise ValueError(f"tail, head: node indices must be in [0, {n})")
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("travel_time_s: must be finite and >= 0")
        length = (
            np.asarray(length_m, dtype=np.float64)
            if length_m is not None
            else haversine_m(lon[t], lat[t], lon[h], lat[h])
        )
        return cls(
            lon,
            lat,
            t.astype(np.int32),
            h.astype(np.int32),
            length,
            np.zeros(t.size, np.int16),
            np.ones(t.size, bool),
            (_GIVEN,),
            given_time_s=w,
        )

    @classmethod
    def from_classified_edges(
        cls,
        u: ArrayLike,
        v: ArrayLike,
        *,
        road_class: ArrayLike,
        length_m: ArrayLike,
        node_lon: ArrayLike,
        node_lat: ArrayLike,
        oneway: ArrayLike,
        profile: SpeedProfile | None = None,
        name_zh: ArrayLike | None = None,
        name_en: ArrayLike | None = None,
    ) -> RoadNetwork:
        """A network from undirected road segments with OSM classes; ``oneway`` means vehicles
        may only go ``u → v`` (pedestrians go both ways). ``name_zh``/``name_en`` (optional, one
        per segment, ``""`` for none) are the street names the map labels."""
        uu = np.asarray(u, dtype=np.int64)
        vv = np.asarray(v, dtype=np.int64)
        cls_names = np.asarray(road_class).astype(str)
        length = np.asarray(length_m, dtype=np.float64)
        one = np.asarray(oneway, dtype=bool)
        lon = np.asarray(node_lon, dtype=np.float64)
        lat = np.asarray(node_lat, dtype=np.float64)
        if not (uu.shape == vv.shape == cls_names.shape == length.shape == one.shape):
            raise ValueError("u, v, road_class, length_m, oneway: must have the same length")
        if uu.size == 0:
            raise ValueError("u: no road segments")
        known = list(ROAD_CLASSES)
        extra = sorted(set(np.unique(cls_names).tolist()) - set(known))
        classes = tuple(known + extra)
        lut = {c: i for i, c in enumerate(classes)}
        code = np.array([lut[c] for c in cls_names.tolist()], dtype=np.int16)
        foot_only = np.isin(cls_names, list(FOOT_ONLY))
        tail = np.concatenate([uu, vv])
        head = np.concatenate([vv, uu])
        veh = np.concatenate([~foot_only, ~foot_only & ~one])
        seg_name, names_zh, names_en = _street_names(name_zh, name_en, uu.size)
        net = cls(
            lon,
            lat,
            tail.astype(np.int32),
            head.astype(np.int32),
            np.concatenate([length, length]),
            np.concatenate([code, code]),
            veh,
            classes,
            profile=profile or DEFAULT_PROFILE,
            seg_u=uu.astype(np.int32),
            seg_v=vv.astype(np.int32),
            seg_class=code,
            seg_name=seg_name,
            names_zh=names_zh,
            names_en=names_en,
        )
        return net

    @classmethod
    def from_osm(
        cls,
        path: str | Path,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        profile: SpeedProfile | None = None,
    ) -> RoadNetwork:
        """Read drivable and walkable ways (``highway=*``) of an .osm.pbf/.osm/.osm.bz2 file.

        Every way node becomes a graph node (then unused nodes are dropped); ``oneway=yes``,
        ``-1`` and roundabouts are honoured for vehicles. O(file size).
        """
        from pingan.roads.osm import read_osm_ways

        p = Path(path)
        if not p.is_file():
            raise ValueError(f"path: file not found: {p}")
        names: list[tuple[str, str]] = []
        lon, lat, u, v, rc, one = read_osm_ways(p, bbox=bbox, names=names)
        if u.size == 0:
            raise ValueError(
                f"path: {p.name} has no roads (no ways with a known highway tag"
                + (" inside the bbox)" if bbox else ")")
            )
        used = np.unique(np.concatenate([u, v]))
        remap = np.full(lon.size, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        length = haversine_m(lon[u], lat[u], lon[v], lat[v])
        return cls.from_classified_edges(
            remap[u],
            remap[v],
            road_class=rc,
            length_m=length,
            node_lon=lon[used],
            node_lat=lat[used],
            oneway=one,
            profile=profile,
            name_zh=[a for a, _ in names],
            name_en=[b for _, b in names],
        )

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> None:
        """Write the arrays to one ``.npz`` (no pickle)."""
        arrays: dict[str, Any] = {
            "node_lon": self.node_lon,
            "node_lat": self.node_lat,
            "tail": self.tail,
            "head": self.head,
            "length_m": self.length_m,
            "class_code": self.class_code,
            "vehicle_ok": self.vehicle_ok,
            "classes": np.array(self.classes, dtype=str),
        }
        if self.given_time_s is not None:
            arrays["given_time_s"] = self.given_time_s
        if self.seg_u is not None and self.seg_v is not None and self.seg_class is not None:
            arrays |= {"seg_u": self.seg_u, "seg_v": self.seg_v, "seg_class": self.seg_class}
        if self.seg_name is not None:
            arrays |= {
                "seg_name": self.seg_name,
                "names_zh": np.array(self.names_zh, dtype=str),
                "names_en": np.array(self.names_en, dtype=str),
            }
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | Path, *, profile: SpeedProfile | None = None) -> RoadNetwork:
        """Read a network written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
        return cls(
            d["node_lon"],
            d["node_lat"],
            d["tail"],
            d["head"],
            d["length_m"],
            d["class_code"],
            d["vehicle_ok"],
            tuple(d["classes"].tolist()),
            given_time_s=d.get("given_time_s"),
            profile=profile or DEFAULT_PROFILE,
            seg_u=d.get("seg_u"),
            seg_v=d.get("seg_v"),
            seg_class=d.get("seg_class"),
            seg_name=d.get("seg_name"),
            names_zh=tuple(d["names_zh"].tolist()) if "names_zh" in d else (),
            names_en=tuple(d["names_en"].tolist()) if "names_en" in d else (),
        )

    # ------------------------------------------------------------------ travel times
    def edge_times(self, mode: str = "car", at: dt.time | None = None) -> F64:
        """Travel time in seconds of every directed edge for ``mode`` at ``at`` (inf where the
        mode may not go). O(E)."""
        if self.given_time_s is not None:
            return self.given_time_s
        if mode not in MODES:
            raise ValueError(f"mode: {mode!r}; use one of {', '.join(MODES)}")
        speed = np.array([self.profile.speed_kph(mode, c, at) for c in self.classes])
        kph = speed[self.class_code]
        if mode != "foot":
            kph = np.where(self.vehicle_ok, kph, 0.0)
        with np.errstate(divide="ignore"):
            t = np.where(kph > 0, self.length_m / (kph / 3.6), np.inf)
        return np.maximum(t, 1e-6)  # csgraph would drop explicit zeros

    def _bucket(self, at: dt.time | None) -> int:
        return -1 if at is None else at.hour * 4 + at.minute // 15

    def graph(
        self, mode: str = "car", at: dt.time | None = None, *, reverse: bool = False
    ) -> sp.csr_matrix:
        """The (cached) sparse adjacency of travel times; ``reverse`` flips every edge."""
        key = (
            (mode if self.given_time_s is None else _GIVEN) + (":r" if reverse else ""),
            self._bucket(at),
        )
        g = self._cache.get(key)
        if g is None:
            w = self.edge_times(mode, at)
            ok = np.isfinite(w)
            t, h = (self.head, self.tail) if reverse else (self.tail, self.head)
            t, h, w = t[ok], h[ok], w[ok]
            order = np.lexsort((w, h, t))  # keep the fastest of parallel edges
            t, h, w = t[order], h[order], w[order]
            first = np.ones(t.size, dtype=bool)
            first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
            n = self.n_nodes
            g = sp.csr_matrix((w[first], (t[first], h[first])), shape=(n, n))
            g.sort_indices()
            self._cache[key] = g
        return g

    # ------------------------------------------------------------------ snapping
    @property
    def projection(self) -> LocalProjection:
        """A metric projection centred on the network."""
        if self._proj is None:
            self._proj = LocalProjection.around(self.node_lon, self.node_lat)
        return self._proj

    def snap(
        self, lon: ArrayLike, lat: ArrayLike, *, max_snap_m: float = 500.0, walk_kph: float = 5.0
    ) -> Snap:
        """Snap points to their nearest node (cKDTree in metres, vectorised): the distance
        is walked at ``walk_kph``. Points farther than ``max_snap_m`` are flagged in
        ``too_far`` with their distance, never silently snapped across a river. O(n log N)."""
        from scipy.spatial import cKDTree

        if max_snap_m <= 0:
            raise ValueError(f"max_snap_m: must be > 0, got {max_snap_m}")
        if self._tree is None:
            x, y = self.projection.forward(self.node_lon, self.node_lat)
            self._tree = cKDTree(np.column_stack([x, y]))
        px, py = self.projection.forward(
            np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        )
        d, idx = self._tree.query(np.column_stack([px, py]))
        return Snap(
            np.asarray(idx, dtype=np.int64),
            np.asarray(d, dtype=float),
            np.asarray(d, dtype=float) / (walk_kph / 3.6),
            np.asarray(d, dtype=float) > max_snap_m,
        )
