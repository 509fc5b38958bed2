"""Security plans of large public events (matches, concerts, exams, festivals): the event with
its venue and time line, zones, posts (guard posts, traffic control points with their detours,
service stations, drone sectors) staffed by shift, checks before the event (hotels, scenic
spots, the type's checklist), and the event log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = [
    "CHECK_KINDS",
    "EVENT_KINDS",
    "POST_KINDS",
    "SHIFTS",
    "ZONE_KINDS",
    "Event",
    "EventCheck",
    "EventLogEntry",
    "EventPost",
    "EventZone",
]

EVENT_KINDS: tuple[str, ...] = ("match", "concert", "exam", "festival")
ZONE_KINDS: tuple[str, ...] = ("venue", "perimeter", "control")
POST_KINDS: tuple[str, ...] = ("post", "traffic", "service", "drone")
SHIFTS: tuple[str, ...] = ("arrival", "event", "dispersal")
CHECK_KINDS: tuple[str, ...] = ("checklist", "hotel", "scenic")


class Event(Base):
    """A planned public event. Times: gates open (``arrival_at``), the event (``starts_at`` to
    ``ends_at``), the crowd gone (``dispersal_until``). ``venue`` is a GeoJSON polygon."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    venue: Mapped[str] = mapped_column(Text)
    venue_lon: Mapped[float] = mapped_column(Float)
    venue_lat: Mapped[float] = mapped_column(Float)
    expected_crowd: Mapped[int] = mapped_column(Integer)
    arrival_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    dispersal_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventZone(Base):
    """A zone of the event: the venue, the security perimeter, the traffic control ring."""

    __tablename__ = "event_zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    geometry: Mapped[str] = mapped_column(Text)


class EventPost(Base):
    """A post of the plan for one shift: a guard post, a traffic control point (``detour``: the
    GeoJSON LineString of the diversion on the roads), a service station, or a drone sector
    (``radius_m``). ``staffed_at`` is when its unit reported in place."""

    __tablename__ = "event_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    shift: Mapped[str] = mapped_column(String(16))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    detour: Mapped[str | None] = mapped_column(Text)
    officers_needed: Mapped[int] = mapped_column(Integer, default=2)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    staffed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class EventCheck(Base):
    """Work before the event: an item of the type's checklist, or a check of a hotel or scenic
    spot near the venue (``premises_id`` / ``key_area_id``)."""

    __tablename__ = "event_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(300))
    premises_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id"))
    key_area_id: Mapped[int | None] = mapped_column(ForeignKey("key_areas.id"))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class EventLogEntry(Base):
    """The event log: notes and instructions during the event, in order."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
