"""API shapes of incidents."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Instant
from pingan.schemas import Page

__all__ = [
    "IncidentCreate",
    "IncidentEventRead",
    "IncidentPage",
    "IncidentRead",
    "TransitionIn",
]

Crs = Literal["WGS84", "GCJ02", "BD09"]
Source = Literal["call_110", "online", "patrol", "camera", "walk_in", "drill"]


class IncidentCreate(BaseModel):
    """A new incident. Coordinates in ``crs`` (WGS84 default; GCJ02 for AMap, BD09 for Baidu)."""

    model_config = ConfigDict(extra="forbid")

    subtype: str = Field(min_length=1, max_length=40, examples=["pickpocketing"])
    lon: float = Field(ge=-180, le=180, examples=[102.7123])
    lat: float = Field(ge=-90, le=90, examples=[25.0406])
    crs: Crs = "WGS84"
    source: Source = "call_110"
    priority: int | None = Field(default=None, ge=1, le=4)
    reported_at: Instant | None = None
    summary: str = Field(default="", max_length=10_000)
    address_text: str | None = Field(default=None, max_length=300)
    caller_name: str | None = Field(default=None, max_length=100)
    caller_phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\-() ]{3,32}$")


class TransitionIn(BaseModel):
    """A lifecycle step, e.g. ``{"to_state": "dispatched", "note": "car 12"}``."""

    model_config = ConfigDict(extra="forbid")

    to_state: str = Field(min_length=1, max_length=16)
    note: str = Field(default="", max_length=2_000)
    at: Instant | None = None


class IncidentRead(BaseModel):
    """An incident as listed; the caller's contact data is masked."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    subtype: str
    klass: str
    priority: int
    source: str
    state: str
    summary: str
    address_text: str | None
    lon: float
    lat: float
    input_crs: str
    jurisdiction_id: int | None
    reported_at: dt.datetime
    dispatched_at: dt.datetime | None
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    repeat_of_id: int | None
    repeat_count: int
    created_by_id: int | None = None
    jpath: str | None = None
    """the jurisdiction path (``/bureau/district/station/…/``): a client filters by district"""
    caller_name_masked: str | None = None
    caller_phone_masked: str | None = None
    allowed_transitions: list[str] = []


class IncidentEventRead(BaseModel):
    """One timeline entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    actor_id: int | None
    note: str


class IncidentPage(Page[IncidentRead]):
    """A page of incidents. ``total`` counts the matches up to 10,000
    (:data:`pingan.incidents.service.COUNT_CAP`): past that ``total_exact`` is false and
    ``total`` is 10,000 (a lower bound); bound the list by ``since``/``until`` or a filter
    for the exact number."""

    total_exact: bool = Field(
        default=True,
        description="false when the matches were counted only up to 10,000 (total is then "
        "a lower bound)",
    )
