"""Roads from a real OpenStreetMap extract, mapped onto the demo's classes."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pingan.demo.city.common import _C, F64, I64, ROAD_CLASSES, BoolA
from pingan.demo.city.frame import _Frame

_OSM_MAP: Final[dict[str, str]] = {
    **{c: c for c in ROAD_CLASSES},
    "unclassified": "residential",
    "road": "residential",
    "pedestrian": "footway",
    "path": "footway",
    "steps": "footway",
    "cycleway": "footway",
    "track": "service",
    "bridleway": "footway",
    "corridor": "footway",
}


def _osm_roads(
    path: str | Path, bbox: tuple[float, float, float, float], frame: _Frame
) -> tuple[F64, F64, I64, I64, I64, BoolA, BoolA, list[tuple[str, str]], I64]:
    import osmium

    p = Path(path)
    if not p.exists():
        raise ValueError(f"osm_path: {str(p)!r} does not exist")
    w, s, e, n = bbox
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    eu: list[int] = []
    ev: list[int] = []
    ecls: list[int] = []
    eow: list[bool] = []
    ebr: list[bool] = []
    ename: list[int] = []
    names: list[tuple[str, str]] = [("", "")]
    name_ix: dict[tuple[str, str], int] = {("", ""): 0}
    fp = (
        osmium.FileProcessor(str(p))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in fp:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = {str(t.k): str(t.v) for t in obj.tags}
        hw = tags.get("highway", "")
        cname = _OSM_MAP.get(hw)
        if cname is None:
            continue
        ow_tag = tags.get("oneway", "no")
        oneway = ow_tag in ("yes", "1", "true") or (hw == "motorway" and ow_tag != "no")
        rev = ow_tag == "-1"
        is_br = tags.get("bridge", "no") not in ("no", "")
        zh = tags.get("name:zh", tags.get("name", ""))
        en = tags.get("name:en", tags.get("name", ""))
        key = (zh, en)
        if key not in name_ix:
            name_ix[key] = len(names)
            names.append(key)
        ni = name_ix[key]
        prev = -1
        for nd in obj.nodes:
            loc = nd.location
            if not loc.valid() or not (w <= loc.lon <= e and s <= loc.lat <= n):
                prev = -1
                continue
            ids.append(nd.ref)
            lons.append(loc.lon)
            lats.append(loc.lat)
            cur = len(ids) - 1
            if prev >= 0:
                a, b = (cur, prev) if rev else (prev, cur)
                eu.append(a)
                ev.append(b)
                ecls.append(_C[cname])
                eow.append(oneway or rev)
                ebr.append(is_br)
                ename.append(ni)
            prev = cur
    if not eu:
        raise ValueError(f"bbox: no highway ways of {str(p)!r} fall inside {bbox}")
    ida = np.array(ids, dtype=np.int64)
    uniq, first, inv = np.unique(ida, return_index=True, return_inverse=True)
    lon = np.array(lons)[first]
    lat = np.array(lats)[first]
    u = inv[np.array(eu)]
    v = inv[np.array(ev)]
    x, y = frame.proj.forward(lon, lat)
    cls = np.array(ecls, dtype=np.int64)
    owa = np.array(eow, dtype=bool)
    br = np.array(ebr, dtype=bool)
    enm = np.array(ename, dtype=np.int64)
    ok = u != v
    u, v, cls, owa, br, enm = u[ok], v[ok], cls[ok], owa[ok], br[ok], enm[ok]
    nn = len(uniq)
    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(nn, nn))
    _, lab = connected_components(g, directed=False)
    big = int(np.argmax(np.bincount(lab)))
    keep_n = lab == big
    remap = np.full(nn, -1, dtype=np.int64)
    remap[keep_n] = np.arange(int(keep_n.sum()))
    ke = keep_n[u]
    return (
        x[keep_n],
        y[keep_n],
        remap[u[ke]],
        remap[v[ke]],
        cls[ke],
        owa[ke],
        br[ke],
        names,
        enm[ke],
    )
