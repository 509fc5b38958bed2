"""API shapes of instructions and duty checklists."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from pingan.inputs import Day, Id, Instant

__all__ = [
    "ChecklistTaskPage",
    "ChecklistTaskRead",
    "InstructionCreate",
    "InstructionDetail",
    "InstructionPage",
    "InstructionRead",
    "OverrideIn",
    "QueueItem",
    "QueuePage",
    "RecipientIn",
    "RecipientRead",
    "ReportIn",
    "ScheduleIn",
    "ScheduleOut",
    "TaskDoneIn",
    "TemplateCreate",
    "TemplateRead",
]

Priority = Literal["low", "normal", "high", "urgent"]
LinkKind = Literal["incident", "warning", "dispute", "premises"]


class RecipientIn(BaseModel):
    """A recipient: a station, a unit, an officer (user id), or a district (every station)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["station", "unit", "officer", "district"]
    id: Id


class InstructionCreate(BaseModel):
    """A new instruction. Deadlines need a timezone; ``link_kind``/``link_id`` is a shorthand
    for one of the ``*_id`` links (the warning list sends it)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    title: str = Field(min_length=1, max_length=200, examples=["核查辖区电动车盗窃高发点"])
    text: str = Field(
        min_length=1,
        max_length=10_000,
        validation_alias=AliasChoices("text", "body"),
        examples=["近一周电动车被盗 9 起，请组织夜间巡查并反馈。"],
    )
    priority: Priority = "normal"
    recipients: list[RecipientIn] = Field(min_length=1, max_length=500)
    sign_by: Instant
    complete_by: Instant
    incident_id: Id | None = None
    warning_id: Id | None = None
    dispute_id: Id | None = None
    premises_id: Id | None = None
    link_kind: LinkKind | None = None
    link_id: Id | None = None

    @model_validator(mode="after")
    def _link(self) -> InstructionCreate:
        if (self.link_kind is None) != (self.link_id is None):
            raise ValueError("give link_kind and link_id together")
        if self.link_kind is not None:
            setattr(self, f"{self.link_kind}_id", self.link_id)
        return self


class ReportIn(BaseModel):
    """A report-back (反馈): what was done, optionally where (``crs`` of the point) and photos
    uploaded before with ``recipient_id``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=10_000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: Literal["WGS84", "GCJ02", "BD09"] = "WGS84"
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20)


class RecipientTransitionIn(BaseModel):
    """One step of a recipient: ``signed``, ``in_progress``, ``accepted``, ``returned`` (with a
    note) or ``closed``; ``reported`` needs the report fields (or use ``/report``)."""

    model_config = ConfigDict(extra="forbid")

    to_state: str = Field(min_length=1, max_length=16)
    note: str = Field(default="", max_length=2_000)
    text: str | None = Field(default=None, max_length=10_000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20)


class RecipientRead(BaseModel):
    """One recipient's state and timestamps."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    instruction_id: int
    kind: str
    station_id: int | None
    resource_id: int | None
    officer_id: int | None
    state: str
    sign_by: dt.datetime
    complete_by: dt.datetime
    signed_at: dt.datetime | None
    started_at: dt.datetime | None
    first_reported_at: dt.datetime | None
    reported_at: dt.datetime | None
    accepted_at: dt.datetime | None
    closed_at: dt.datetime | None
    rework_count: int
    report_text: str | None
    report_lon: float | None
    report_lat: float | None
    sign_overdue: bool
    complete_overdue: bool
    overdue: bool = False
    allowed_transitions: list[str] = []
    name_zh: str = ""
    name_en: str = ""


class InstructionRead(BaseModel):
    """An instruction with a count of its recipients per state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title: str
    text: str
    priority: str
    issuer_id: int
    issuer_level: str
    sign_by: dt.datetime
    complete_by: dt.datetime
    incident_id: int | None
    warning_id: int | None
    dispute_id: int | None
    premises_id: int | None
    recipient_count: int
    created_at: dt.datetime
    status_counts: dict[str, int] = {}
    recipients: list[RecipientRead] = []


class AttachmentRead(BaseModel):
    """An attachment's metadata (download it from ``/attachments/{id}``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    instruction_id: int
    recipient_id: int | None
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: dt.datetime


class InstructionDetail(InstructionRead):
    """One instruction with its (visible) recipients and attachments."""

    attachments: list[AttachmentRead] = []


class InstructionEventRead(BaseModel):
    """One timeline entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    recipient_id: int | None
    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    actor_id: int | None
    note: str


class InstructionPage(BaseModel):
    """A page of instructions."""

    items: list[InstructionRead]
    total: int
    limit: int
    offset: int


class QueueItem(BaseModel):
    """A recipient row with its instruction's summary (a queue or board line)."""

    recipient: RecipientRead
    instruction_id: int
    code: str
    title: str
    priority: str
    issuer_level: str
    created_at: dt.datetime


class QueuePage(BaseModel):
    """A page of queue or board lines."""

    items: list[QueueItem]
    total: int
    limit: int
    offset: int


class RatesRead(BaseModel):
    """On-time sign and completion counts and rates, with how they are computed."""

    recipients: int
    signed: int
    signed_on_time: int
    sign_due: int
    sign_rate: float | None
    reported: int
    reported_on_time: int
    complete_due: int
    completion_rate: float | None
    overdue_open: int
    how: str


class NoticeRead(BaseModel):
    """An escalation notice to the issuing office."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    instruction_id: int
    recipient_id: int
    message_zh: str
    message_en: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NoticePage(BaseModel):
    """A page of notices."""

    items: list[NoticeRead]
    total: int
    limit: int
    offset: int


class NoticesReadOut(BaseModel):
    """What marking every notice read did."""

    marked: int
    message: str


class EscalateOut(BaseModel):
    """What an escalation pass did."""

    sign_overdue: int
    complete_overdue: int
    message: str


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

    day: Day | None = None


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


class CompletionRead(BaseModel):
    """A station's checklist completion per template and overall."""

    station_id: int
    since: str
    until: str
    templates: list[dict[str, Any]]
    overall: dict[str, Any]
    how: str
