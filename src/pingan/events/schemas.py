"""API and CLI shapes of event security plans (input models forbid unknown fields)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingan.inputs import Id, Instant

__all__ = [
    "BoardRead",
    "CheckDone",
    "EventCreate",
    "EventRead",
    "EventSummary",
    "LogIn",
    "PostCreate",
    "PostKind",
    "PostPlace",
    "PostUpdate",
    "ReportRead",
    "Shift",
    "ZoneEdit",
]

EventKind = Literal["match", "concert", "exam", "festival"]


class EventCreate(BaseModel):
    """A new event: its venue (a key area, or a GeoJSON polygon), crowd and time line. The
    plan (zones, posts, detours, checks, checklist) is drawn up from these."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: EventKind
    key_area_id: Id | None = None
    venue: dict[str, Any] | None = Field(None, description="GeoJSON Polygon (WGS-84)")
    expected_crowd: int = Field(ge=1, le=2_000_000)
    arrival_at: Instant
    starts_at: Instant
    ends_at: Instant
    dispersal_until: Instant
    notes: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _order(self) -> EventCreate:
        if (self.key_area_id is None) == (self.venue is None):
            raise ValueError("give either key_area_id or venue")
        if not self.arrival_at <= self.starts_at < self.ends_at <= self.dispersal_until:
            raise ValueError("times: arrival_at <= starts_at < ends_at <= dispersal_until")
        if self.dispersal_until - self.arrival_at > dt.timedelta(days=14):
            raise ValueError("times: an event lasts at most 14 days from arrival to dispersal")
        return self


class PostUpdate(BaseModel):
    """Assign a unit or an officer to a post, or report it staffed."""

    model_config = ConfigDict(extra="forbid")
    resource_id: Id | None = None
    officer_id: Id | None = None
    staffed: bool | None = None


PostKind = Literal["post", "traffic", "service", "drone"]
Shift = Literal["arrival", "event", "dispersal"]


class PostCreate(BaseModel):
    """A post added to the plan: where it stands, for which shift; a drone sector has a
    radius. Units and officers are assigned afterwards (``PATCH /events/posts/{id}``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    kind: PostKind = "post"
    shift: Shift
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float | None = Field(None, gt=0, le=20_000)
    officers_needed: int = Field(2, ge=1, le=500)

    @model_validator(mode="after")
    def _radius(self) -> PostCreate:
        if self.kind == "drone" and self.radius_m is None:
            raise ValueError("radius_m: a drone sector needs its radius in metres")
        if self.kind != "drone" and self.radius_m is not None:
            raise ValueError("radius_m: only a drone sector has a radius")
        return self


class PostPlace(BaseModel):
    """Move or rename a post of the plan (leave a field out to keep it; lon and lat go
    together)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    radius_m: float | None = Field(None, gt=0, le=20_000)
    officers_needed: int | None = Field(None, ge=1, le=500)

    @model_validator(mode="after")
    def _both(self) -> PostPlace:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon: give lon and lat together to move a post")
        return self


class ZoneEdit(BaseModel):
    """A new shape for the perimeter or the control ring: a GeoJSON Polygon, or a buffer of
    ``buffer_m`` metres around the venue."""

    model_config = ConfigDict(extra="forbid")
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon (WGS-84)")
    buffer_m: float | None = Field(None, gt=0, le=10_000)

    @model_validator(mode="after")
    def _one(self) -> ZoneEdit:
        if (self.geometry is None) == (self.buffer_m is None):
            raise ValueError("geometry: give either geometry or buffer_m")
        return self


class CheckDone(BaseModel):
    """Mark a check or a checklist item done, with a note."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


class LogIn(BaseModel):
    """A line of the event log: a note or an instruction."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["note", "instruction"] = "note"
    text: str = Field(min_length=1, max_length=2000)


class EventSummary(BaseModel):
    """An event in a list."""

    id: int
    code: str
    name: str
    kind: str
    station_id: int
    expected_crowd: int
    arrival_at: dt.datetime
    starts_at: dt.datetime
    ends_at: dt.datetime
    dispersal_until: dt.datetime
    phase: str = Field(description="upcoming, live or past")


class EventRead(EventSummary):
    """An event with its plan: zones, posts by shift, checks, the checklist, the log."""

    venue: dict[str, Any]
    venue_lon: float
    venue_lat: float
    notes: str
    zones: list[dict[str, Any]]
    posts: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    log: list[dict[str, Any]]


class BoardRead(BaseModel):
    """The live board: incidents in the zones, units, posts staffed, 1-3-5 minute coverage."""

    event_id: int
    at: dt.datetime
    phase: str
    shift: str | None
    incidents: list[dict[str, Any]]
    incidents_by_zone: dict[str, int]
    units: list[dict[str, Any]]
    posts_total: int
    posts_staffed: int
    coverage: list[dict[str, Any]]
    log: list[dict[str, Any]]
    how: str


class ReportRead(BaseModel):
    """The after-action report."""

    event_id: int
    by_zone_hour: list[dict[str, Any]]
    hours: list[str]
    incidents: int
    response: dict[str, Any]
    staffing: list[dict[str, Any]]
    checks_done: int
    checks_total: int
    log_entries: int
    issues: list[str]
    issues_zh: list[str]
