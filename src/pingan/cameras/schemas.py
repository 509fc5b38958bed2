"""API shapes of the camera registry, its import report, coverage figures and siting."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pingan.inputs import Id, refuse_null
from pingan.schemas import Page

__all__ = [
    "CameraCreate",
    "CameraPage",
    "CameraRead",
    "CameraUpdate",
    "FiguresRead",
    "ImportReport",
    "Owner",
    "Resolution",
    "SitingRequest",
    "Status",
]

Status = Literal["online", "offline", "maintenance", "retired"]
Resolution = Literal["sd", "hd", "uhd"]
Owner = Literal["public", "social"]
Crs = Literal["WGS84", "GCJ02", "BD09"]


class CameraCreate(BaseModel):
    """A new camera. ``fov_deg`` 360 is a dome; the heading is clockwise from north."""

    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = "WGS84"
    heading_deg: float = Field(ge=0, lt=360)
    fov_deg: float = Field(gt=0, le=360)
    range_m: float = Field(gt=0, le=1000)
    resolution: Resolution = "hd"
    owner: Owner = "public"
    status: Literal["online", "offline", "maintenance"] = "online"
    premises_id: Id | None = None


class CameraUpdate(BaseModel):
    """Changes to a camera (leave a field out to keep it). Retire with ``/retire``."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    fov_deg: float | None = Field(default=None, gt=0, le=360)
    range_m: float | None = Field(default=None, gt=0, le=1000)
    resolution: Resolution | None = None
    owner: Owner | None = None
    status: Literal["online", "offline", "maintenance"] | None = None
    premises_id: Id | None = None

    @field_validator(
        "lon", "lat", "heading_deg", "fov_deg", "range_m", "resolution", "owner", "status"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return refuse_null(value)


class RetireIn(BaseModel):
    """Why a camera is taken off the network."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300)


class CameraRead(BaseModel):
    """A camera as listed."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str | None
    lon: float
    lat: float
    heading_deg: float
    fov_deg: float
    range_m: float
    resolution: str
    owner: str
    status: str
    station_id: int | None
    premises_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime | None
    retired_at: dt.datetime | None


class CameraPage(Page[CameraRead]):
    """A page of cameras."""


class Reject(BaseModel):
    """One row of an import that was not taken, with the field and the reason."""

    row: int
    code: str | None
    field: str
    reason: str


class ImportReport(BaseModel):
    """What an import did: rows read, created, updated, rejected (each with its reason)."""

    format: str
    rows: int
    created: int
    updated: int
    rejected: int
    rejects: list[Reject]
    dry_run: bool


class Figure(BaseModel):
    """Camera figures of one area (a station or a key area), with how they were made."""

    id: int
    code: str
    name: str
    cameras: int
    working: int
    down: int
    incidents: int
    incidents_seen: int
    incidents_seen_share: float | None
    road_m: float
    road_seen_m: float
    road_seen_share: float | None


class FiguresRead(BaseModel):
    """Camera figures per station and per key area, and for the whole scope."""

    history_days: int
    since: dt.datetime
    total: Figure
    stations: list[Figure]
    key_areas: list[Figure]
    explanation: dict[str, str]


class SitingRequest(BaseModel):
    """Place ``n_cameras`` new cameras over candidate sites × headings."""

    model_config = ConfigDict(extra="forbid")
    n_cameras: int = Field(default=20, ge=1, le=500)
    station_id: Id | None = None
    headings: int = Field(default=8, ge=1, le=36, description="headings tried per site")
    fov_deg: float = Field(default=90, gt=0, le=360)
    range_m: float = Field(default=80, gt=0, le=300)
    max_sites: int = Field(default=1500, ge=10, le=20_000, description="candidate sites kept")
    history_days: int = Field(default=365, ge=1, le=3650)
    time_limit_s: float = Field(default=10, gt=0, le=120)
