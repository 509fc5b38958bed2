"""API shapes of dispatch: assignments, their transitions, notes, the incident detail."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.incidents.schemas import IncidentRead

__all__ = [
    "AssignmentCreate",
    "AssignmentRead",
    "AssignmentTransitionIn",
    "IncidentDetail",
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


class NoteIn(BaseModel):
    """A note on the incident's timeline."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4_000)


class IncidentDetail(IncidentRead):
    """One incident with the units sent to it."""

    assignments: list[AssignmentRead] = Field(default_factory=list)
    repeats: list[dict[str, Any]] = Field(default_factory=list)
    cameras: list[dict[str, Any]] = Field(default_factory=list)
