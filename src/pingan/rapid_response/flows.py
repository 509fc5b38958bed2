"""Coverage flows shared by the API and the CLI: the coverage report, unit recommendations for
an incident, the OGC coverage features and the siting run (a background job)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import zoneinfo
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid
from pingan.incidents.service import get_or_raise as get_incident
from pingan.jobs.service import Report
from pingan.rapid_response import data, layers, live, service, siting, straight
from pingan.rapid_response.schemas import OptimiseRun, RecommendRequest
from pingan.roads import RoadNetwork
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = [
    "SOURCES",
    "cells_flow",
    "isochrones_flow",
    "layers_precompute_flow",
    "optimise_flow",
    "recommend_flow",
    "report_flow",
]

SOURCES = ("posts", "units")
"""Where circles are drawn from: today's posts (fixed posts and mobile kiosks), or every
available ground unit with them."""


def _sources(forces: data.Forces, which: str) -> data.Forces:
    if which not in SOURCES:
        raise Invalid("sources", f"{which!r}; use posts or units")
    kinds = forces.kind
    posts = np.isin(kinds, data.POST_KINDS)
    if which == "posts":
        return forces.subset(posts)
    ground = ~np.isin(kinds, ("drone", "drone_base"))
    return forces.subset(ground & (posts | (forces.status == "available")))


def _drones(forces: data.Forces) -> data.Forces:
    return forces.subset(
        np.isin(forces.kind, ("drone", "drone_base")) & (forces.status != "off_duty")
    )


def _layers(
    session: Session, principal: Principal, history_days: int, lang: str
) -> tuple[list[tuple[data.Points, bool]], data.Points]:
    cells = data.load_cells(session, principal=principal, history_days=history_days, lang=lang)
    premises = data.load_premises(session, principal=principal, lang=lang)
    layers = [
        (data.load_key_areas(session, principal=principal, lang=lang), False),
        (premises, False),
        (premises, True),
        (cells, False),
        (data.load_incidents(session, principal=principal, history_days=history_days), False),
    ]
    return layers, cells


def network(*, data_dir: Path) -> RoadNetwork:
    """The road network beside the database (cached per process)."""
    return data.load_network(data_dir)


def report_flow(
    session: Session,
    principal: Principal,
    *,
    data_dir: Path,
    standards_s: Sequence[float],
    at: dt.time | None = None,
    mode: str = "car",
    sources: str = "posts",
    drones: bool = False,
    history_days: int = 365,
    lang: str = "zh-CN",
    max_listed: int = service.MAX_LISTED,
) -> dict[str, Any]:
    """Share of key areas, premises (all and by kind), grid cells (weighted by their incidents)
    and historical incidents reached within each standard, and what is outside."""
    service.check_mode(mode)
    if history_days < 1:
        raise Invalid("history_days", f"must be >= 1, got {history_days}")
    net = data.load_network(data_dir)
    forces = data.load_forces(session, principal=principal)
    src = _sources(forces, sources)
    fld = service.field_from(
        net, src, mode=mode, at=at, drones=_drones(forces) if drones else None, what=sources
    )
    layers, _ = _layers(session, principal, history_days, lang)
    table = service.coverage_table(net, fld, layers, standards_s, max_listed=max_listed)
    return {
        "standards_s": list(standards_s),
        "at": at.strftime("%H:%M") if at else None,
        "mode": mode,
        "sources": {
            "which": sources,
            "count": fld.n_sources,
            "drones": fld.n_drones,
            "left_out_far_from_road": fld.too_far,
        },
        "history_days": history_days,
        "layers": table,
        "how": (
            f"Exact shortest travel time by {mode} from the nearest of {fld.n_sources} {sources}"
            + (f" (and flight time from {fld.n_drones} drones)" if fld.n_drones else "")
            + (f" at {at.strftime('%H:%M')} (time-of-day speed profile)" if at else " (free flow)")
            + " to each point's nearest road node, plus the walk along the snap distance at "
            "5 km/h. Key areas and premises count one each; grid cells are weighted by their "
            f"incidents of the last {history_days} days; incidents exclude repeat calls, "
            "cancelled and duplicate ones. Points more than 500 m from any road count as "
            "outside and are listed with their distance."
        ),
        "how_zh": (
            f"按{_MODE_ZH.get(mode, mode)}计算，从最近的 {fld.n_sources} 个"
            f"{'岗点' if sources == 'posts' else '警力'}出发的精确最短行程时间"
            + (f"（含 {fld.n_drones} 架无人机的飞行时间）" if fld.n_drones else "")
            + (f"，{at.strftime('%H:%M')} 时段车速" if at else "，自由流车速")
            + "，到每个点最近的道路节点，再加上按 5 公里/小时步行的吸附距离。重点区域和单位"
            f"各计一个；网格按近 {history_days} 天的警情加权；警情不含重复报警及撤销、重复"
            "警情。距任何道路超过 500 米的点计为未覆盖，并列出其距离。"
        ),
    }


_MODE_ZH = {"car": "汽车", "motorcycle": "摩托车", "foot": "步行"}


def _local_time(when: dt.datetime) -> dt.time:
    tz = zoneinfo.ZoneInfo(get_settings().timezone)
    local = when.astimezone(tz)
    return dt.time(local.hour, local.minute)


def recommend_flow(
    session: Session,
    principal: Principal,
    *,
    data_dir: Path,
    incident_id: int,
    body: RecommendRequest,
    lang: str = "zh-CN",
) -> dict[str, Any]:
    """Available units ranked by exact ETA to an incident, with their routes."""
    inc = get_incident(session, principal=principal, incident_id=incident_id)
    forces = data.load_forces(session, principal=principal)
    try:
        net = data.load_network(data_dir)
    except Conflict:  # no road network: a ranked list all the same, by straight line
        out = straight.recommend_straight_line(forces, (inc.lon, inc.lat), k=body.k, lang=lang)
        return {"incident_id": inc.id, "code": inc.code, **out}
    # an open incident: the traffic of now; an old one: of when it was reported
    is_open = inc.state in ("received", "dispatched", "en_route", "on_scene")
    at = (
        service.parse_at(body.at)
        if body.at
        else _local_time(utcnow() if is_open else inc.reported_at)
    )
    out = service.recommend(
        net, forces, (inc.lon, inc.lat), k=body.k, at=at, max_snap_m=body.max_snap_m, lang=lang
    )
    if is_open and not body.at:
        straight.remember((inc.lon, inc.lat), out["units"], forces)
    return {"incident_id": inc.id, "code": inc.code, **out}


# --------------------------------------------------------------- OGC features (cached)
_feature_cache: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
_feature_lock = threading.Lock()


def _cache_key(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _cached(key: str, make: Any) -> list[dict[str, Any]]:
    with _feature_lock:
        hit = _feature_cache.get(key)
        if hit is not None:
            _feature_cache.move_to_end(key)
            return hit
    feats: list[dict[str, Any]] = make()
    with _feature_lock:
        _feature_cache[key] = feats
        while len(_feature_cache) > 64:
            _feature_cache.popitem(last=False)
    return feats


def _params(params: dict[str, str]) -> tuple[list[float], dt.time | None, str, str]:
    standards = service.parse_standards(params.get("standard") or "60,180,300")
    at = service.parse_at(params.get("at"))
    mode = service.check_mode(params.get("mode") or "car")
    sources = params.get("sources") or "posts"
    return standards, at, mode, sources


def _positions(
    session: Session, principal: Principal, data_dir: Path, sources: str
) -> tuple[RoadNetwork, data.Forces, str]:
    net = data.load_network(data_dir)
    src = _sources(data.load_forces(session, principal=principal), sources)
    mtime = data.network_path(data_dir).stat().st_mtime_ns
    positions = hashlib.sha256(
        np.concatenate([src.lon, src.lat]).tobytes() + str(mtime).encode()
    ).hexdigest()
    return net, src, positions


def isochrones_flow(
    session: Session, principal: Principal, *, data_dir: Path, params: dict[str, str]
) -> list[dict[str, Any]]:
    """The 1/3/5-minute (or given) areas reached from today's posts, one feature per
    standard; query parameters ``standard``, ``at``, ``mode``, ``sources``. Read from the
    layers kept on disk (:mod:`pingan.rapid_response.layers`), computed and kept when missing;
    the drawing is simplified, the areas are the raster's."""
    standards, at, mode, sources = _params(params)
    net = data.load_network(data_dir)
    src = _sources(data.load_forces(session, principal=principal), sources)
    feats = _layer_set(
        net, src, data_dir=data_dir, mode=mode, at=at, standards=standards, sources=sources
    )
    shown = at.strftime("%H:%M") if at else None
    return [{**f, "properties": {**f["properties"], "at": shown}} for f in feats]


def _layer_set(
    net: RoadNetwork,
    src: data.Forces,
    *,
    data_dir: Path,
    mode: str,
    at: dt.time | None,
    standards: Sequence[float],
    sources: str,
) -> list[dict[str, Any]]:
    key = layers.layer_key(
        net,
        data.network_path(data_dir),
        src.lon,
        src.lat,
        mode=mode,
        at=at,
        standards_s=standards,
        sources=sources,
    )
    store = layers.LayerStore.beside(data_dir)

    def make() -> list[dict[str, Any]]:
        kept = store.get(key) if sources == "posts" else None
        if kept is not None:
            return kept
        fld = service.field_from(net, src, mode=mode, at=at, what=sources)
        feats = layers.isochrone_layers(
            net, fld.time_s, standards, mode=mode, at=at, sources=fld.n_sources
        )
        if sources == "posts":  # units move all day: their areas are kept in memory only
            store.put(key, feats)
        return feats

    return _cached(_cache_key("iso", key), make)


def layers_precompute_flow(
    session: Session, principal: Principal, *, data_dir: Path
) -> dict[str, Any]:
    """The 1/3/5-minute layers from the scope's posts for every mode the page offers and every
    speed regime of the day, computed and kept where missing (the job ``coverage_layers`` and
    the demo build). Answers how many were computed and how many were kept already."""
    net = data.load_network(data_dir)
    src = _sources(data.load_forces(session, principal=principal), "posts")
    standards = service.parse_standards("60,180,300")
    store = layers.LayerStore.beside(data_dir)
    made = kept = 0
    started = time.monotonic()
    if len(src) == 0:
        return {"computed": 0, "kept": 0, "posts": 0, "seconds": 0.0}
    for mode in layers.PAGE_MODES:
        for at in layers.regime_times(net, mode):
            key = layers.layer_key(
                net,
                data.network_path(data_dir),
                src.lon,
                src.lat,
                mode=mode,
                at=at,
                standards_s=standards,
                sources="posts",
            )
            if store.has(key):
                kept += 1
                continue
            fld = service.field_from(net, src, mode=mode, at=at)
            feats = layers.isochrone_layers(
                net, fld.time_s, standards, mode=mode, at=at, sources=fld.n_sources
            )
            store.put(key, feats)
            made += 1
    return {
        "computed": made,
        "kept": kept,
        "posts": len(src),
        "seconds": round(time.monotonic() - started, 1),
    }


_day_cells: OrderedDict[tuple[str, str, dt.date], data.Points] = OrderedDict()


def _cells_of_the_day(session: Session, principal: Principal, lang: str) -> data.Points:
    """The scope's grid cells weighted by their incidents of the 365 whole local days before
    today: the same all day, so loaded once a day per scope and language (the year of
    incidents is the slow part of the layer, about a second on the demo city's SQLite)."""
    tz = zoneinfo.ZoneInfo(get_settings().timezone)
    today = dt.datetime.now(tz).date()
    key = (principal.jpath, lang, today)
    with _feature_lock:
        hit = _day_cells.get(key)
    if hit is not None:
        return hit
    midnight = dt.datetime.combine(today, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    cells = data.load_cells(session, principal=principal, lang=lang, until=midnight)
    with _feature_lock:
        _day_cells[key] = cells
        while len(_day_cells) > 64:
            _day_cells.popitem(last=False)
    return cells


def cells_flow(
    session: Session,
    principal: Principal,
    *,
    data_dir: Path,
    params: dict[str, str],
    lang: str = "zh-CN",
) -> list[dict[str, Any]]:
    """Every grid cell with its best time from the nearest post and its incidents of the 365
    whole local days before today."""
    standards, at, mode, sources = _params(params)
    net, src, pos = _positions(session, principal, data_dir, sources)
    cells = _cells_of_the_day(session, principal, lang)
    key = _cache_key(
        "cells",
        pos,
        mode,
        layers.speed_regime(net, mode, at),
        tuple(standards),
        sources,
        principal.jpath,
        lang,
        hashlib.sha256(cells.weight.tobytes() + cells.id.tobytes()).hexdigest(),
    )

    def make() -> list[dict[str, Any]]:
        fld = service.field_from(net, src, mode=mode, at=at, what=sources)
        return service.cell_features(net, fld, cells, standards)

    return _cached(key, make)


# --------------------------------------------------------------- siting
def optimise_flow(
    engine: Engine,
    principal: Principal,
    body: OptimiseRun,
    *,
    data_dir: Path,
    report: Report | None = None,
    candidates: siting.Candidates | None = None,
) -> dict[str, Any]:
    """Load demand, today's posts and candidates; solve MCLP; return the plan with the
    before/after table (and its GeoJSON)."""
    progress: Report = report or (lambda _f, _m: None)
    if body.keep_existing > body.posts:
        raise Invalid("keep_existing", f"{body.keep_existing} is more than posts {body.posts}")
    at = service.parse_at(body.at)
    with unit_of_work(engine, write=False) as s:
        net = data.load_network(data_dir)
        forces = data.load_forces(s, principal=principal)
        posts = forces.subset(np.isin(forces.kind, data.POST_KINDS))
        layers, cells = _layers(s, principal, body.history_days, "zh-CN")
        layers = [lay for lay in layers if not lay[1]]  # premises by kind: not needed here
        if candidates is None:
            if body.candidates == "road_nodes":
                candidates = siting.road_node_candidates(net, spacing_m=body.spacing_m)
            elif body.candidates == "premises":
                prem = data.load_premises(s, principal=principal)
                if len(prem) == 0:
                    raise Invalid("candidates", "no premises in your jurisdiction to use as sites")
                candidates = siting.point_candidates(
                    prem.lon.tolist(), prem.lat.tolist(), source="premises", labels=prem.code
                )
            else:
                if not body.sites:
                    raise Invalid("sites", "give [lon, lat] sites when candidates is 'sites'")
                candidates = siting.point_candidates(
                    [p[0] for p in body.sites], [p[1] for p in body.sites], source="file"
                )
    progress(0.02, f"{len(candidates)} candidate sites, {len(posts)} posts today")
    return siting.optimise(
        net,
        candidates=candidates,
        existing=posts,
        demand=cells,
        layers=layers,
        n_posts=body.posts,
        standard_s=body.standard_s,
        keep_existing=body.keep_existing,
        mode=body.mode,
        at=at,
        method=body.method,
        time_limit_s=body.time_limit_s,
        progress=progress,
    )


# --------------------------------------------------------------- live coverage
_DEMAND_TTL_S = 600.0
_demand_cache: dict[tuple[str, str, int], tuple[float, live.Demand, live.Sites]] = {}
_demand_lock = threading.Lock()


def _demand_and_sites(
    session: Session, principal: Principal, net: RoadNetwork, lang: str
) -> tuple[live.Demand, live.Sites]:
    """The caller's demand (cells, key areas) and candidate sites, kept ten minutes."""
    key = (principal.jpath or "/", lang, id(net))
    now = time.monotonic()
    with _demand_lock:
        hit = _demand_cache.get(key)
    if hit is not None and now - hit[0] < _DEMAND_TTL_S:
        return hit[1], hit[2]
    cells = data.load_cells(session, principal=principal, lang=lang)
    key_areas = data.load_key_areas(session, principal=principal, lang=lang)
    demand = live.make_demand(net, cells, key_areas)
    stations = data.load_stations(session, principal=principal, lang=lang)
    sites = live.make_sites(net, *stations, lang=lang)
    with _demand_lock:
        if len(_demand_cache) > 32:
            _demand_cache.clear()
        _demand_cache[key] = (now, demand, sites)
    return demand, sites


def live_coverage_flow(
    session: Session, principal: Principal, *, data_dir: Path, lang: str = "zh-CN"
) -> dict[str, Any]:
    """Live 1-3-5 minute coverage from the available units where they stand now (units on a
    move-up where they were sent), with move-up suggestions (see :mod:`live`)."""
    net = data.load_network(data_dir)
    forces = data.load_forces(session, principal=principal)
    avail = forces.subset((forces.status == "available") & (forces.kind != "drone_base"))
    targets = data.load_moveup_targets(session, principal=principal)
    lon, lat = avail.lon.copy(), avail.lat.copy()
    for i, uid in enumerate(avail.id.tolist()):
        if uid in targets:
            lon[i], lat[i] = targets[uid]
    units = data.Forces(
        avail.id,
        avail.code,
        avail.name_zh,
        avail.name_en,
        avail.kind,
        avail.status,
        lon,
        lat,
        avail.speed_kph,
        avail.range_m,
    )
    demand, sites = _demand_and_sites(session, principal, net, lang)
    at = _local_time(utcnow())
    bucket = at.hour * 4 + at.minute // 15
    key = _cache_key(
        "live",
        hashlib.sha256(units.id.tobytes() + lon.tobytes() + lat.tobytes()).hexdigest(),
        "".join(units.kind.tolist()),
        demand.key,
        bucket,
        lang,
        principal.jpath,
    )
    t0 = time.perf_counter()
    out = live.cached(key, lambda: live.live_coverage(net, units, demand, sites, at=at, lang=lang))
    return out | {
        "available": len(avail),
        "busy": int(((forces.status != "available") & (forces.kind != "drone_base")).sum()),
        "served_ms": round((time.perf_counter() - t0) * 1000, 1),
    }
