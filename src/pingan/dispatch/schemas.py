"""API shapes of dispatch: assignments, their transitions, notes, the incident detail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pingan.incidents.schemas import IncidentRead

__all__ = [
    "AssignmentCreate",
    "AssignmentRead",
    "AssignmentTransitionIn",
    "IncidentDetail",
    "MoveUpCreate",
    "MoveUpRead",
    "MoveUpTransitionIn",
    "NoteIn",
]


class AssignmentCreate(BaseModel):
    """Send a unit to the incident: ``{"resource_id": 12}``."""

    model_config = ConfigDict(extra="forbid")

    resource_id: int = Field(ge=1, le=2**31 - 1, examples=[12])
    note: str = Field(default="", max_length=2_000)


class AssignmentTransitionIn(BaseModel):
    """Move an assignment: ``{"to_state": "on_scene"}``."""

    model_config = ConfigDict(extra="forbid")

    to_state: Literal["en_route", "on_scene", "cleared", "cancelled"]
    note: str = Field(default="", max_length=2_000)


class AssignmentRead(BaseModel):
    """A unit sent to an incident, with its state, timestamps and the ETA by road when sent."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    resource_id: int
    resource_code: str = ""
    resource_name: str = ""
    resource_kind: str = ""
    state: str
    eta_s: float | None
    dispatched_at: dt.datetime
    en_route_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    cleared_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    dispatcher_id: int | None
    dispatcher: str | None = None
    allowed_transitions: list[str] = []
    route: dict[str, Any] | None = None
    """the route (GeoJSON LineString) the unit was expected to take when sent"""

    @field_validator("route", mode="before")
    @classmethod
    def _route_json(cls, v: Any) -> Any:
        """The stored route is GeoJSON text."""
        return json.loads(v) if isinstance(v, str) else v


class NoteIn(BaseModel):
    """A note on the incident's timeline."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4_000)


class IncidentDetail(IncidentRead):
    """One incident with the units sent to it."""

    assignments: list[AssignmentRead] = Field(default_factory=list)
    repeats: list[dict[str, Any]] = Field(default_factory=list)
    cameras: list[dict[str, Any]] = Field(default_factory=list)
    disputes: list[dict[str, Any]] = Field(default_factory=list)
    """the place's dispute history: disputes within 150 m, newest first (parties never listed)"""


class MoveUpCreate(BaseModel):
    """Send an available unit to stand somewhere else to restore coverage (a move-up)."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, examples=[102.71])
    lat: float = Field(ge=-90, le=90, examples=[25.04])
    label: str = Field(default="", max_length=200)
    gain: float | None = Field(default=None, ge=0, le=1e12)
    travel_s: float | None = Field(default=None, ge=0, le=1e7)


class MoveUpTransitionIn(BaseModel):
    """Move a move-up: ``{"to_state": "arrived"}`` or ``"cancelled"``."""

    model_config = ConfigDict(extra="forbid")

    to_state: Literal["arrived", "cancelled"]


class MoveUpRead(BaseModel):
    """A move-up: the unit, where it was sent, its state and times."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    state: str
    label: str
    lon: float
    lat: float
    from_lon: float | None
    from_lat: float | None
    gain: float | None
    travel_s: float | None
    sent_at: dt.datetime
    arrived_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    dispatcher_id: int | None
