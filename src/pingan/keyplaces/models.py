"""Tables of the key places: school gate posts and check-ins, hospital police rooms and shifts,
inspection item results, photos (of inspections and of fixes) and rectification orders with
their timeline."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow
from pingan.store.timeline import TimelineEvent

__all__ = [
    "ITEM_RESULTS",
    "ORDER_STATES",
    "InspectionResult",
    "KeyplacePhoto",
    "OrderEvent",
    "PoliceRoom",
    "PoliceShift",
    "PostCheckin",
    "RectificationOrder",
    "SchoolPost",
]

ITEM_RESULTS: tuple[str, ...] = ("pass", "fail", "na")
ORDER_STATES: tuple[str, ...] = ("issued", "signed", "reported", "rework", "accepted")


class SchoolPost(Base):
    """A school gate post (护学岗): the gate's point, the radius a check-in must be within, the
    duty windows (``07:30-08:10,16:30-17:30``, local time) and the school days (ISO weekdays,
    ``12345`` = Monday to Friday)."""

    __tablename__ = "school_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float, default=100.0)
    windows: Mapped[str] = mapped_column(String(120))
    school_days: Mapped[str] = mapped_column(String(7), default="12345")
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostCheckin(Base):
    """An officer's check-in at a post in one duty window of one local day, where it was made
    and how far from the gate."""

    __tablename__ = "post_checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("school_posts.id", ondelete="CASCADE"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    window: Mapped[str] = mapped_column(String(16))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    jpath: Mapped[str] = mapped_column(String(255), index=True)

    __table_args__ = (
        UniqueConstraint("post_id", "day", "window", "officer_id", name="uq_post_checkin"),
    )


class PoliceRoom(Base):
    """A police room in a hospital (医院警务室): its phone and the daily hours it must be
    staffed (local time)."""

    __tablename__ = "police_rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    staffed_from: Mapped[str] = mapped_column(String(5), default="08:00")
    staffed_to: Mapped[str] = mapped_column(String(5), default="20:00")
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)


class PoliceShift(Base):
    """An officer on duty in a police room from ``starts_at`` until ``ends_at`` (open: now)."""

    __tablename__ = "police_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("police_rooms.id", ondelete="CASCADE"), index=True
    )
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    jpath: Mapped[str] = mapped_column(String(255))


class InspectionResult(Base):
    """One checklist item of an inspection: pass, fail or not applicable, with a note."""

    __tablename__ = "inspection_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("premises_inspections.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(500), default="")


class KeyplacePhoto(Base):
    """A photo of an inspection or of a rectification order's fix; the bytes live under
    ``data_dir/attachments`` named by their SHA-256."""

    __tablename__ = "keyplace_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    jpath: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RectificationOrder(Base):
    """A rectification order (整改通知书) opened by a failed inspection item: the premises'
    ``owner`` must fix it by ``deadline``; the officer who follows it (``assignee_id``) records
    the signing and the report with photos; the station accepts or sends it back. Late orders
    escalate (``escalation_level`` 1: the station chief, 2: the district)."""

    __tablename__ = "rectification_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises_inspections.id", ondelete="SET NULL"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(40))
    problem: Mapped[str] = mapped_column(String(500), default="")
    owner: Mapped[str] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(16), default="issued", index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    report: Mapped[str] = mapped_column(Text, default="")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rework_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OrderEvent(TimelineEvent, Base):
    """One entry of a rectification order's timeline (issued, signed, reported, accepted,
    sent back, escalated, a photo)."""

    __tablename__ = "rectification_events"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_orders.id", ondelete="CASCADE"), index=True
    )
