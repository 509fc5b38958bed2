"""API and CLI shapes of patrol plans (input models forbid unknown fields)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Day, Id
from pingan.patrols.models import PatrolItem, PatrolPlan

__all__ = [
    "GenerateIn",
    "ItemActualRead",
    "ItemRead",
    "ItemUpdate",
    "PlanActualRead",
    "PlanRead",
    "PlanSummary",
    "PublishIn",
    "item_read",
    "plan_summary",
]


class GenerateIn(BaseModel):
    """Make (or remake) a station's plan for one time block of one day."""

    model_config = ConfigDict(extra="forbid")
    station_id: Id
    day: Day
    block: int = Field(ge=0, le=3, description="0: 00-06, 1: 06-12, 2: 12-18, 3: 18-24 (local)")
    n_cells: int = Field(
        80, ge=5, le=400, description="hot cells to plan for (at least; 15 per foot team or car)"
    )
    time_limit_s: float = Field(3.0, gt=0, le=30, description="search time per mode")


class PublishIn(BaseModel):
    """Publish the plan (or take it back to draft)."""

    model_config = ConfigDict(extra="forbid")
    published: bool = True


class ItemUpdate(BaseModel):
    """Assign a unit or an officer to an item, or rename it."""

    model_config = ConfigDict(extra="forbid")
    resource_id: Id | None = None
    officer_id: Id | None = None
    clear_officer: bool = False
    label: str | None = Field(None, min_length=1, max_length=200)


class PlanSummary(BaseModel):
    """A plan in a list."""

    id: int
    station_id: int
    day: dt.date
    block: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    prize: float
    bound: float
    created_by: str


class ItemRead(BaseModel):
    """A point, line or area; ``feature`` is its GeoJSON Feature (drones: ``sector`` too)."""

    id: int
    kind: str
    mode: str
    label: str
    resource_id: int | None
    officer_id: int | None
    officer_name: str | None = None
    stops: list[dict[str, Any]]
    duration_s: float
    prize: float
    range_m: float | None
    geometry: dict[str, Any]
    sector: list[list[float]] | None = None


class PlanRead(PlanSummary):
    """A plan with its items and hot cells, and how it was made."""

    station_code: str
    station_name: str
    hot_cells: list[dict[str, Any]]
    items: list[ItemRead]
    how: str


class ItemActualRead(BaseModel):
    """Planned against actual for one unit's item."""

    item_id: int
    resource_id: int
    kind: str
    mode: str
    label: str
    stops_planned: int
    stops_visited: int
    visited_share: float | None
    visited: list[bool]
    positions: int
    hot_cell_s: float


class PlanActualRead(BaseModel):
    """Planned against actual for a plan: per item, and the shares over the plan."""

    plan_id: int
    stops_planned: int
    stops_visited: int
    visited_share: float | None
    hot_cell_s: float
    items: list[ItemActualRead]
    how: str


def plan_summary(p: PatrolPlan) -> PlanSummary:
    return PlanSummary(
        id=p.id,
        station_id=p.station_id,
        day=p.day,
        block=p.block,
        starts_at=p.starts_at,
        ends_at=p.ends_at,
        status=p.status,
        prize=p.prize,
        bound=p.bound,
        created_by=p.created_by,
    )


def item_read(
    i: PatrolItem, *, officer_name: str | None = None, sector: list[list[float]] | None = None
) -> ItemRead:
    return ItemRead(
        id=i.id,
        kind=i.kind,
        mode=i.mode,
        label=i.label,
        resource_id=i.resource_id,
        officer_id=i.officer_id,
        officer_name=officer_name,
        stops=json.loads(i.stops),
        duration_s=i.duration_s,
        prize=i.prize,
        range_m=i.range_m,
        geometry=json.loads(i.geometry),
        sector=sector,
    )
