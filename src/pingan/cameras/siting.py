"""Siting new cameras (补盲补漏): N cameras over candidate sites × headings, maximising the
unseen incidents and the incident-weighted unseen road length they would see, with before and
after figures and the plan as GeoJSON or an Excel workbook.

The maximal covering model (:class:`pingan.coverage.MCLP`) on the coverage matrix of
:func:`pingan.coverage.camera_coverage_matrix`, over a :class:`pingan.cameras.figures.Snapshot`.
Reads only.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from pingan.cameras.figures import Snapshot, sector_ring, share
from pingan.cameras.schemas import SitingRequest
from pingan.coverage import MCLP, camera_coverage_matrix, camera_coverage_matrix_occluded
from pingan.errors import Conflict, NotFound
from pingan.roads import RoadNetwork

__all__ = ["NEAR_M", "plan_geojson", "plan_xlsx", "siting"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]

NEAR_M = 100.0
"""A road sample weighs its length (km) times the incidents within this distance."""
_EXACT_NNZ = 200_000
"""Up to this many (demand, candidate) pairs the model is solved exactly (HiGHS, within the
time limit); above, by the heuristic with its Lagrangian bound, which proves a useful gap in the
time a page can wait."""


def _area_masks(snap: Snapshot, station_id: int | None) -> tuple[BoolA, BoolA]:
    if station_id is None:
        return (
            np.ones(snap.inc_xy.shape[0], dtype=bool),
            np.ones(snap.road_len.size, dtype=bool),
        )
    if station_id not in {s.id for s in snap.stations}:
        raise NotFound(f"station {station_id} does not exist or is outside your jurisdiction")
    return snap.inc_station == station_id, snap.road_station == station_id


def _silent(_fraction: float, _message: str) -> None:
    return None


def siting(
    snap: Snapshot,
    req: SitingRequest,
    *,
    report: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Place ``req.n_cameras`` new cameras (field of view ``req.fov_deg``, range
    ``req.range_m``) over candidate sites (road vertices: junctions and poles along the roads)
    × ``req.headings`` headings, maximising what no working camera sees today: each unseen
    incident weighs 1, each unseen 20 m road piece its length in km times the incidents within
    100 m of it. The maximal covering model (:class:`pingan.coverage.MCLP`) on the coverage
    matrix of :func:`pingan.coverage.camera_coverage_matrix`; before and after figures.

    Complexity: the matrix O(n log n + k) for n demand points and k candidate pairs; the
    solve within ``req.time_limit_s`` (its gap to a proven bound is reported). ``report``
    (``fraction, message``) hears the steps when the siting runs as a background job."""
    t0 = time.perf_counter()
    progress = report or _silent
    net = snap.network
    if net is None:
        raise Conflict(
            "no road network: candidate sites are road vertices; build one with "
            "`pingan roads import FILE.osm.pbf` or `pingan demo`",
            field="network",
        )
    inc_area, road_area = _area_masks(snap, req.station_id)
    inc_un = np.flatnonzero(inc_area & (snap.inc_seen == 0))
    road_un = np.flatnonzero(road_area & (snap.road_seen == 0))
    if snap.inc_xy.shape[0]:
        near = cKDTree(snap.inc_xy).query_ball_point(
            snap.road_xy[road_un], NEAR_M, return_length=True
        )
    else:
        near = np.zeros(road_un.size)
    # unseen road pieces with no incident near weigh 0: they count in the figures, not the goal
    road_w = snap.road_len[road_un] / 1000.0 * np.asarray(near, dtype=np.float64)
    d_xy = np.vstack([snap.inc_xy[inc_un], snap.road_xy[road_un]])
    d_w = np.concatenate([np.ones(inc_un.size), road_w])
    before = _before_after(snap, inc_area, road_area, None)
    if not (d_w > 0).any():
        return _siting_answer(snap, req, [], before, before, None, t0, "nothing unseen to cover")
    # candidate sites: road vertices in the area, ranked by the demand weight within range
    nx, ny = net.projection.forward(net.node_lon, net.node_lat)
    nodes_xy = np.column_stack([nx, ny])
    lo, hi = d_xy.min(axis=0) - req.range_m, d_xy.max(axis=0) + req.range_m
    cand = np.flatnonzero(((nodes_xy >= lo) & (nodes_xy <= hi)).all(axis=1))
    if req.station_id is not None and cand.size:
        a = _node_stations(snap, net, cand)
        cand = cand[a == req.station_id]
    if cand.size == 0:
        return _siting_answer(snap, req, [], before, before, None, t0, "no candidate site")
    progress(0.25, f"{cand.size} candidate sites, {d_xy.shape[0]} unseen demand points")
    tree = cKDTree(d_xy)
    reach = tree.query_ball_point(nodes_xy[cand], req.range_m)
    mass = np.array([d_w[r].sum() if r else 0.0 for r in reach])
    top = np.argsort(-mass, kind="stable")[: req.max_sites]
    top = top[mass[top] > 0]
    sites = cand[top]
    h = 360.0 / req.headings
    headings = np.arange(req.headings) * h
    c_node = np.repeat(sites, req.headings)
    c_head = np.tile(headings, sites.size)
    if snap.footprints:  # the line of sight through the loaded building footprints
        a = camera_coverage_matrix_occluded(
            d_xy, nodes_xy[c_node], c_head, req.fov_deg, req.range_m, snap.footprints
        )
    else:
        a = camera_coverage_matrix(d_xy, nodes_xy[c_node], c_head, req.fov_deg, req.range_m)
    cover = a.sum(axis=1).A1 > 0
    progress(0.4, f"coverage matrix of {c_node.size} candidate cameras: {a.nnz} pairs; solving")
    n_sel = min(req.n_cameras, c_node.size)
    model = MCLP.from_cost_matrix(
        sp.csr_matrix(a[cover].astype(np.float64)),
        d_w[cover],
        standard_s=1.0,
        n_sites=n_sel,
    ).solve(method="exact" if a.nnz <= _EXACT_NNZ else "heuristic", time_limit_s=req.time_limit_s)
    res = model.result_
    progress(0.85, f"solved ({res.method}, gap {res.gap:.2%}); before and after figures")
    chosen = res.selected
    # each chosen camera's own gain, in the order of the marginal gain it adds (greedy order)
    a_cov = a[cover].tocsc()
    wv = d_w[cover]
    got = np.zeros(a_cov.shape[0], dtype=bool)
    order: list[int] = []
    left = list(chosen.tolist())
    gains: dict[int, float] = {}
    while left:
        best, best_g = left[0], -1.0
        for j in left:
            rows = a_cov.indices[a_cov.indptr[j] : a_cov.indptr[j + 1]]
            g = float(wv[rows[~got[rows]]].sum())
            if g > best_g:
                best, best_g = j, g
        rows = a_cov.indices[a_cov.indptr[best] : a_cov.indptr[best + 1]]
        got[rows] = True
        gains[best] = best_g
        order.append(best)
        left.remove(best)
    new_xy = nodes_xy[c_node[order]]
    new_head = c_head[order]
    after = _before_after(snap, inc_area, road_area, (new_xy, new_head, req.fov_deg, req.range_m))
    lon, lat = net.projection.inverse(new_xy[:, 0], new_xy[:, 1])
    degree = _degree(net)
    a_csc = a.tocsc()
    n_inc = inc_un.size
    road_len_un = snap.road_len[road_un]
    plan = []
    for i, j in enumerate(order):
        rows = a_csc.indices[a_csc.indptr[j] : a_csc.indptr[j + 1]]
        plan.append(
            {
                "rank": i + 1,
                "node": int(c_node[j]),
                "lon": round(float(lon[i]), 6),
                "lat": round(float(lat[i]), 6),
                "heading_deg": float(new_head[i]),
                "fov_deg": req.fov_deg,
                "range_m": req.range_m,
                "junction": bool(degree[c_node[j]] >= 3),
                "gain": round(gains[j], 3),
                "incidents_newly_seen": int((rows < n_inc).sum()),
                "road_newly_seen_m": round(
                    float(road_len_un[rows[rows >= n_inc] - n_inc].sum()), 1
                ),
            }
        )
    status = res.method if res.status == res.method else f"{res.method}, {res.status}"
    how = (
        f"{sites.size} candidate sites (road vertices with unseen demand within "
        f"{req.range_m:g} m, at most the {req.max_sites} with most) × {req.headings} headings "
        f"= {c_node.size} candidate cameras; demand {inc_un.size} unseen incidents (weight 1) "
        f"and {road_un.size} unseen 20 m road pieces (weight: km × the incidents within "
        f"{NEAR_M:g} m). Maximal covering (MCLP) solved by pingan.coverage: "
        f"{status}, objective {res.objective:.2f}, bound {res.bound:.2f}, gap {res.gap:.2%}, "
        f"{res.solve_time_s:.1f} s. Gains are in that order, each counting only what the "
        "cameras before it do not see."
        + (
            f" Line of sight through {len(snap.footprints)} building footprints: a footprint "
            "between a camera and a point hides it."
            if snap.footprints
            else ""
        )
    )
    return _siting_answer(snap, req, plan, before, after, res.objective, t0, how)


def _degree(net: RoadNetwork) -> I64:
    a = np.minimum(net.tail, net.head).astype(np.int64)
    b = np.maximum(net.tail, net.head).astype(np.int64)
    key = np.unique(a * net.n_nodes + b)
    u, v = key // net.n_nodes, key % net.n_nodes
    return np.bincount(u, minlength=net.n_nodes) + np.bincount(v, minlength=net.n_nodes)


def _node_stations(snap: Snapshot, net: RoadNetwork, nodes: I64) -> I64:
    """Station of road vertices: the station of the nearest road sample (samples were assigned
    with the jurisdiction polygons when the snapshot was made)."""
    nx, ny = net.projection.forward(net.node_lon[nodes], net.node_lat[nodes])
    if snap.road_xy.shape[0] == 0:
        return np.full(nodes.size, -1, dtype=np.int64)
    _, idx = cKDTree(snap.road_xy).query(np.column_stack([nx, ny]))
    out: I64 = snap.road_station[idx]
    return out


def _before_after(
    snap: Snapshot,
    inc_area: BoolA,
    road_area: BoolA,
    new: tuple[F64, F64, float, float] | None,
) -> dict[str, Any]:
    inc_seen = snap.inc_seen[inc_area] > 0
    road_seen = snap.road_seen[road_area] > 0
    if new is not None and new[0].shape[0]:
        xy, head, fov, rng = new
        inc_seen = inc_seen | (snap.coverage(snap.inc_xy[inc_area], xy, head, fov, rng) > 0)
        road_seen = road_seen | (snap.coverage(snap.road_xy[road_area], xy, head, fov, rng) > 0)
    n_inc = int(inc_area.sum())
    road_len = snap.road_len[road_area]
    return {
        "incidents": n_inc,
        "incidents_seen": int(inc_seen.sum()),
        "incidents_seen_share": share(int(inc_seen.sum()), n_inc),
        "road_m": round(float(road_len.sum()), 1),
        "road_seen_m": round(float(road_len[road_seen].sum()), 1),
        "road_seen_share": share(float(road_len[road_seen].sum()), float(road_len.sum())),
    }


def _siting_answer(
    snap: Snapshot,
    req: SitingRequest,
    plan: list[dict[str, Any]],
    before: dict[str, Any],
    after: dict[str, Any],
    objective: float | None,
    t0: float,
    explanation: str,
) -> dict[str, Any]:
    return {
        "request": req.model_dump(),
        "cameras": plan,
        "before": before,
        "after": after,
        "objective": objective,
        "history_days": snap.history_days,
        "solve_time_s": round(time.perf_counter() - t0, 2),
        "explanation": explanation,
    }


def plan_geojson(answer: dict[str, Any]) -> dict[str, Any]:
    """The siting plan as GeoJSON: one Point per new camera and one Polygon of its sector."""
    feats: list[dict[str, Any]] = []
    for c in answer["cameras"]:
        props = {k: v for k, v in c.items() if k not in ("lon", "lat")}
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                "properties": props | {"kind": "camera"},
            }
        )
        ring = sector_ring(c["lon"], c["lat"], c["heading_deg"], c["fov_deg"], c["range_m"])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"rank": c["rank"], "kind": "sector"},
            }
        )
    return {
        "type": "FeatureCollection",
        "features": feats,
        "before": answer["before"],
        "after": answer["after"],
        "explanation": answer["explanation"],
    }


def plan_xlsx(answer: dict[str, Any], *, lang: str = "zh-CN") -> bytes:
    """The siting plan as an Excel workbook: the cameras, then before and after."""
    from openpyxl import Workbook

    zh = lang != "en"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "新增摄像机" if zh else "New cameras"
    cols = [
        ("rank", "序号", "Rank"),
        ("lon", "经度", "Longitude"),
        ("lat", "纬度", "Latitude"),
        ("heading_deg", "朝向(度)", "Heading (°)"),
        ("fov_deg", "视场角(度)", "Field of view (°)"),
        ("range_m", "视距(米)", "Range (m)"),
        ("junction", "路口", "Junction"),
        ("incidents_newly_seen", "新覆盖警情", "Incidents newly seen"),
        ("road_newly_seen_m", "新覆盖道路(米)", "Road newly seen (m)"),
        ("gain", "增益", "Gain"),
    ]
    ws.append([zh_ if zh else en for _, zh_, en in cols])
    for c in answer["cameras"]:
        ws.append([c[k] for k, _, _ in cols])
    ws2 = wb.create_sheet("前后对比" if zh else "Before and after")
    ws2.append(["", "之前" if zh else "Before", "之后" if zh else "After"])
    for k in (
        "incidents",
        "incidents_seen",
        "incidents_seen_share",
        "road_m",
        "road_seen_m",
        "road_seen_share",
    ):
        ws2.append([k, answer["before"][k], answer["after"][k]])
    ws2.append([])
    ws2.append([answer["explanation"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
