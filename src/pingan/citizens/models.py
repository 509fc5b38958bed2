"""Citizen services (网上报警 · 网上督察 · 出租房二维码 · 社区公告): online reports and their
photos and public replies, complaints about police conduct, Open311 partner keys, rental-house
stays and their SMS codes, community notices, officers' public profiles, and the public
rate-limit counters.

Personal fields (phones, tenants' names and ID numbers, complaint texts) are ``EncryptedStr``:
encrypted at rest, masked in lists, every staff view audited, purged by the retention job.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, EncryptedStr, UTCDateTime, utcnow
from pingan.store.timeline import TimelineEvent

__all__ = [
    "COMPLAINT_STATES",
    "STAY_STATES",
    "TRIAGE_STATES",
    "Complaint",
    "ComplaintEvent",
    "OfficerProfile",
    "OnlineReport",
    "Open311Key",
    "PublicNotice",
    "PublicReply",
    "PublicThrottle",
    "RentalStay",
    "ReportPhoto",
    "SmsCode",
]

TRIAGE_STATES = ("pending", "accepted", "merged", "referred", "rejected")
COMPLAINT_STATES = ("received", "accepted", "investigating", "concluded", "rejected")
STAY_STATES = ("submitted", "accepted", "returned")


class OnlineReport(Base):
    """A citizen's online report (网上报警): the incident it became (``source = "online"``), its
    tracking code, when the optional contact phone (kept on the incident as its caller phone:
    encrypted, masked, revealed with a reason) was consented to and when it is purged, and the
    device it came from (a keyed hash, for the rate limits; never a raw address)."""

    __tablename__ = "citizen_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")  # web | open311
    open311_key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_keys.id"))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contact_purge_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    device_hash: Mapped[str | None] = mapped_column(String(64))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # the station's triage (migration 0027): pending → accepted | merged | referred | rejected
    triage: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    triaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triage_reason: Mapped[str | None] = mapped_column(Text)
    """shown to the citizen on the tracking page (referred or rejected)"""
    referred_to: Mapped[str | None] = mapped_column(String(120))


class ReportPhoto(Base):
    """A photo of an online report, re-encoded without its metadata (EXIF location gone)."""

    __tablename__ = "citizen_report_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_reports.id", ondelete="CASCADE"), index=True
    )
    n: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicReply(Base):
    """A reply of the station to an online report or of the supervision office to a complaint:
    public ones show on the tracking page, internal ones only to staff."""

    __tablename__ = "citizen_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen_reports.id", ondelete="CASCADE"), index=True
    )
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicThrottle(Base):
    """Requests counted per key (``report:ip:<hash>``, ``report:dev:<hash>``, ``pow:<nonce>``…)
    in the current window, in the database so that every worker counts the same."""

    __tablename__ = "citizen_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)


class Open311Key(Base):
    """A partner application's Open311 ``api_key``; only its SHA-256 is stored."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Complaint(Base):
    """A complaint about police conduct (网上督察), routed to the supervision office. The
    complainant follows it by ``code``; deadlines to accept and to conclude escalate it."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    category: Mapped[str] = mapped_column(String(32))
    officer_text: Mapped[str | None] = mapped_column(EncryptedStr(1024))
    description: Mapped[str] = mapped_column(EncryptedStr(16_000))
    contact_phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    accept_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    conclude_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    investigating_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    concluded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    conclusion: Mapped[str | None] = mapped_column(Text)
    device_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ComplaintEvent(TimelineEvent, Base):
    """One entry of a complaint's timeline (a transition, an escalation, a reply)."""

    __tablename__ = "complaint_events"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )


class RentalStay(Base):
    """A stay registered by the landlord of a rental house (出租房) through its QR plate: the
    number of tenants, the dates, and one tenant's name and ID number (encrypted, masked, and
    deleted six months after the stay ends). The community officer accepts or returns it."""

    __tablename__ = "rental_stays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    tenant_count: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date, index=True)
    tenant_name: Mapped[str | None] = mapped_column(EncryptedStr(512))
    tenant_id_no: Mapped[str | None] = mapped_column(EncryptedStr(512))
    landlord_phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), index=True)
    review_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsCode(Base):
    """A one-time code sent to a landlord's phone (only hashes stored), five tries at most."""

    __tablename__ = "citizen_sms_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    phone_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublicNotice(Base):
    """A safety notice of a community (or a station: all its communities), written by the
    station and shown on ``/notices`` to people in its area."""

    __tablename__ = "public_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficerProfile(Base):
    """What the public may know of a community officer: office hours and the public work
    phone of the post (never a private number)."""

    __tablename__ = "officer_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    office_hours: Mapped[str] = mapped_column(String(120))
    work_phone: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
