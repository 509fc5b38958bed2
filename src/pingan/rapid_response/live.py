"""Live 1-3-5 minute coverage for the command center: from where the available units stand now
(a unit on a move-up counts where it was sent), the grid cells and key areas reached within 1, 3
and 5 minutes by road, and move-up suggestions: which available unit should go where to restore
the most coverage, by the siting kernel :class:`pingan.coverage.MoveUp`.

Fast after a status change: the travel times from a road node to every demand point (grid-cell
centres and key areas, limited to the largest standard) are kept per node, mode and speeds,
so a dispatch or a clearance only re-reads columns already computed; a unit that moved costs
one limited Dijkstra. Candidate sites (one road node per kilometre square and each station
house) are computed once per quarter hour the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from pingan.coverage import MoveUp
from pingan.geo.crs import haversine_m
from pingan.rapid_response.data import KIND_MODE, Forces, Points
from pingan.rapid_response.service import DEFAULT_MAX_SNAP_M, DRONE_SPEED_KPH, DRONE_TAKEOFF_S
from pingan.rapid_response.siting import road_node_candidates
from pingan.roads import RoadNetwork

__all__ = [
    "MOVABLE_KINDS",
    "MOVEUP_STANDARD_S",
    "STANDARDS_S",
    "Demand",
    "Sites",
    "air_times",
    "live_coverage",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

STANDARDS_S: tuple[float, float, float] = (60.0, 180.0, 300.0)
MOVEUP_STANDARD_S = 180.0
"""Move-ups restore coverage within 3 minutes (the city core's promise)."""
MOVABLE_KINDS = frozenset({"patrol_car", "motorcycle", "tactical_unit", "mobile_kiosk"})
"""Units a dispatcher moves up (fixed posts and foot teams stay where they are)."""
MOVE_KPH = 30.0
"""Speed of the straight-line estimate of a move's drive (door to door in town)."""
MAX_MOVE_S = 900.0
"""Moves longer than 15 minutes are not suggested."""
SITE_SPACING_M = 1000.0
KEY_AREA_WEIGHT = 10.0
"""A key area weighs as much as this many average grid cells."""
_CHUNK = 48


@dataclass(frozen=True)
class Demand:
    """What coverage is measured on: grid cells (weight: incidents of the last year + 1) then
    key areas (each ``KEY_AREA_WEIGHT`` average cells), with their snapped nodes and walks."""

    cells: Points
    key_areas: Points
    node: I64
    walk_s: F64
    weight: F64
    key: str

    @property
    def n_cells(self) -> int:
        return len(self.cells)


@dataclass(frozen=True)
class Sites:
    """Candidate places to move a unit up to: snapped node, position and label."""

    node: I64
    walk_s: F64
    lon: F64
    lat: F64
    label: list[str]


def make_demand(network: RoadNetwork, cells: Points, key_areas: Points) -> Demand:
    """Snap the cells' centres and key areas to the network and weigh them."""
    lon = np.concatenate([cells.lon, key_areas.lon])
    lat = np.concatenate([cells.lat, key_areas.lat])
    if lon.size == 0:
        node, walk = np.empty(0, np.int64), np.empty(0)
    else:
        snap = network.snap(lon, lat, max_snap_m=DEFAULT_MAX_SNAP_M)
        node, walk = snap.node, np.where(snap.too_far, np.inf, snap.walk_s)
    cw = cells.weight + 1.0
    mean = float(cw.mean()) if cw.size else 1.0
    weight = np.concatenate([cw, np.full(len(key_areas), KEY_AREA_WEIGHT * mean)])
    key = hashlib.sha256(node.tobytes() + weight.tobytes() + str(id(network)).encode()).hexdigest()
    return Demand(cells, key_areas, node, walk, weight, key)


def make_sites(
    network: RoadNetwork,
    station_lon: F64,
    station_lat: F64,
    station_label: list[str],
    *,
    lang: str = "zh-CN",
) -> Sites:
    """One road node per ``SITE_SPACING_M`` square plus each station house, labelled by the
    street it stands on."""
    grid = road_node_candidates(network, spacing_m=SITE_SPACING_M)
    lon = np.concatenate([grid.lon, station_lon])
    lat = np.concatenate([grid.lat, station_lat])
    snap = network.snap(lon, lat, max_snap_m=DEFAULT_MAX_SNAP_M)
    ok = ~snap.too_far
    names = _node_names(network, lang)
    labels = [
        names[int(n)] or f"{x:.5f}, {y:.5f}"
        for n, x, y in zip(
            snap.node[: len(grid)].tolist(), grid.lon.tolist(), grid.lat.tolist(), strict=True
        )
    ] + list(station_label)
    idx = np.flatnonzero(ok)
    return Sites(
        snap.node[idx], snap.walk_s[idx], lon[idx], lat[idx], [labels[i] for i in idx.tolist()]
    )


_names_lock = threading.Lock()
_names: dict[tuple[int, str], list[str]] = {}


def _node_names(network: RoadNetwork, lang: str) -> list[str]:
    """A street name at each node (the first named segment touching it) in ``lang``, ``""``
    where none."""
    with _names_lock:
        hit = _names.get((id(network), lang))
    if hit is not None:
        return hit
    out = [""] * network.n_nodes
    if network.seg_name is not None and network.seg_u is not None and network.seg_v is not None:
        named = np.flatnonzero(network.seg_name >= 0)
        zh = network.names_en if lang == "en" and network.names_en else network.names_zh
        for ends in (network.seg_u[named], network.seg_v[named]):
            for n, k in zip(ends.tolist(), network.seg_name[named].tolist(), strict=True):
                if not out[n]:
                    out[n] = zh[k]
    with _names_lock:
        if len(_names) > 4:
            _names.clear()
        _names[(id(network), lang)] = out
    return out


class _Columns:
    """Travel times (s) from road nodes to every demand point, kept per node for one network,
    demand, mode and speed profile of the quarter hour (limited to the largest standard:
    ``inf`` beyond)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.cols: dict[int, NDArray[np.float32]] = {}

    def get(
        self,
        network: RoadNetwork,
        demand: Demand,
        nodes: I64,
        *,
        mode: str,
        at: dt.time | None,
        limit_s: float,
    ) -> NDArray[np.float32]:
        """A demand × len(nodes) matrix of times from each node (walks at the demand end)."""
        # the speeds of this quarter hour, not its clock: quarter hours with the same speeds
        # share their columns (a new quarter hour recomputes only where the profile changes)
        speeds: tuple[float | str, ...] = (
            ("given",)
            if network.given_time_s is not None
            else tuple(float(network.profile.speed_kph(mode, c, at)) for c in network.classes)
        )
        key = (id(network), demand.key, mode, speeds, limit_s)
        with self.lock:
            if key != self.key:
                self.key, self.cols = key, {}
            missing = sorted({int(n) for n in nodes.tolist()} - self.cols.keys())
        if missing:
            g = network.graph(mode, at)
            fresh: dict[int, NDArray[np.float32]] = {}
            for s in range(0, len(missing), _CHUNK):
                src = np.asarray(missing[s : s + _CHUNK], dtype=np.int64)
                d = dijkstra(g, directed=True, indices=src, limit=limit_s)
                t = np.asarray(d)[:, demand.node] + demand.walk_s[None, :]
                for n, row in zip(src.tolist(), t, strict=True):
                    fresh[n] = row.astype(np.float32)
            with self.lock:
                if self.key == key:
                    self.cols.update(fresh)
                cols = self.cols | fresh
        else:
            with self.lock:
                cols = dict(self.cols)
        if len(nodes) == 0:
            return np.empty((len(demand.node), 0), dtype=np.float32)
        return np.column_stack([cols[int(n)] for n in nodes.tolist()])


_columns: dict[str, _Columns] = {}
_columns_lock = threading.Lock()


def _columns_for(mode: str) -> _Columns:
    with _columns_lock:
        return _columns.setdefault(mode, _Columns())


def live_coverage(
    network: RoadNetwork,
    units: Forces,
    demand: Demand,
    sites: Sites,
    *,
    at: dt.time | None,
    standards_s: tuple[float, ...] = STANDARDS_S,
    moveup_standard_s: float = MOVEUP_STANDARD_S,
    n_moves: int = 3,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """Coverage from ``units`` (the available ones, where they stand) and up to ``n_moves``
    move-ups. Ground units travel by road in their kind's mode; drones are not in the ground
    figures (a drone lands no officer): their reach by air is apart, under ``air`` (see
    :func:`air_times`), by air alone and by ground or air. Time: one limited Dijkstra per
    road node not yet seen at this quarter hour, then O(D·U) for D demand points and U units
    plus the move-up kernel's O(U·S) for S sites, and O(D·K) for K drones."""
    t0 = time.perf_counter()
    limit = float(max(*standards_s, moveup_standard_s))
    modes = np.array([KIND_MODE.get(str(k), "car") for k in units.kind], dtype=str)
    ground = modes != "drone"
    drones = units.subset(~ground)
    u = units.subset(ground)
    modes = modes[ground]
    n_d = len(demand.node)
    cost = np.full((n_d, len(u)), np.inf, dtype=np.float32)
    left_out: list[str] = []
    if len(u):
        snap = network.snap(u.lon, u.lat, max_snap_m=DEFAULT_MAX_SNAP_M)
        left_out = [u.code[i] for i in np.flatnonzero(snap.too_far).tolist()]
        for mode in sorted(set(modes.tolist())):
            cols = np.flatnonzero((modes == mode) & ~snap.too_far)
            if cols.size:
                m = _columns_for(mode).get(
                    network, demand, snap.node[cols], mode=mode, at=at, limit_s=limit
                )
                cost[:, cols] = m + snap.walk_s[cols][None, :].astype(np.float32)
    best = cost.min(axis=1) if cost.shape[1] else np.full(n_d, np.inf, dtype=np.float32)
    nc = demand.n_cells
    cell_best, ka_best = best[:nc], best[nc:]
    band = np.zeros(nc, dtype=np.int64)
    for lv, std in zip((5, 3, 1), sorted(standards_s, reverse=True), strict=False):
        band[cell_best <= std] = lv
    cw = demand.cells.weight + 1.0
    ka = demand.key_areas
    shares = [
        {
            "standard_s": float(std),
            "cells_within": int((cell_best <= std).sum()),
            "cells": nc,
            "cells_weighted_share": round(float(cw[cell_best <= std].sum() / max(cw.sum(), 1)), 4),
            "key_areas_within": int((ka_best <= std).sum()),
            "key_areas": len(ka),
        }
        for std in standards_s
    ]
    own = ka.standard_s if ka.standard_s is not None else np.full(len(ka), standards_s[0])
    ka_out = [
        {
            "id": int(ka.id[i]),
            "code": ka.code[i],
            "name": ka.name[i],
            "standard_s": float(own[i]),
            "time_s": None if not np.isfinite(ka_best[i]) else round(float(ka_best[i]), 1),
            "lon": round(float(ka.lon[i]), 6),
            "lat": round(float(ka.lat[i]), 6),
        }
        for i in np.flatnonzero(~(ka_best <= own)).tolist()
    ]
    moves = _moveups(
        network,
        u,
        modes,
        cost,
        demand,
        sites,
        at=at,
        standard_s=moveup_standard_s,
        n_moves=n_moves,
        lang=lang,
        limit_s=limit,
    )
    return {
        "at": at.strftime("%H:%M") if at else None,
        "standards_s": [float(s) for s in standards_s],
        "units": {"considered": len(u), "far_from_road": left_out},
        "cells": [
            [int(c), int(b)] for c, b in zip(demand.cells.id.tolist(), band.tolist(), strict=True)
        ],
        "shares": shares,
        "key_areas_outside": ka_out,
        "moveups": moves,
        "air": _air(drones, demand, best, standards_s),
        "computed_ms": round((time.perf_counter() - t0) * 1000, 1),
        "how": (
            "From every available ground unit where it stands now (a unit on a move-up where it "
            "was sent), the exact travel time by road in its kind's mode at this quarter hour "
            "to each grid-cell centre and key area, plus the walk from the road; a cell is in "
            "band 1, 3 or 5 when reached within 1, 3 or 5 minutes, 0 beyond. Move-ups: the "
            f"moves of one available vehicle to a candidate site (a road node per "
            f"{SITE_SPACING_M / 1000:g} km square, or a station) that restore the most weight "
            f"(incidents of the last year + 1 per cell, {KEY_AREA_WEIGHT:g} average cells per key "
            f"area) within {moveup_standard_s / 60:g} minutes, each by its exact gain "
            f"(pingan.coverage.MoveUp), moves under {MAX_MOVE_S / 60:g} minutes at "
            f"{MOVE_KPH:g} km/h in a straight line. Drones (under air, apart from the ground "
            f"figures): straight-line flight at each drone's cruise speed "
            f"({DRONE_SPEED_KPH:g} km/h when unknown) plus {DRONE_TAKEOFF_S:g} s to launch, "
            f"within its operating radius, to each cell centre and key area."
        ),
    }


def air_times(
    drones: Forces,
    lon: F64,
    lat: F64,
    *,
    takeoff_s: float = DRONE_TAKEOFF_S,
    default_speed_kph: float = DRONE_SPEED_KPH,
) -> F64:
    """Flight time (s) to each point (``lon``, ``lat``) from the nearest drone by air: the
    great-circle distance at the drone's cruise speed (``speed_kph``, else
    ``default_speed_kph``) plus the launch delay ``takeoff_s``; infinite beyond every drone's
    operating radius (``range_m``, unlimited when unknown). The figures of the recommendations
    (:mod:`pingan.rapid_response.service`). O(P·K) for P points and K drones, in blocks."""
    out = np.full(lon.size, np.inf)
    if len(drones) == 0 or lon.size == 0:
        return out
    speed = np.where(np.isfinite(drones.speed_kph), drones.speed_kph, default_speed_kph)
    rng = np.where(np.isfinite(drones.range_m), drones.range_m, np.inf)
    for a in range(0, lon.size, 4096):
        b = min(a + 4096, lon.size)
        d = haversine_m(lon[a:b, None], lat[a:b, None], drones.lon[None, :], drones.lat[None, :])
        t = np.where(d <= rng[None, :], d / (speed[None, :] / 3.6) + takeoff_s, np.inf)
        out[a:b] = t.min(axis=1)
    return out


def _air(
    drones: Forces,
    demand: Demand,
    ground_best: NDArray[np.float32],
    standards_s: tuple[float, ...],
) -> dict[str, Any]:
    """Drone coverage by air, apart from the ground figures: each cell's air band, the shares
    within each standard by air alone and by ground or air."""
    ka = demand.key_areas
    lon = np.concatenate([demand.cells.lon, ka.lon])
    lat = np.concatenate([demand.cells.lat, ka.lat])
    air = air_times(drones, lon, lat)
    nc = demand.n_cells
    either = np.minimum(air, ground_best.astype(np.float64))
    cw = demand.cells.weight + 1.0
    band = np.zeros(nc, dtype=np.int64)
    for lv, std in zip((5, 3, 1), sorted(standards_s, reverse=True), strict=False):
        band[air[:nc] <= std] = lv

    def shares(t: F64) -> list[dict[str, Any]]:
        c, k = t[:nc], t[nc:]
        return [
            {
                "standard_s": float(std),
                "cells_within": int((c <= std).sum()),
                "cells": nc,
                "cells_weighted_share": round(float(cw[c <= std].sum() / max(cw.sum(), 1)), 4),
                "key_areas_within": int((k <= std).sum()),
                "key_areas": len(ka),
            }
            for std in standards_s
        ]

    return {
        "drones": len(drones),
        "codes": list(drones.code),
        "takeoff_s": DRONE_TAKEOFF_S,
        "cells": [
            [int(c), int(b)]
            for c, b in zip(demand.cells.id.tolist(), band.tolist(), strict=True)
            if b
        ],
        "shares": shares(air),
        "with_ground_shares": shares(either),
    }


def _moveups(
    network: RoadNetwork,
    u: Forces,
    modes: NDArray[np.str_],
    cost: NDArray[np.float32],
    demand: Demand,
    sites: Sites,
    *,
    at: dt.time | None,
    standard_s: float,
    n_moves: int,
    lang: str,
    limit_s: float,
) -> list[dict[str, Any]]:
    if len(u) == 0 or len(sites.node) == 0 or n_moves <= 0:
        return []
    # the same limit as the units' columns: one cache serves both (a different key would
    # empty it on every call)
    site_cost = _columns_for("car").get(
        network, demand, sites.node, mode="car", at=at, limit_s=limit_s
    ) + sites.walk_s[None, :].astype(np.float32)
    d = haversine_m(u.lon[:, None], u.lat[:, None], sites.lon[None, :], sites.lat[None, :])
    move_s = np.asarray(d, dtype=np.float64) / (MOVE_KPH / 3.6)
    movable = np.isin(u.kind, list(MOVABLE_KINDS)) & (modes == "car")
    move_s[~movable, :] = np.inf
    model = MoveUp.from_cost_matrices(
        np.where(np.isfinite(cost), cost, np.inf).astype(np.float64),
        site_cost.astype(np.float64),
        demand.weight,
        standard_s=standard_s,
        move_cost_s=move_s,
        max_move_s=MAX_MOVE_S,
    ).solve(n_moves)
    total = float(demand.weight.sum()) or 1.0
    out = []
    for mv in model.result_.moves:
        j, k = mv.unit, mv.site
        mins = mv.move_cost_s / 60
        gain_pct = 100 * mv.gain / total
        if lang == "en":
            why = (
                f"restores {gain_pct:.1f}% of the weighted 3-minute coverage (about "
                f"{mins:.0f} min's drive); the move of largest gain"
            )
        else:
            why = f"恢复 3 分钟覆盖（加权）{gain_pct:.1f}%，车程约 {mins:.0f} 分钟；增益最大的调度"
        out.append(
            {
                "resource_id": int(u.id[j]),
                "code": u.code[j],
                "name": u.name_en[j] if lang == "en" else u.name_zh[j],
                "kind": str(u.kind[j]),
                "from": [round(float(u.lon[j]), 6), round(float(u.lat[j]), 6)],
                "to": [round(float(sites.lon[k]), 6), round(float(sites.lat[k]), 6)],
                "label": sites.label[k],
                "gain": round(mv.gain, 2),
                "gain_share": round(mv.gain / total, 4),
                "travel_s": round(mv.move_cost_s, 1),
                "why": why,
            }
        )
    return out


# ---------------------------------------------------------------------------- answers cache
_answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
_answers_lock = threading.Lock()


def cached(key: str, make: Any) -> dict[str, Any]:
    """The answer for ``key`` if computed already (the same units at the same places, the same
    quarter hour and demand), else ``make()`` kept for next time (16 answers)."""
    with _answers_lock:
        hit = _answers.get(key)
        if hit is not None:
            _answers.move_to_end(key)
            return hit
    out: dict[str, Any] = make()
    with _answers_lock:
        _answers[key] = out
        while len(_answers) > 16:
            _answers.popitem(last=False)
    return out
