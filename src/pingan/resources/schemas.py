"""API shapes of units."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Instant
from pingan.resources.models import ResourceKind

__all__ = ["PositionIn", "ResourceCreate", "ResourceRead", "StatusIn"]

Kind = ResourceKind


class ResourceCreate(BaseModel):
    """A new unit at its home station."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)
    kind: Kind
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    station_code: str
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    speed_kph: float | None = Field(default=None, gt=0, le=300)
    range_m: float | None = Field(default=None, gt=0, le=100_000)


class ResourceRead(BaseModel):
    """A unit with its status and last position."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    station_id: int
    status: str
    current_incident_id: int | None = None
    lon: float | None
    lat: float | None
    position_at: dt.datetime | None
    speed_kph: float | None
    range_m: float | None
    allowed_statuses: list[str] = []


class StatusIn(BaseModel):
    """A status change."""

    model_config = ConfigDict(extra="forbid")
    status: str
    note: str = Field(default="", max_length=500)


class PositionIn(BaseModel):
    """A position report (WGS-84 unless ``crs`` says otherwise)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["WGS84", "GCJ02", "BD09"] = "WGS84"
    at: Instant | None = None
