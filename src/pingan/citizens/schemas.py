"""Shapes of the citizen services' API (public forms, staff queues, Open311)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Id

__all__ = [
    "ComplaintIn",
    "ComplaintPage",
    "ComplaintRead",
    "ComplaintTransitionIn",
    "MergeIn",
    "NearbyReport",
    "NoticeIn",
    "OfficerProfileIn",
    "ReplyIn",
    "ReportIn",
    "ReportPage",
    "ReportRead",
    "StayIn",
    "StayRead",
    "StayReviewIn",
    "TrackReply",
    "TrackView",
    "TriageIn",
]

PHONE = r"^1[3-9][0-9]{9}$"


class ReportIn(BaseModel):
    """A citizen's online report (the public form; photos come beside it)."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=32)
    description: str = Field(min_length=1, max_length=4_000)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address_text: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, pattern=PHONE)
    consent: bool = False


class ComplaintIn(BaseModel):
    """A complaint about police conduct (the public form)."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=32)
    station_code: str | None = Field(default=None, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    officer_text: str | None = Field(default=None, max_length=200)
    occurred_on: dt.date | None = None
    description: str = Field(min_length=10, max_length=4_000)
    phone: str | None = Field(default=None, pattern=PHONE)
    consent: bool = False


class TrackReply(BaseModel):
    """A public reply as the tracking page shows it."""

    at: dt.datetime
    text: str


class TrackView(BaseModel):
    """What ``/track/<code>`` shows: no personal data, no staff names."""

    code: str
    kind: Literal["report", "complaint"]
    category: str
    state: str
    """public state: received, in_progress, done, closed, merged (reports); received, accepted,
    investigating, concluded, rejected (complaints)"""
    created_at: dt.datetime
    updated_at: dt.datetime
    station: str
    station_phone: str
    merged_into: str | None = None
    referred_to: str | None = None
    """the body a referred report was passed to"""
    replies: list[TrackReply]


class NearbyReport(BaseModel):
    """An open online report of the same kind near a place ("is this yours?")."""

    category: str
    reported_at: dt.datetime
    distance_m: int
    state: str
    address: str | None


class ReportRead(BaseModel):
    """An online report in the station's queue (contact masked)."""

    id: int
    code: str
    incident_id: int
    incident_code: str
    category: str
    subtype: str
    subtype_zh: str = ""
    subtype_en: str = ""
    state: str
    summary: str
    address_text: str | None
    lon: float
    lat: float
    channel: str
    photos: int
    phone_masked: str | None
    replies: list[dict[str, object]]
    created_at: dt.datetime
    repeat_of_id: int | None
    triage: str = "pending"
    """pending, accepted, merged, referred, rejected"""
    triage_reason: str | None = None
    referred_to: str | None = None
    triaged_at: dt.datetime | None = None


class ReportPage(BaseModel):
    """A page of online reports."""

    items: list[ReportRead]
    total: int
    limit: int
    offset: int


class ReplyIn(BaseModel):
    """A reply to a citizen: public (shown on the tracking page) or internal."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2_000)
    public: bool = True


class MergeIn(BaseModel):
    """Merge a report into another incident (a duplicate)."""

    model_config = ConfigDict(extra="forbid")

    into_incident_id: Id


class TriageIn(BaseModel):
    """Accept, refer or reject an online report; ``reason`` is what the citizen reads."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["accepted", "referred", "rejected"]
    reason: str = Field(default="", max_length=1_000)
    referred_to: str = Field(default="", max_length=120)
    reply: str = Field(default="", max_length=2_000)


class ComplaintRead(BaseModel):
    """A complaint in the supervision office's queue (complainant masked; the text only in
    the audited detail)."""

    id: int
    code: str
    category: str
    station: str | None
    state: str
    level: int
    accept_due_at: dt.datetime
    conclude_due_at: dt.datetime
    overdue: bool
    created_at: dt.datetime
    phone_masked: str | None
    allowed_transitions: list[str]
    description: str | None = None
    officer_text: str | None = None
    conclusion: str | None = None


class ComplaintPage(BaseModel):
    """A page of complaints."""

    items: list[ComplaintRead]
    total: int
    limit: int
    offset: int


class ComplaintTransitionIn(BaseModel):
    """A step of a complaint; ``public_note`` shows on the complainant's tracking page."""

    model_config = ConfigDict(extra="forbid")

    to_state: str = Field(min_length=1, max_length=16)
    note: str = Field(default="", max_length=2_000)
    public_note: str = Field(default="", max_length=2_000)


class StayIn(BaseModel):
    """A stay registered by a landlord."""

    model_config = ConfigDict(extra="forbid")

    tenant_count: int = Field(ge=1, le=50)
    start_date: dt.date
    end_date: dt.date
    tenant_name: str = Field(min_length=1, max_length=40)
    tenant_id_no: str = Field(pattern=r"^[0-9]{17}[0-9Xx]$")
    consent: bool = False


class StayRead(BaseModel):
    """A stay in the community officer's queue: tenant masked."""

    id: int
    premises_id: int
    premises_name: str
    tenant_count: int
    start_date: dt.date
    end_date: dt.date
    tenant_name_masked: str | None
    tenant_id_masked: str | None
    state: str
    expired: bool
    in_force: bool = False
    """in force on the bureau's day today and not returned: counts in ``registered_share``"""
    created_at: dt.datetime


class StayReviewIn(BaseModel):
    """Accept or return a stay."""

    model_config = ConfigDict(extra="forbid")

    to_state: Literal["accepted", "returned"]
    note: str = Field(default="", max_length=500)


class NoticeIn(BaseModel):
    """A community safety notice."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction_code: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=4_000)
    valid_from: dt.date
    valid_until: dt.date


class OfficerProfileIn(BaseModel):
    """What the public sees of a community officer: office hours and the post's work phone."""

    model_config = ConfigDict(extra="forbid")

    office_hours: str = Field(min_length=1, max_length=120)
    work_phone: str = Field(pattern=r"^[0-9+\-() ]{3,40}$")
