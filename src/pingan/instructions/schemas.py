"""API shapes of instructions, their notices and attachments."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from pingan.inputs import Id, Instant

__all__ = [
    "InstructionCreate",
    "InstructionDetail",
    "InstructionPage",
    "InstructionRead",
    "QueueItem",
    "QueuePage",
    "RecipientIn",
    "RecipientRead",
    "ReportIn",
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
    at: Instant | None = None
    """when the officer reported (a phone that was offline sends it later); default now"""


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
    at: Instant | None = None
    """when the step was taken (a phone that was offline sends it later); default now"""


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
