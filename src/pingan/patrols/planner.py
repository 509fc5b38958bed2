"""How a patrol plan is made: the block's hot cells from the forecast, and its points (posts),
lines (routes of foot teams, cars and drones, solved by :class:`pingan.coverage.PatrolRoutes`)
and areas (grid cells). Reads the store, writes nothing: ``service.generate`` stores the items."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.geo.crs import LocalProjection
from pingan.jurisdictions.models import Jurisdiction
from pingan.patrols.models import BLOCKS, PatrolItem
from pingan.resources.models import Resource

F64 = NDArray[np.float64]

CELL_M = 250.0
HISTORY_DAYS = 91
DWELL_S: dict[str, float] = {"foot": 600.0, "car": 300.0, "drone": 120.0}
"""Time spent at each hot cell: on foot a 10-minute presence, by car 5, a drone hovers 2."""
BUDGET_S: dict[str, float] = {"foot": 5.5 * 3600.0, "car": 5.5 * 3600.0}
"""A shift's route budget: the 6-hour block less a 30-minute briefing and hand-over."""
DRONE_ENDURANCE_FACTOR = 2.5
"""A drone sortie may last 2.5 × the time to fly out to its range: out, back and hovering."""
WINDOW_SLACK_S = 1800.0
"""A stop counts as visited within ±30 minutes of its planned presence."""
VISIT_RADIUS_M = 180.0
"""A position within this distance of a stop's centre visits it (a 250 m cell's half diagonal)."""
LINE_KINDS: dict[str, str] = {"foot_team": "foot", "patrol_car": "car", "motorcycle": "car"}
POST_KINDS: tuple[str, ...] = ("fixed_post", "mobile_kiosk")
AREA_MARGIN_M = 1500.0
"""Routes run on the roads of the station's hot cells' bounding box widened by 1.5 km."""


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def block_window(day: dt.date, block: int) -> tuple[dt.datetime, dt.datetime]:
    """The block's start and end in UTC (blocks are local hours: 0-6, 6-12, 12-18, 18-24)."""
    if block not in range(len(BLOCKS)):
        raise Invalid("block", f"{block}: use 0 (00-06), 1 (06-12), 2 (12-18) or 3 (18-24)")
    h0, h1 = BLOCKS[block]
    z = _zone()
    start = dt.datetime.combine(day, dt.time(h0), tzinfo=z)
    end = dt.datetime.combine(day, dt.time(0), tzinfo=z) + dt.timedelta(hours=h1)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# --- what the four blocks of a station share ---------------------------------------------


@dataclass
class PlanMemo:
    """What the plans of one day share (the nightly job makes four blocks per station): the
    incidents of the 91 days before the day's first block, per station, read once and cut per
    block; the city projection. Road travel times are memoised by the kernel itself
    (:func:`pingan.coverage.road_travel_matrix`, per network and area). Keep one per run."""

    frames: dict[tuple[int, dt.date], Any] = field(default_factory=dict)
    projection: LocalProjection | None = None


def _block_incidents(
    session: Session,
    *,
    principal: Principal,
    station: Jurisdiction,
    day: dt.date,
    block: int,
    memo: PlanMemo | None,
) -> tuple[Any, NDArray[np.bool_]]:
    """The incident frame and the mask of the block's history: reported in the 91 days before
    the block starts, at the block's hours. With a memo the day's frame is read once per
    station (from 91 days before block 0 to the start of block 3) and cut here."""
    from pingan.crime_analysis.data import load_incidents

    start, _ = block_window(day, block)
    since = start - dt.timedelta(days=HISTORY_DAYS)
    h0, h1 = BLOCKS[block]
    if memo is None:
        frame = load_incidents(
            session, principal=principal, since=since, until=start, jurisdiction_path=station.path
        )
        return frame, (frame.hour >= h0) & (frame.hour < h1)
    key = (station.id, day)
    cached = memo.frames.get(key)
    if cached is not None:
        frame = cached
    else:
        first, _ = block_window(day, 0)
        last, _ = block_window(day, len(BLOCKS) - 1)
        frame = memo.frames[key] = load_incidents(
            session,
            principal=principal,
            since=first - dt.timedelta(days=HISTORY_DAYS),
            until=last,
            jurisdiction_path=station.path,
        )
    t0, t1 = int(since.timestamp()), int(start.timestamp())
    keep = (frame.hour >= h0) & (frame.hour < h1) & (frame.t_s >= t0) & (frame.t_s < t1)
    return frame, keep


# --- hot cells -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HotCells:
    """The block's hot cells of a station: aligned squares of ``CELL_M`` in ``proj``."""

    x0: F64
    y0: F64
    prize: F64
    lon: F64
    lat: F64
    proj: LocalProjection
    n_incidents: int
    how: str

    def features(self) -> list[dict[str, Any]]:
        out = []
        for k in range(self.prize.size):
            xs = [self.x0[k], self.x0[k] + CELL_M, self.x0[k] + CELL_M, self.x0[k], self.x0[k]]
            ys = [self.y0[k], self.y0[k], self.y0[k] + CELL_M, self.y0[k] + CELL_M, self.y0[k]]
            lo, la = self.proj.inverse(np.array(xs), np.array(ys))
            out.append(
                {
                    "cell": f"{int(self.x0[k] // CELL_M)}:{int(self.y0[k] // CELL_M)}",
                    "rank": k + 1,
                    "prize": float(f"{self.prize[k]:.4g}"),
                    "lon": round(float(self.lon[k]), 6),
                    "lat": round(float(self.lat[k]), 6),
                    "x0": float(self.x0[k]),
                    "y0": float(self.y0[k]),
                    "ring": [[round(a, 6), round(b, 6)] for a, b in zip(lo, la, strict=True)],
                }
            )
        return out


def _station_polygon(station: Jurisdiction) -> shapely.Geometry:
    if not station.geometry:
        raise Invalid("station", f"station {station.code} has no polygon")
    return shapely.from_geojson(station.geometry)


def hot_cells(
    session: Session,
    *,
    principal: Principal,
    station: Jurisdiction,
    day: dt.date,
    block: int,
    n_cells: int = 80,
    memo: PlanMemo | None = None,
) -> HotCells:
    """The station's hot cells for a time block: a prospective KDE forecast
    (:class:`pingan.analytics.KDEForecaster`, 200 m bandwidth, 30-day time scale) fitted on the
    incidents of that block's hours in the 91 days before ``day``, on 250 m cells whose centre
    lies in the station. The prize of a cell is its expected incidents in one block. ``memo``
    shares the station's incidents and the projection between the blocks of one day."""
    from pingan.analytics import Grid, KDEForecaster
    from pingan.crime_analysis.data import city_projection

    start, _ = block_window(day, block)
    frame, keep = _block_incidents(
        session, principal=principal, station=station, day=day, block=block, memo=memo
    )
    h0, h1 = BLOCKS[block]
    if memo is not None and memo.projection is None:
        memo.projection = city_projection(session)
    proj = memo.projection if memo is not None and memo.projection else city_projection(session)
    poly = _station_polygon(station)
    w, s_, e, n = poly.bounds
    xs, ys = proj.forward([w, e, w, e], [s_, s_, n, n])
    x0, y0 = math.floor(min(xs) / CELL_M) * CELL_M, math.floor(min(ys) / CELL_M) * CELL_M
    x1, y1 = math.ceil(max(xs) / CELL_M) * CELL_M, math.ceil(max(ys) / CELL_M) * CELL_M
    grid = Grid((x0, y0, x1, y1), CELL_M)
    ny, nx = grid.shape
    cx = x0 + (np.arange(nx) + 0.5) * CELL_M
    cy = y0 + (np.arange(ny) + 0.5) * CELL_M
    gx, gy = np.meshgrid(cx, cy)
    glon, glat = proj.inverse(gx.ravel(), gy.ravel())
    inside = shapely.contains_xy(poly, glon, glat)
    n_inc = int(keep.sum())
    if n_inc < 3:
        empty = np.zeros(0)
        return HotCells(empty, empty, empty, empty, empty, proj, n_inc, "too few incidents")
    t_days = (frame.t_s[keep] - int(start.timestamp())) / 86_400.0
    model = KDEForecaster(grid, window_days=float(HISTORY_DAYS)).fit(
        frame.x_m[keep], frame.y_m[keep], t_days, t_now=0.0
    )
    assert model.surface_ is not None
    score = np.where(inside, model.surface_.ravel(), 0.0)
    total = float(score.sum())
    if total <= 0:
        empty = np.zeros(0)
        return HotCells(empty, empty, empty, empty, empty, proj, n_inc, "no incident in the area")
    per_block = n_inc / HISTORY_DAYS
    expect = score / total * per_block
    order = np.argsort(-expect, kind="stable")[:n_cells]
    order = order[expect[order] > 0]
    return HotCells(
        x0=gx.ravel()[order] - CELL_M / 2,
        y0=gy.ravel()[order] - CELL_M / 2,
        prize=expect[order],
        lon=glon[order],
        lat=glat[order],
        proj=proj,
        n_incidents=n_inc,
        how=(
            f"Prospective KDE (200 m bandwidth, 30-day decay) of the {n_inc} incidents reported "
            f"between {h0:02d}:00 and {h1:02d}:00 in the {HISTORY_DAYS} days before {day} in "
            f"{station.name_zh}; the top {order.size} cells of {CELL_M:g} m, the prize of each "
            "its expected incidents in one block."
        ),
    )


# --- generation ----------------------------------------------------------------------------


def _point(lon: float, lat: float) -> str:
    return json.dumps({"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]})


def circle(proj: LocalProjection, lon: float, lat: float, radius_m: float) -> list[list[float]]:
    cx, cy = proj.forward([lon], [lat])
    a = np.linspace(0, 2 * np.pi, 49)
    lo, la = proj.inverse(cx[0] + radius_m * np.sin(a), cy[0] + radius_m * np.cos(a))
    return [[round(float(x), 6), round(float(y), 6)] for x, y in zip(lo, la, strict=True)]


def _officers(session: Session, station: Jurisdiction) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
            .where(
                User.role == "community_officer",
                User.is_active.is_(True),
                Jurisdiction.path.startswith(station.path, autoescape=True),
            )
            .order_by(User.id)
        )
    )


def _route_stops(
    route: list[int], travel: F64, dwell: float, cells: HotCells, sites: NDArray[np.int64]
) -> tuple[list[dict[str, Any]], float]:
    """Stops with arrival offsets along a route (matrix row 0 = depot, k+1 = candidate k)."""
    stops, at, prev = [], 0.0, 0
    for s in route:
        at += float(travel[prev, s])
        k = int(sites[s - 1])
        stops.append(
            {
                "cell": f"{int(cells.x0[k] // CELL_M)}:{int(cells.y0[k] // CELL_M)}",
                "lon": round(float(cells.lon[k]), 6),
                "lat": round(float(cells.lat[k]), 6),
                "x0": float(cells.x0[k]),
                "y0": float(cells.y0[k]),
                "arrive_s": round(at, 1),
                "dwell_s": dwell,
                "prize": float(f"{cells.prize[k]:.4g}"),
            }
        )
        at += dwell
        prev = s
    return stops, at + float(travel[prev, 0]) if route else 0.0


@dataclass
class Made:
    """Items made for a plan, with the prize they collect, the bound and how."""

    items: list[PatrolItem]
    prize: float = 0.0
    bound: float = 0.0
    hows: list[str] | None = None


def _area_nodes(
    net: Any, node: NDArray[np.int64], *, margin_m: float, station: Jurisdiction | None = None
) -> NDArray[np.bool_]:
    """Road nodes in the bounding box of ``node`` widened by ``margin_m``. With the station,
    the box is its polygon's (and ``node[0]``'s, the station house) widened by ``margin_m``,
    plus any of ``node`` beyond it: the same mask for each of its blocks (the hot cells lie in
    the station), so the kernel's memoised travel times serve all four."""
    from pingan.coverage import node_xy_m

    xy = node_xy_m(net)
    px, py = xy[node, 0], xy[node, 1]
    if station is not None and station.geometry:
        w, s_, e, n = _station_polygon(station).bounds
        bx, by = net.projection.forward([w, e, w, e], [s_, s_, n, n])
        px, py = np.concatenate([px[:1], bx]), np.concatenate([py[:1], by])
    mask: NDArray[np.bool_] = (
        (xy[:, 0] >= px.min() - margin_m)
        & (xy[:, 0] <= px.max() + margin_m)
        & (xy[:, 1] >= py.min() - margin_m)
        & (xy[:, 1] <= py.max() + margin_m)
    )
    mask[node] = True
    return mask


def station_site(station: Jurisdiction) -> tuple[float, float]:
    """The station house (the area's centroid when none is recorded)."""
    site = (station.site_lon, station.site_lat)
    if site[0] is None or site[1] is None:
        site = (station.centroid_lon, station.centroid_lat)
    if site[0] is None or site[1] is None:
        raise Invalid("station", f"station {station.code} has no station-house position")
    return float(site[0]), float(site[1])


def post_points(plan_id: int, units: list[Resource], block_s: float) -> list[PatrolItem]:
    """The station's posts stand for the whole block."""
    out = []
    for u in units:
        if u.kind in POST_KINDS and u.lon is not None and u.lat is not None:
            stop = {"lon": u.lon, "lat": u.lat, "arrive_s": 0.0, "dwell_s": block_s, "prize": 0.0}
            out.append(
                PatrolItem(
                    plan_id=plan_id,
                    kind="point",
                    mode="foot",
                    label=u.name_zh,
                    resource_id=u.id,
                    geometry=_point(u.lon, u.lat),
                    stops=json.dumps([stop]),
                    duration_s=block_s,
                )
            )
    return out


def ground_lines(
    session: Session,
    *,
    plan_id: int,
    station: Jurisdiction,
    units: list[Resource],
    cells: HotCells,
    data_dir: Path,
    time_limit_s: float,
    max_iterations: int | None,
    no_improvement: int | None = None,
) -> Made:
    """One route per foot team, then per car, from the station house on road travel times;
    cells on a foot route are left to the cars' prize-free list (each cell once)."""
    from pingan.coverage import PatrolRoutes, road_travel_matrix, snap_to_mode
    from pingan.rapid_response.data import load_network

    made = Made([], hows=[])
    if not cells.prize.size:
        return made
    slon, slat = station_site(station)
    officers = _officers(session, station)
    covered: set[int] = set()
    net = None
    sites = np.arange(cells.prize.size)
    for mode in ("foot", "car"):
        mine = [u for u in units if LINE_KINDS.get(u.kind) == mode]
        if not mine:
            continue
        if net is None:
            net = load_network(data_dir)
        lon = np.concatenate([[slon], cells.lon])
        lat = np.concatenate([[slat], cells.lat])
        node, walk = snap_to_mode(net, lon, lat, mode=mode)
        travel = road_travel_matrix(
            net,
            node,
            mode=mode,
            access_s=np.minimum(walk, 600.0),
            within=_area_nodes(net, node, margin_m=AREA_MARGIN_M, station=station),
        )
        prize = np.concatenate([[0.0], cells.prize])
        prize[1:][sorted(covered)] = 0.0  # cells already on a foot route: cars go elsewhere
        dwell = np.full(prize.size, DWELL_S[mode])
        r = (
            PatrolRoutes.from_cost_matrix(
                travel, prize, dwell, n_routes=len(mine), budget_s=BUDGET_S[mode]
            )
            .solve(
                time_limit_s=time_limit_s,
                max_iterations=max_iterations,
                no_improvement=no_improvement,
            )
            .result_
        )
        made.prize += r.prize
        made.bound += r.bound
        assert made.hows is not None
        made.hows.append(f"{mode}: {r.explanation}")
        for k, (u, route) in enumerate(zip(mine, r.routes, strict=True)):
            stops, dur = _route_stops(route, travel, DWELL_S[mode], cells, sites)
            covered.update(s - 1 for s in route)
            coords = [[slon, slat]] + [[s["lon"], s["lat"]] for s in stops] + [[slon, slat]]
            officer = officers[k % len(officers)].id if officers and mode == "foot" else None
            made.items.append(
                PatrolItem(
                    plan_id=plan_id,
                    kind="line",
                    mode=mode,
                    label=u.name_zh,
                    resource_id=u.id,
                    officer_id=officer,
                    geometry=json.dumps({"type": "LineString", "coordinates": coords}),
                    stops=json.dumps(stops),
                    duration_s=round(dur, 1),
                    prize=round(sum(s["prize"] for s in stops), 4),
                )
            )
    return made


def drone_lines(
    session: Session,
    *,
    principal: Principal,
    plan_id: int,
    station: Jurisdiction,
    cells: HotCells,
    time_limit_s: float,
    max_iterations: int | None,
    no_improvement: int | None = None,
) -> Made:
    """One sortie per drone, the drones of one base planned together (the station's bases, and
    another station's base whose range covers the station house and three or more of its hot
    cells): air distance at the drone's speed, cells
    within its range, the battery (``DRONE_ENDURANCE_FACTOR`` × range / speed) as the budget."""
    from pingan.coverage import PatrolRoutes, air_travel_s

    made = Made([], hows=[])
    if not cells.prize.size:
        return made
    drones = session.scalars(
        select(Resource)
        .where(
            Resource.kind == "drone",
            Resource.status != "off_duty",
            Resource.lon.is_not(None),
            scope_clause(principal, Resource.jpath),
        )
        .order_by(Resource.id)
    ).all()
    cx, cy = cells.proj.forward(cells.lon, cells.lat)
    sx, sy = cells.proj.forward(*(np.array([v]) for v in station_site(station)))
    groups: dict[tuple[float, float, float, float], list[Resource]] = {}
    for u in drones:  # drones of one base with the same range and speed fly one joint plan
        key = (round(float(u.lon or 0), 5), round(float(u.lat or 0), 5),
               float(u.range_m or 5000.0), float(u.speed_kph or 54.0))  # fmt: skip
        groups.setdefault(key, []).append(u)
    for (ulon, ulat, rng_m, speed_kph), group in groups.items():
        speed = speed_kph / 3.6
        bx, by = cells.proj.forward([ulon], [ulat])
        reach = np.flatnonzero(np.hypot(cx - bx[0], cy - by[0]) <= rng_m)
        home = float(np.hypot(sx[0] - bx[0], sy[0] - by[0])) <= rng_m
        ours = any(u.station_id == station.id for u in group)
        if reach.size == 0 or (not ours and (reach.size < 3 or not home)):
            continue  # out of range, or another station's base not over our station house
        xy = np.vstack([[bx[0], by[0]], np.column_stack([cx[reach], cy[reach]])])
        travel = air_travel_s(xy, speed_mps=speed)
        prize = np.concatenate([[0.0], cells.prize[reach]])
        budget = DRONE_ENDURANCE_FACTOR * rng_m / speed
        r = (
            PatrolRoutes.from_cost_matrix(
                travel,
                prize,
                np.full(prize.size, DWELL_S["drone"]),
                n_routes=len(group),
                budget_s=budget,
            )
            .solve(
                time_limit_s=min(time_limit_s, 1.0),
                max_iterations=max_iterations,
                no_improvement=no_improvement,
            )
            .result_
        )
        assert made.hows is not None
        made.hows.append(f"drones of the base at {ulon:.4f},{ulat:.4f}: {r.explanation}")
        for u, route in zip(group, r.routes, strict=True):
            stops, dur = _route_stops(route, travel, DWELL_S["drone"], cells, reach)
            coords = [[ulon, ulat]] + [[s["lon"], s["lat"]] for s in stops] + [[ulon, ulat]]
            made.items.append(
                PatrolItem(
                    plan_id=plan_id,
                    kind="line",
                    mode="drone",
                    label=u.name_zh,
                    resource_id=u.id,
                    geometry=json.dumps({"type": "LineString", "coordinates": coords}),
                    stops=json.dumps(stops),
                    duration_s=round(dur, 1),
                    prize=round(sum(s["prize"] for s in stops), 4),
                    range_m=rng_m,
                )
            )
    return made


def grid_areas(
    session: Session, *, plan_id: int, station: Jurisdiction, cells: HotCells, block_s: float
) -> list[PatrolItem]:
    """The three grid cells of the station holding most of the prize, for their owners."""
    grid = list(
        session.scalars(
            select(Jurisdiction).where(
                Jurisdiction.level == "cell",
                Jurisdiction.path.startswith(station.path, autoescape=True),
                Jurisdiction.geometry.is_not(None),
            )
        )
    )
    if not grid or not cells.prize.size:
        return []
    tree = shapely.STRtree([shapely.from_geojson(g.geometry) for g in grid])
    pi, gi = tree.query(shapely.points(cells.lon, cells.lat), predicate="within")
    mass = np.bincount(gi, weights=cells.prize[pi], minlength=len(grid))
    out = []
    for g in np.argsort(-mass, kind="stable")[:3]:
        if mass[g] <= 0:
            break
        cell = grid[int(g)]
        out.append(
            PatrolItem(
                plan_id=plan_id,
                kind="area",
                mode="foot",
                label=cell.name_zh,
                officer_id=cell.owner_id,
                geometry=cell.geometry or "{}",
                stops="[]",
                duration_s=block_s,
                prize=round(float(mass[g]), 4),
            )
        )
    return out
