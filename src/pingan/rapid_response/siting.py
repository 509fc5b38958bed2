"""The siting run: where to place posts so that the most demand is reached within a response
standard (MCLP over the road network), keeping some of today's posts, with the coverage
before and after on every layer; and the candidate sites it chooses from (road nodes on a
grid, premises, a user's file).

Every check raises :class:`pingan.errors.Invalid` naming the field (the API's name; the CLI maps
it to its option).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from pingan.coverage import travel_times
from pingan.errors import Invalid
from pingan.rapid_response.data import Forces, Points
from pingan.rapid_response.service import (
    DEFAULT_MAX_SNAP_M,
    F64,
    I64,
    Field,
    Progress,
    check_mode,
    coverage_table,
    field_from,
    snap_rows,
)
from pingan.roads import RoadNetwork

__all__ = [
    "Candidates",
    "candidates_from_geojson",
    "optimise",
    "plan_geojson",
    "point_candidates",
    "road_node_candidates",
]


@dataclass(frozen=True)
class Candidates:
    """Candidate sites: positions, where they come from, and which are today's posts."""

    lon: F64
    lat: F64
    source: list[str]  # "road_node", "premises", "file" or "existing"
    label: list[str]
    existing_id: I64  # resource id of today's post, -1 for new sites

    def __len__(self) -> int:
        return int(self.lon.size)


def road_node_candidates(network: RoadNetwork, *, spacing_m: float = 300.0) -> Candidates:
    """One road node (usable by cars) per ``spacing_m`` square: the one nearest its centre."""
    if spacing_m <= 0:
        raise Invalid("spacing", f"must be > 0 metres, got {spacing_m:g}")
    ok = np.zeros(network.n_nodes, dtype=bool)
    ok[network.tail[network.vehicle_ok]] = True
    idx = np.flatnonzero(ok)
    x, y = network.projection.forward(network.node_lon[idx], network.node_lat[idx])
    gx, gy = np.floor(x / spacing_m), np.floor(y / spacing_m)
    d = np.hypot(x - (gx + 0.5) * spacing_m, y - (gy + 0.5) * spacing_m)
    order = np.lexsort((d, gy, gx))
    key = np.column_stack([gx[order], gy[order]])
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(key[1:] != key[:-1], axis=1)
    pick = np.sort(idx[order[first]])
    return Candidates(
        network.node_lon[pick],
        network.node_lat[pick],
        ["road_node"] * pick.size,
        [f"node {i}" for i in pick.tolist()],
        np.full(pick.size, -1, dtype=np.int64),
    )


def _cost_matrix(
    network: RoadNetwork,
    cand_rows: F64,
    demand_node: I64,
    demand_walk: F64,
    *,
    mode: str,
    at: dt.time | None,
    limit_s: float,
    progress: Progress,
    chunk: int = 64,
) -> sp.csr_matrix:
    """Demand × candidate travel time (s), sparse: only pairs within ``limit_s`` are stored."""
    g = network.graph(mode, at)
    n, m = demand_node.size, cand_rows.shape[0]
    rows: list[I64] = []
    cols: list[I64] = []
    vals: list[F64] = []
    for start in range(0, m, chunk):
        sel = np.arange(start, min(start + chunk, m))
        src = cand_rows[sel, 0].astype(np.int64)
        d = np.asarray(dijkstra(g, directed=True, indices=src, limit=limit_s))
        t = d[:, demand_node] + cand_rows[sel, 1][:, None] + demand_walk[None, :]
        ci, di = np.nonzero(t <= limit_s)
        rows.append(di.astype(np.int64))
        cols.append(sel[ci])
        vals.append(np.maximum(t[ci, di], 1e-6))
        progress(0.05 + 0.55 * (sel[-1] + 1) / m, f"travel times from {sel[-1] + 1} of {m} sites")
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    v = np.concatenate(vals) if vals else np.empty(0)
    return sp.csr_matrix((v, (r, c)), shape=(n, m))


def optimise(
    network: RoadNetwork,
    *,
    candidates: Candidates,
    existing: Forces,
    demand: Points,
    layers: Sequence[tuple[Points, bool]],
    n_posts: int,
    standard_s: float,
    keep_existing: int,
    mode: str = "car",
    at: dt.time | None = None,
    method: str = "exact",
    time_limit_s: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Place ``n_posts`` posts to cover the most demand within ``standard_s`` (MCLP), keeping
    the ``keep_existing`` of today's posts that cover most on their own (greedy), and compare
    coverage before (today's posts) and after (the plan) on every layer."""
    from pingan.coverage import MCLP

    report: Progress = progress or (lambda _f, _m: None)
    _check_plan(
        mode=mode,
        standard_s=standard_s,
        n_posts=n_posts,
        keep_existing=keep_existing,
        n_existing=len(existing),
        method=method,
        time_limit_s=time_limit_s,
        n_demand=len(demand),
    )
    sites = _Sites.snapped(
        network,
        candidates,
        existing,
        n_posts=n_posts,
        keep_existing=keep_existing,
        max_snap_m=max_snap_m,
    )
    # demand: grid cells weighted by their incidents (all cells equally if none happened)
    w = demand.weight.astype(np.float64)
    weighting = "historical incidents per grid cell"
    if w.sum() <= 0:
        w = np.ones(len(demand))
        weighting = "every grid cell equally (no historical incidents in scope)"
    dsnap = network.snap(demand.lon, demand.lat, max_snap_m=max_snap_m)
    use = (w > 0) & ~dsnap.too_far
    report(0.05, f"{len(demand)} demand cells, {sites.rows.shape[0]} candidate sites")
    cost = _cost_matrix(
        network,
        sites.rows,
        dsnap.node[use],
        dsnap.walk_s[use],
        mode=mode,
        at=at,
        limit_s=standard_s,
        progress=report,
    )
    wu = w[use]
    required = _kept_posts(cost, wu, sites, keep_existing=keep_existing, standard_s=standard_s)
    report(0.65, f"solving MCLP ({method}) for {n_posts} posts")
    model = MCLP.from_cost_matrix(
        cost, wu, standard_s=standard_s, n_sites=n_posts, required=required
    ).solve(method=method, time_limit_s=time_limit_s)  # type: ignore[arg-type]
    res = model.result_
    sel = np.asarray(res.selected, dtype=np.int64)
    report(0.85, "comparing coverage before and after")
    table = _before_after(
        network,
        existing,
        sites.rows[sel],
        layers,
        standard_s=standard_s,
        mode=mode,
        at=at,
        max_snap_m=max_snap_m,
    )
    posts = sites.proposed(sel, required)
    is_existing = sites.is_existing
    summary = {
        "standard_s": standard_s,
        "mode": mode,
        "at": at.strftime("%H:%M") if at else None,
        "posts": n_posts,
        "keep_existing": keep_existing,
        "existing_kept": int(is_existing[sel].sum()),
        "new_sites": int((~is_existing[sel]).sum()),
        "candidates": {
            "total": int(is_existing.size),
            "new": int((~is_existing).sum()),
            "existing": int(is_existing.sum()),
            "left_out_far_from_road": sites.n_too_far,
        },
        "demand": {
            "cells": int(use.sum()),
            "weighting": weighting,
            "total_weight": float(wu.sum()),
        },
        "model": {
            "method": res.method,
            "status": res.status,
            "covered_weight": res.covered_weight,
            "covered_share": res.covered_share,
            "objective": res.objective,
            "bound": res.bound,
            "gap": res.gap,
            "solve_time_s": round(res.solve_time_s, 3),
            "explanation": res.explanation,
        },
    }
    return {
        **summary,
        "proposed": posts,
        "before_after": table,
        "geojson": plan_geojson(posts, summary, table),
    }


def _check_plan(
    *,
    mode: str,
    standard_s: float,
    n_posts: int,
    keep_existing: int,
    n_existing: int,
    method: str,
    time_limit_s: float | None,
    n_demand: int,
) -> None:
    """``Invalid`` naming the first argument of a siting run that cannot be used."""
    check_mode(mode)
    if not standard_s > 0:
        raise Invalid("standard", f"must be > 0 seconds, got {standard_s:g}")
    if n_posts < 1:
        raise Invalid("posts", f"must be >= 1, got {n_posts}")
    if keep_existing < 0:
        raise Invalid("keep_existing", f"must be >= 0, got {keep_existing}")
    if keep_existing > n_existing:
        raise Invalid(
            "keep_existing",
            f"{keep_existing} asked but there are only {n_existing} posts today",
        )
    if keep_existing > n_posts:
        raise Invalid("keep_existing", f"{keep_existing} is more than --posts {n_posts}")
    if method not in ("exact", "heuristic"):
        raise Invalid("method", f"{method!r}; use exact or heuristic")
    if time_limit_s is not None and not time_limit_s > 0:
        raise Invalid("time_limit", f"must be > 0 seconds, got {time_limit_s:g}")
    if n_demand == 0:
        raise Invalid("demand", "no grid cells in your jurisdiction to cover")


@dataclass(frozen=True)
class _Sites:
    """The candidate sites of a siting run that are near a road: the new sites, then today's
    posts, with their snapped road rows (node, walk seconds)."""

    rows: F64
    lon: F64
    lat: F64
    source: list[str]
    label: list[str]
    existing_id: I64
    is_existing: NDArray[np.bool_]
    n_too_far: int

    @classmethod
    def snapped(
        cls,
        network: RoadNetwork,
        candidates: Candidates,
        existing: Forces,
        *,
        n_posts: int,
        keep_existing: int,
        max_snap_m: float,
    ) -> _Sites:
        """Every site within ``max_snap_m`` of a road; ``Invalid`` when too few are left for
        ``n_posts`` posts or ``keep_existing`` of today's."""
        lon = np.concatenate([candidates.lon, existing.lon])
        lat = np.concatenate([candidates.lat, existing.lat])
        src = [*candidates.source, *["existing"] * len(existing)]
        label = [*candidates.label, *existing.code]
        ex_id = np.concatenate([candidates.existing_id, existing.id])
        rows, too_far, _ = snap_rows(network, lon, lat, max_snap_m)
        keep = np.flatnonzero(~too_far)
        n_existing_ok = int((~too_far[len(candidates) :]).sum())
        if keep_existing > n_existing_ok:
            raise Invalid(
                "keep_existing",
                f"{keep_existing} asked but only {n_existing_ok} of today's posts are within "
                f"{max_snap_m:g} m of a road",
            )
        if n_posts > keep.size:
            raise Invalid(
                "posts",
                f"{n_posts} posts asked but there are only {keep.size} candidate sites "
                f"({int((~too_far[: len(candidates)]).sum())} new, {n_existing_ok} of today's "
                "posts); lower --posts or add candidates",
            )
        source = [src[i] for i in keep.tolist()]
        return cls(
            rows=rows[keep],
            lon=lon[keep],
            lat=lat[keep],
            source=source,
            label=[label[i] for i in keep.tolist()],
            existing_id=ex_id[keep],
            is_existing=np.array([s == "existing" for s in source]),
            n_too_far=int(too_far.sum()),
        )

    def proposed(self, selected: I64, required: I64) -> list[dict[str, Any]]:
        """The chosen sites in rank order, saying which of today's posts were kept."""
        kept = set(required.tolist())
        return [
            {
                "rank": rank,
                "lon": round(float(self.lon[j]), 6),
                "lat": round(float(self.lat[j]), 6),
                "source": self.source[j],
                "label": self.label[j],
                "existing_id": int(self.existing_id[j]) if self.existing_id[j] >= 0 else None,
                "kept": bool(j in kept),
            }
            for rank, j in enumerate(selected.tolist(), start=1)
        ]


def _kept_posts(
    cost: sp.csr_matrix, weight: F64, sites: _Sites, *, keep_existing: int, standard_s: float
) -> I64:
    """The columns of today's posts the plan must keep: all of them when all are kept, else
    the ``keep_existing`` that cover most on their own (greedy MCLP)."""
    from pingan.coverage import MCLP

    ex_cols = np.flatnonzero(sites.is_existing)
    if not keep_existing:
        return np.empty(0, dtype=np.int64)
    if keep_existing == ex_cols.size:
        return ex_cols
    pre = MCLP.from_cost_matrix(
        cost[:, ex_cols], weight, standard_s=standard_s, n_sites=keep_existing
    ).solve(method="heuristic")
    return np.asarray(ex_cols[pre.result_.selected], dtype=np.int64)


def _before_after(
    network: RoadNetwork,
    existing: Forces,
    plan_rows: F64,
    layers: Sequence[tuple[Points, bool]],
    *,
    standard_s: float,
    mode: str,
    at: dt.time | None,
    max_snap_m: float,
) -> list[dict[str, Any]]:
    """Per layer, the weight and share covered within ``standard_s`` by today's posts and by
    the plan's."""
    before = (
        field_from(network, existing, mode=mode, at=at, max_snap_m=max_snap_m)
        if len(existing)
        else Field(np.full(network.n_nodes, np.inf), mode, at, 0, [])
    )
    t_after = travel_times(network, plan_rows, mode=mode, at=at)
    after = Field(t_after, mode, at, int(plan_rows.shape[0]), [])
    tb = coverage_table(network, before, layers, [standard_s], max_snap_m=max_snap_m, max_listed=0)
    ta = coverage_table(network, after, layers, [standard_s], max_snap_m=max_snap_m, max_listed=0)
    table = []
    for b, a in zip(tb, ta, strict=True):
        lb = b["levels"][0] if b["levels"] else {}
        la = a["levels"][0] if a["levels"] else {}
        table.append(
            {
                "layer": b["layer"],
                "count": b["count"],
                "total_weight": b["total_weight"],
                "before_covered_weight": lb.get("covered_weight", 0.0),
                "before_share": lb.get("covered_share", 0.0),
                "after_covered_weight": la.get("covered_weight", 0.0),
                "after_share": la.get("covered_share", 0.0),
            }
        )
    return table


def plan_geojson(
    posts: list[dict[str, Any]], summary: dict[str, Any], table: list[dict[str, Any]]
) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection: one point per proposed post; the summary and
    the before/after table in the collection's ``properties``."""
    return {
        "type": "FeatureCollection",
        "properties": {**summary, "before_after": table},
        "features": [
            {
                "type": "Feature",
                "id": p["rank"],
                "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                "properties": {k: v for k, v in p.items() if k not in ("lon", "lat")},
            }
            for p in posts
        ],
    }


def point_candidates(
    lon: Sequence[float], lat: Sequence[float], *, source: str, labels: Sequence[str] | None = None
) -> Candidates:
    """Candidate sites from plain positions (premises, a user's list)."""
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    if lo.shape != la.shape:
        raise Invalid("candidates", "need as many longitudes as latitudes")
    bad = ~(np.isfinite(lo) & np.isfinite(la) & (np.abs(lo) <= 180) & (np.abs(la) <= 90))
    if bad.any():
        raise Invalid(
            "candidates",
            f"{int(bad.sum())} positions are not WGS-84 lon/lat (first: row "
            f"{int(np.flatnonzero(bad)[0]) + 1})",
        )
    names = list(labels) if labels is not None else [f"{source} {i + 1}" for i in range(lo.size)]
    return Candidates(lo, la, [source] * lo.size, names, np.full(lo.size, -1, dtype=np.int64))


def candidates_from_geojson(obj: Any) -> Candidates:
    """Candidate sites from a GeoJSON FeatureCollection of points (``name`` or ``code`` as the
    label)."""
    feats = obj.get("features") if isinstance(obj, dict) else None
    if not isinstance(feats, list):
        raise Invalid("candidates", "expected a GeoJSON FeatureCollection of points")
    lon, lat, names = [], [], []
    for i, f in enumerate(feats):
        g = (f or {}).get("geometry") or {}
        if g.get("type") != "Point":
            raise Invalid("candidates", f"feature {i + 1} is not a Point")
        x, y = g["coordinates"][:2]
        props = f.get("properties") or {}
        lon.append(float(x))
        lat.append(float(y))
        names.append(str(props.get("name") or props.get("code") or f"site {i + 1}"))
    return point_candidates(lon, lat, source="file", labels=names)
