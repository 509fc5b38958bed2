"""API shapes of duty checklists: templates, overrides, the scheduler and tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Instant

__all__ = [
    "ChecklistTaskPage",
    "ChecklistTaskRead",
    "CompletionRead",
    "OverrideIn",
    "OverrideRead",
    "ScheduleIn",
    "ScheduleOut",
    "TaskDoneIn",
    "TemplateCreate",
    "TemplateRead",
]


class TemplateCreate(BaseModel):
    """A bureau-level checklist template."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64, examples=["school_gate"])
    name_zh: str = Field(min_length=1, max_length=200, examples=["护学岗上下学时段值守"])
    name_en: str = Field(min_length=1, max_length=200, examples=["School-gate duty"])
    description: str = Field(default="", max_length=2_000)
    role: str = Field(default="community_officer", max_length=32)
    frequency: Literal["daily", "weekly", "monthly", "quarterly"]
    times: list[str] = Field(default_factory=list, max_length=12, examples=[["07:30", "16:30"]])
    weekday: int = Field(default=0, ge=0, le=6)
    day_of_month: int = Field(default=1, ge=1, le=31)
    window_min: int = Field(default=60, ge=1, le=1440)
    target: Literal["station", "officer", "cell", "premises"]
    premises_kind: str | None = Field(default=None, max_length=32)


class TemplateRead(BaseModel):
    """A checklist template."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    role: str
    frequency: str
    times: str
    weekday: int
    day_of_month: int
    window_min: int
    target: str
    premises_kind: str | None
    active: bool


class OverrideIn(BaseModel):
    """A station's adjustment of a template: disable it, or change frequency/times/day."""

    model_config = ConfigDict(extra="forbid")

    disabled: bool = False
    frequency: Literal["daily", "weekly", "monthly", "quarterly"] | None = None
    times: list[str] | None = Field(default=None, max_length=12)
    weekday: int | None = Field(default=None, ge=0, le=6)
    day_of_month: int | None = Field(default=None, ge=1, le=31)


class OverrideRead(BaseModel):
    """A stored override."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    template_id: int
    station_id: int
    disabled: bool
    frequency: str | None
    times: str | None
    weekday: int | None
    day_of_month: int | None


class ScheduleIn(BaseModel):
    """Which local day to materialise (default today in the bureau's time zone)."""

    model_config = ConfigDict(extra="forbid")

    day: dt.date | None = None


class ScheduleOut(BaseModel):
    """What a scheduler run did: ``existing`` counts tasks a previous run already created."""

    day: dt.date
    created: int
    existing: int
    missed: int
    message: str


class ChecklistTaskRead(BaseModel):
    """A checklist task in a queue."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    template_id: int
    station_id: int
    assignee_id: int | None
    target_kind: str
    target_id: int
    day: dt.date
    slot: str
    due_at: dt.datetime
    close_at: dt.datetime
    state: str
    done_at: dt.datetime | None
    note: str
    name_zh: str = ""
    name_en: str = ""


class ChecklistTaskPage(BaseModel):
    """A page of checklist tasks."""

    items: list[ChecklistTaskRead]
    total: int
    limit: int
    offset: int


class TaskDoneIn(BaseModel):
    """Mark a task done, with an optional note."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2_000)
    at: Instant | None = None
    """when it was done (a phone that was offline sends it later); default now"""


class CompletionRead(BaseModel):
    """A station's checklist completion per template and overall."""

    station_id: int
    since: str
    until: str
    templates: list[dict[str, Any]]
    overall: dict[str, Any]
    how: str
