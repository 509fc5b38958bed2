"""Patrol plans: reads, the generation of a block's plan from the forecast, assignment changes
and planned against actual. Keyword-only; never commits (the flows do)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.errors import Conflict, Invalid, NotFound, PermissionDenied
from pingan.geo.crs import LocalProjection
from pingan.jurisdictions.models import Jurisdiction
from pingan.patrols import planner, tracking
from pingan.patrols.models import PatrolItem, PatrolPlan
from pingan.patrols.planner import (
    BUDGET_S,
    CELL_M,
    DWELL_S,
    F64,
    VISIT_RADIUS_M,
    WINDOW_SLACK_S,
    block_window,
)
from pingan.patrols.schemas import (
    ItemActualRead,
    PlanActualRead,
    PlanRead,
    item_read,
    plan_summary,
)
from pingan.resources.models import Resource, ResourcePosition

__all__ = [
    "BUDGET_S",
    "DWELL_S",
    "ItemActual",
    "actual_read",
    "block_window",
    "delete_plan",
    "generate",
    "get_item_or_raise",
    "get_plan_or_raise",
    "items_of",
    "list_plans",
    "plan_read",
    "planned_vs_actual",
    "publish",
    "sector",
    "station_or_raise",
    "tracks",
    "update_item",
]

# --- reads -------------------------------------------------------------------------------


def station_or_raise(session: Session, *, principal: Principal, station: int | str) -> Jurisdiction:
    """A station by id or code, in the caller's scope (else ``NotFound``)."""
    q = select(Jurisdiction).where(Jurisdiction.level == "station")
    if isinstance(station, int):
        q = q.where(Jurisdiction.id == station)
    else:
        q = q.where(Jurisdiction.code == station)
    j = session.scalars(q).first()
    if j is None or not principal.can_see(j.path):
        raise NotFound(f"station {station} does not exist or is outside your jurisdiction")
    return j


def list_plans(
    session: Session,
    *,
    principal: Principal,
    station_id: int | None = None,
    day: dt.date | None = None,
    limit: int = 100,
) -> list[PatrolPlan]:
    """Plans in the caller's scope, newest day first."""
    q = select(PatrolPlan).where(scope_clause(principal, PatrolPlan.jpath))
    if station_id is not None:
        q = q.where(PatrolPlan.station_id == station_id)
    if day is not None:
        q = q.where(PatrolPlan.day == day)
    q = q.order_by(PatrolPlan.day.desc(), PatrolPlan.station_id, PatrolPlan.block).limit(limit)
    return list(session.scalars(q))


def get_plan_or_raise(session: Session, *, principal: Principal, plan_id: int) -> PatrolPlan:
    """The plan if it exists in scope, else ``NotFound``."""
    p = session.get(PatrolPlan, plan_id)
    if p is None or not principal.can_see(p.jpath):
        raise NotFound(f"patrol plan {plan_id} does not exist or is outside your jurisdiction")
    return p


def items_of(session: Session, *, plan_id: int) -> list[PatrolItem]:
    """The plan's items: areas, points, then lines (by unit)."""
    order = {"area": 0, "point": 1, "line": 2}
    rows = list(session.scalars(select(PatrolItem).where(PatrolItem.plan_id == plan_id)))
    return sorted(rows, key=lambda i: (order.get(i.kind, 3), i.mode, i.id))


def get_item_or_raise(
    session: Session, *, principal: Principal, item_id: int
) -> tuple[PatrolItem, PatrolPlan]:
    """An item and its plan, in scope (else ``NotFound``)."""
    it = session.get(PatrolItem, item_id)
    plan = None if it is None else session.get(PatrolPlan, it.plan_id)
    if it is None or plan is None or not principal.can_see(plan.jpath):
        raise NotFound(f"patrol item {item_id} does not exist or is outside your jurisdiction")
    return it, plan


CELLS_PER_UNIT = 15
"""Hot cells offered per foot team or car, so that every unit has work (``n_cells`` at least)."""
MAX_CELLS = 400


def generate(
    session: Session,
    *,
    principal: Principal,
    station: Jurisdiction,
    day: dt.date,
    block: int,
    data_dir: Path,
    n_cells: int = 80,
    time_limit_s: float = 3.0,
    max_iterations: int | None = None,
    no_improvement: int | None = None,
    memo: planner.PlanMemo | None = None,
) -> PatrolPlan:
    """(Re)make the station's plan for a block: hot cells from the forecast, one route per foot
    team and per car (PyVRP on road travel times from the station house), one drone sortie per
    drone whose base reaches the station (air distance at the drone's speed, battery as the
    budget, cells within its range), the posts as points, the three grid cells with most prize
    as areas for their community officers. The hot cells offered are the top ``n_cells``, or 15
    per foot team and car when that is more (at most 400). A published plan is refused (409).
    ``no_improvement`` stops each search after that many iterations without a better answer;
    ``memo`` shares the day's incidents between the blocks of a station (the nightly job)."""
    start, end = block_window(day, block)
    old = session.scalars(
        select(PatrolPlan).where(
            PatrolPlan.station_id == station.id, PatrolPlan.day == day, PatrolPlan.block == block
        )
    ).first()
    if old is not None and old.status == "published":
        raise Conflict(f"the plan of {station.code} {day} block {block} is published; unpublish it")
    planner.station_site(station)
    units = list(
        session.scalars(
            select(Resource)
            .where(Resource.station_id == station.id, Resource.status != "off_duty")
            .order_by(Resource.id)
        )
    )
    n_lines = sum(1 for u in units if u.kind in planner.LINE_KINDS)
    want = min(MAX_CELLS, max(n_cells, CELLS_PER_UNIT * n_lines))
    cells = planner.hot_cells(
        session,
        principal=principal,
        station=station,
        day=day,
        block=block,
        n_cells=want,
        memo=memo,
    )
    if old is not None:
        session.execute(delete(PatrolItem).where(PatrolItem.plan_id == old.id))
        plan = old
    else:
        plan = PatrolPlan(station_id=station.id, jpath=station.path, day=day, block=block)
        session.add(plan)
    plan.starts_at, plan.ends_at, plan.status = start, end, "draft"
    plan.created_by = principal.username
    plan.hot_cells = json.dumps(cells.features())
    session.flush()
    block_s = (end - start).total_seconds()
    ground = planner.ground_lines(
        session,
        plan_id=plan.id,
        station=station,
        units=units,
        cells=cells,
        data_dir=data_dir,
        time_limit_s=time_limit_s,
        max_iterations=max_iterations,
        no_improvement=no_improvement,
    )
    air = planner.drone_lines(
        session,
        principal=principal,
        plan_id=plan.id,
        station=station,
        cells=cells,
        time_limit_s=time_limit_s,
        max_iterations=max_iterations,
        no_improvement=no_improvement,
    )
    items = [
        *planner.post_points(plan.id, units, block_s),
        *ground.items,
        *air.items,
        *planner.grid_areas(
            session, plan_id=plan.id, station=station, cells=cells, block_s=block_s
        ),
    ]
    session.add_all(items)
    plan.prize = round(ground.prize, 4)
    plan.bound = round(ground.bound, 4)
    plan.how = " ".join([cells.how, *(ground.hows or []), *(air.hows or [])])
    session.flush()
    record(
        session,
        actor=principal.actor,
        action="patrol.plan.generate",
        entity="patrol_plan",
        entity_id=plan.id,
        jpath=plan.jpath,
        detail={
            "station": station.code,
            "day": day.isoformat(),
            "block": block,
            "items": len(items),
            "hot_cells": int(cells.prize.size),
            "prize": plan.prize,
        },
    )
    return plan


def publish(session: Session, *, principal: Principal, plan: PatrolPlan, published: bool) -> None:
    """Publish a plan (the cards go out) or take it back to draft; audited."""
    plan.status = "published" if published else "draft"
    record(
        session,
        actor=principal.actor,
        action="patrol.plan.publish" if published else "patrol.plan.unpublish",
        entity="patrol_plan",
        entity_id=plan.id,
        jpath=plan.jpath,
    )


def delete_plan(session: Session, *, principal: Principal, plan: PatrolPlan) -> None:
    """Delete a draft plan (a published one is refused: 409); audited."""
    if plan.status == "published":
        raise Conflict(f"patrol plan {plan.id} is published; unpublish it before deleting")
    session.execute(delete(PatrolItem).where(PatrolItem.plan_id == plan.id))
    session.delete(plan)
    record(
        session,
        actor=principal.actor,
        action="patrol.plan.delete",
        entity="patrol_plan",
        entity_id=plan.id,
        jpath=plan.jpath,
    )


def update_item(
    session: Session,
    *,
    principal: Principal,
    item_id: int,
    resource_id: int | None = None,
    officer_id: int | None = None,
    label: str | None = None,
    clear_officer: bool = False,
) -> PatrolItem:
    """Assign a unit or an officer to an item (both must be in the plan's station); audited."""
    it, plan = get_item_or_raise(session, principal=principal, item_id=item_id)
    if plan.status == "published":
        raise Conflict(f"patrol plan {plan.id} is published; unpublish it to change assignments")
    changes: dict[str, Any] = {}
    if resource_id is not None:
        u = session.get(Resource, resource_id)
        if u is None or not u.jpath.startswith(plan.jpath):
            raise Invalid("resource_id", f"unit {resource_id} is not a unit of this station")
        it.resource_id = resource_id
        changes["resource_id"] = resource_id
    if officer_id is not None:
        user = session.get(User, officer_id)
        j = None if user is None else session.get(Jurisdiction, user.jurisdiction_id or 0)
        if user is None or j is None or not j.path.startswith(plan.jpath):
            raise Invalid("officer_id", f"user {officer_id} is not an officer of this station")
        it.officer_id = officer_id
        changes["officer_id"] = officer_id
    elif clear_officer:
        it.officer_id = None
        changes["officer_id"] = None
    if label is not None:
        it.label = label
        changes["label"] = label
    if not changes:
        raise Invalid("body", "nothing to change: give resource_id, officer_id or label")
    if not principal.can_see(plan.jpath):
        raise PermissionDenied("outside your jurisdiction")
    record(
        session,
        actor=principal.actor,
        action="patrol.item.update",
        entity="patrol_item",
        entity_id=it.id,
        jpath=plan.jpath,
        detail=changes,
    )
    return it


# --- planned against actual ----------------------------------------------------------------


@dataclass(frozen=True)
class ItemActual:
    """Planned against actual for one item with a unit."""

    item_id: int
    resource_id: int
    kind: str
    mode: str
    label: str
    stops_planned: int
    stops_visited: int
    visited: list[bool]
    positions: int
    hot_cell_s: float

    @property
    def share(self) -> float | None:
        return None if self.stops_planned == 0 else self.stops_visited / self.stops_planned


def _positions(
    session: Session, resource_ids: list[int], since: dt.datetime, until: dt.datetime
) -> dict[int, tuple[F64, F64, F64]]:
    rows = session.execute(
        select(
            ResourcePosition.resource_id,
            ResourcePosition.at,
            ResourcePosition.lon,
            ResourcePosition.lat,
        )
        .where(
            ResourcePosition.resource_id.in_(resource_ids),
            ResourcePosition.at >= since,
            ResourcePosition.at < until,
        )
        .order_by(ResourcePosition.resource_id, ResourcePosition.at)
    ).all()
    out: dict[int, list[tuple[float, float, float]]] = {}
    for rid, at, lon, lat in rows:
        out.setdefault(int(rid), []).append((at.timestamp(), float(lon), float(lat)))
    return {k: tuple(np.array(c) for c in zip(*v, strict=True)) for k, v in out.items()}  # type: ignore[misc]


def planned_vs_actual(
    session: Session, *, principal: Principal, plan: PatrolPlan
) -> list[ItemActual]:
    """Per item with a unit: stops visited inside their window (±30 min of the planned
    presence, within 180 m), and the time the unit's track spent in the plan's hot cells."""
    from pingan.crime_analysis.data import city_projection

    items = [i for i in items_of(session, plan_id=plan.id) if i.resource_id is not None]
    if not items:
        return []
    proj = city_projection(session)
    since = plan.starts_at - dt.timedelta(seconds=WINDOW_SLACK_S)
    until = plan.ends_at + dt.timedelta(seconds=WINDOW_SLACK_S)
    rids = sorted({int(i.resource_id) for i in items if i.resource_id is not None})
    tracks_by = _positions(session, rids, since, until)
    cells = json.loads(plan.hot_cells)
    cell_xy = np.array([[c["x0"], c["y0"]] for c in cells]).reshape(-1, 2)
    t0 = plan.starts_at.timestamp()
    out = []
    for it in items:
        assert it.resource_id is not None
        stops = json.loads(it.stops)
        t, lon, lat = tracks_by.get(it.resource_id, (np.zeros(0), np.zeros(0), np.zeros(0)))
        x, y = proj.forward(lon, lat) if t.size else (np.zeros(0), np.zeros(0))
        txy = np.column_stack([x, y])
        if stops:
            sx, sy = proj.forward([s["lon"] for s in stops], [s["lat"] for s in stops])
            win = np.array(
                [
                    [
                        t0 + s["arrive_s"] - WINDOW_SLACK_S,
                        t0 + s["arrive_s"] + s["dwell_s"] + WINDOW_SLACK_S,
                    ]
                    for s in stops
                ]
            )
            radius = 100.0 if it.kind == "point" else VISIT_RADIUS_M
            seen = tracking.visited(np.column_stack([sx, sy]), win, t, txy, radius_m=radius)
        else:
            seen = np.zeros(0, dtype=bool)
        in_block = (t >= t0) & (t < plan.ends_at.timestamp())
        hot = tracking.time_in_cells_s(
            t[in_block], txy[in_block], cell_xy, cell_m=CELL_M, until_s=plan.ends_at.timestamp()
        )
        out.append(
            ItemActual(
                item_id=it.id,
                resource_id=it.resource_id,
                kind=it.kind,
                mode=it.mode,
                label=it.label,
                stops_planned=len(stops),
                stops_visited=int(seen.sum()),
                visited=[bool(v) for v in seen],
                positions=int(t.size),
                hot_cell_s=round(hot, 1),
            )
        )
    return out


def tracks(session: Session, *, principal: Principal, plan: PatrolPlan) -> dict[str, Any]:
    """The block's position tracks of the plan's units as GeoJSON LineStrings."""
    items = [i for i in items_of(session, plan_id=plan.id) if i.resource_id is not None]
    rids = sorted({int(i.resource_id) for i in items if i.resource_id is not None})
    by = _positions(session, rids, plan.starts_at, plan.ends_at) if rids else {}
    mode = {int(i.resource_id): i.mode for i in items if i.resource_id is not None}
    feats = []
    for rid, (t, lon, lat) in by.items():
        if t.size < 2:
            continue
        feats.append(
            {
                "type": "Feature",
                "id": rid,
                "properties": {"resource_id": rid, "mode": mode.get(rid, ""), "n": int(t.size)},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [round(float(a), 6), round(float(b), 6)]
                        for a, b in zip(lon, lat, strict=True)
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def sector(item: PatrolItem, plan_hot: LocalProjection) -> list[list[float]] | None:
    """A drone line's sector ring (its range around the base), None for others."""
    if item.mode != "drone" or item.range_m is None:
        return None
    lon, lat = json.loads(item.geometry)["coordinates"][0]
    return planner.circle(plan_hot, lon, lat, item.range_m)


# --- shapes for the API and the CLI ----------------------------------------------------------


def plan_read(session: Session, *, principal: Principal, plan: PatrolPlan) -> PlanRead:
    """The plan with its items (officers' display names, drones' sectors) and hot cells."""
    from pingan.crime_analysis.data import city_projection

    st = session.get(Jurisdiction, plan.station_id)
    items = items_of(session, plan_id=plan.id)
    ids = {i.officer_id for i in items if i.officer_id is not None}
    names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())  # type: ignore[arg-type]
        if ids
        else {}
    )
    proj = city_projection(session)
    base = plan_summary(plan).model_dump()
    return PlanRead(
        **base,
        station_code=st.code if st else "",
        station_name=st.name_zh if st else "",
        hot_cells=json.loads(plan.hot_cells),
        items=[
            item_read(i, officer_name=names.get(i.officer_id or 0), sector=sector(i, proj))
            for i in items
        ],
        how=plan.how,
    )


def actual_read(session: Session, *, principal: Principal, plan: PatrolPlan) -> PlanActualRead:
    """Planned against actual for the whole plan."""
    rows = planned_vs_actual(session, principal=principal, plan=plan)
    planned = sum(r.stops_planned for r in rows if r.kind == "line")
    seen = sum(r.stops_visited for r in rows if r.kind == "line")
    return PlanActualRead(
        plan_id=plan.id,
        stops_planned=planned,
        stops_visited=seen,
        visited_share=None if planned == 0 else round(seen / planned, 4),
        hot_cell_s=round(sum(r.hot_cell_s for r in rows if r.kind == "line"), 1),
        items=[
            ItemActualRead(
                item_id=r.item_id,
                resource_id=r.resource_id,
                kind=r.kind,
                mode=r.mode,
                label=r.label,
                stops_planned=r.stops_planned,
                stops_visited=r.stops_visited,
                visited_share=None if r.share is None else round(r.share, 4),
                visited=r.visited,
                positions=r.positions,
                hot_cell_s=r.hot_cell_s,
            )
            for r in rows
        ],
        how=(
            f"A stop is visited when a position of its unit lies within {VISIT_RADIUS_M:g} m of "
            f"its centre (posts: 100 m) between {WINDOW_SLACK_S / 60:g} minutes before its "
            "planned arrival and as long after its planned departure. Time in hot cells: each "
            "position holds until the next (at most 5 minutes) and counts when it lies in one of "
            "the plan's hot cells. Shares over the lines (routes) only."
        ),
    )
