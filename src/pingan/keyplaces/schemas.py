"""API shapes of the key places: school posts, check-ins and compliance, police rooms, the
inspection form and its submission, rectification orders."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Id, Instant

__all__ = [
    "CheckinCreate",
    "CheckinRead",
    "ComplianceRead",
    "FormItem",
    "InspectionDue",
    "InspectionForm",
    "InspectionItemIn",
    "InspectionRead",
    "InspectionSubmit",
    "InspectionsDue",
    "OrderEventRead",
    "OrderPage",
    "OrderRead",
    "OrderStep",
    "PhotoRead",
    "PostCompliance",
    "PostCreate",
    "PostRead",
    "RoomRead",
    "ShiftStart",
    "SlotRead",
    "StationCompliance",
]

WINDOWS_PATTERN = r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2}){0,5}$"


class PostCreate(BaseModel):
    """A school gate post: the school, the gate's point (default: the school's), the radius of a
    valid check-in, the duty windows and the school days."""

    model_config = ConfigDict(extra="forbid")
    premises_id: Id
    code: str | None = Field(default=None, min_length=1, max_length=64)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    radius_m: float = Field(default=100.0, ge=10, le=1000)
    windows: str = Field(
        default="07:30-08:10,16:30-17:30",
        pattern=WINDOWS_PATTERN,
        description="local duty windows, e.g. 07:30-08:10,16:30-17:30",
    )
    school_days: str = Field(
        default="12345", pattern=r"^[1-7]{1,7}$", description="ISO weekdays, 12345 = Mon-Fri"
    )


class PostRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    premises_id: int
    lon: float
    lat: float
    radius_m: float
    windows: str
    school_days: str
    station_id: int | None
    active: bool


class CheckinCreate(BaseModel):
    """Where the officer stands (WGS-84, from the phone)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class CheckinRead(BaseModel):
    id: int
    post_id: int
    post_name: str
    officer: str | None
    at: dt.datetime
    day: dt.date
    window: str
    distance_m: float
    already: bool = False


class SlotRead(BaseModel):
    """One duty window of a post on the day: due (started), staffed (checked in)."""

    window: str
    due: bool
    staffed: bool
    checkins: list[CheckinRead]


class PostCompliance(BaseModel):
    post: PostRead
    school_day: bool
    slots: list[SlotRead]


class StationCompliance(BaseModel):
    station_id: int | None
    station_code: str | None
    station_name: str | None
    due: int
    staffed: int
    share: float | None


class ComplianceRead(BaseModel):
    """Posts staffed / due per station on one local day."""

    day: dt.date
    due: int
    staffed: int
    share: float | None
    stations: list[StationCompliance]
    posts: list[PostCompliance]


class ShiftStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=200)


class RoomRead(BaseModel):
    """A hospital police room: who is on duty now, hours staffed against hours due (7 days)."""

    id: int
    premises_id: int
    premises_name: str
    name: str
    phone: str
    staffed_from: str
    staffed_to: str
    station_id: int | None
    on_duty: list[str]
    staffed_h_7d: float
    required_h_7d: float


class FormItem(BaseModel):
    code: str
    label: str
    label_en: str
    max: float


class InspectionForm(BaseModel):
    """The checklist of a premises' inspection: the criteria items of its kind an inspector
    checks on site."""

    premises_id: int
    premises_name: str
    kind: str
    criteria_version: str
    lon: float
    lat: float
    items: list[FormItem]


class InspectionDue(BaseModel):
    """A premises whose inspection is due: never inspected, its latest inspection found issues
    (a re-inspection), or the latest passed one leaves the criteria's window by ``due_by``."""

    premises_id: int
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    last_at: dt.datetime | None
    last_outcome: str | None
    due_by: dt.datetime | None
    """when the latest passed inspection leaves the window (None: due now)"""
    reason: Literal["never", "issues_found", "expires"]


class InspectionsDue(BaseModel):
    """The premises due an inspection in the caller's cells, most urgent first, with the
    checklist of each kind among them (so that a phone can inspect them with no network)."""

    total: int
    window_days: int
    soon_days: int
    criteria_version: str
    items: list[InspectionDue]
    forms: dict[str, list[FormItem]]


class InspectionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    result: Literal["pass", "fail", "na"]
    note: str = Field(default="", max_length=500)


class InspectionSubmit(BaseModel):
    """An inspection on site: each item pass, fail or not applicable; a failed item opens a
    rectification order for ``owner`` due in ``deadline_days``."""

    model_config = ConfigDict(extra="forbid")
    items: list[InspectionItemIn] = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=2000)
    inspected_at: Instant | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    owner: str = Field(default="", max_length=200)
    deadline_days: int = Field(default=7, ge=1, le=90)


class PhotoRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    url: str


class InspectionRead(BaseModel):
    id: int
    premises_id: int
    inspected_at: dt.datetime
    officer: str | None
    outcome: str
    note: str
    lon: float | None
    lat: float | None
    items: list[InspectionItemIn]
    photos: list[PhotoRead]
    orders: list[str]
    stars: int | None = None


class OrderEventRead(BaseModel):
    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    actor: str | None
    note: str


class OrderRead(BaseModel):
    id: int
    code: str
    premises_id: int
    premises_name: str
    inspection_id: int | None
    item_code: str
    item_label: str
    problem: str
    owner: str
    assignee: str | None
    deadline: dt.date
    state: str
    late: bool
    escalation_level: int
    report: str
    issued_at: dt.datetime
    signed_at: dt.datetime | None
    reported_at: dt.datetime | None
    accepted_at: dt.datetime | None
    next: list[str]
    photos: list[PhotoRead] = []
    events: list[OrderEventRead] = []


class OrderPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[OrderRead]


class OrderStep(BaseModel):
    """A step of an order: ``sign`` (the owner signed for it), ``report`` (what was fixed;
    text required, photos uploaded first), ``accept`` or ``reject`` (the station; a note says
    what is still wrong)."""

    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=1000)
