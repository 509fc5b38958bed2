"""API shapes of the field app."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DutyIn",
    "FieldMe",
    "FieldPatrolItem",
    "FieldPatrolWindow",
    "FieldPatrols",
    "FieldUnitRead",
    "LinkIn",
]


class FieldUnitRead(BaseModel):
    """The unit an officer's phone reports positions for."""

    id: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    status: str
    lon: float | None
    lat: float | None
    position_at: dt.datetime | None


class FieldMe(BaseModel):
    """Who is using the phone, his unit and whether he is on duty (positions are shared then)."""

    user_id: int
    username: str
    display_name: str
    role: str
    unit: FieldUnitRead | None
    on_duty: bool
    duty_since: dt.datetime | None
    position_interval_s: int = 30
    """how often the phone reports its position while on duty (less often when still)"""


class DutyIn(BaseModel):
    """The on-duty / off-duty switch."""

    model_config = ConfigDict(extra="forbid")
    on_duty: bool


class LinkIn(BaseModel):
    """Link an officer to the unit whose position his phone reports."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(min_length=1, max_length=64)


class LinkRead(BaseModel):
    """An officer's link to his unit, as stored."""

    username: str
    unit_code: str
    resource_id: int
    on_duty: bool


class FieldPatrolItem(BaseModel):
    """A point (post), line (route) or area (grid cell) of a patrol plan that is the officer's
    (assigned to him or to his unit)."""

    id: int
    kind: str
    mode: str
    label: str
    stops: int
    first_at: dt.datetime | None
    """when the first stop is planned (a post or an area: the window's start)"""
    duration_s: float
    lon: float | None
    lat: float | None


class FieldPatrolWindow(BaseModel):
    """One published time block of his station's plan today, with his items in it."""

    plan_id: int
    station_code: str
    station_name_zh: str
    station_name_en: str
    block: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    now: bool
    items: list[FieldPatrolItem]


class FieldPatrols(BaseModel):
    """Today's (local day) patrol windows of the officer's station and his posts in them."""

    day: dt.date
    windows: list[FieldPatrolWindow]
