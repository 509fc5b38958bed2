"""Assignments: one unit sent to one incident, with a timestamp per state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["ACTIVE_STATES", "ASSIGNMENT_STATES", "MOVEUP_STATES", "Assignment", "MoveUp"]

ASSIGNMENT_STATES: tuple[str, ...] = ("dispatched", "en_route", "on_scene", "cleared", "cancelled")
ACTIVE_STATES: tuple[str, ...] = ("dispatched", "en_route", "on_scene")
"""States in which the unit is busy with the incident."""


class Assignment(Base):
    """A unit (``resource_id``) sent to an incident by a dispatcher; several per incident."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    jpath: Mapped[str] = mapped_column(String(255))
    eta_s: Mapped[float | None] = mapped_column(Float)
    dispatched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    en_route_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    on_scene_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dispatcher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    route: Mapped[str | None] = mapped_column(Text)  # GeoJSON LineString (migration 0015)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        # a unit is busy with at most one incident: the database holds it too
        Index(
            "uq_assignments_active_unit",
            "resource_id",
            unique=True,
            sqlite_where=text("state IN ('dispatched', 'en_route', 'on_scene')"),
            postgresql_where=text("state IN ('dispatched', 'en_route', 'on_scene')"),
        ),
    )


MOVEUP_STATES: tuple[str, ...] = ("sent", "arrived", "cancelled")


class MoveUp(Base):
    """An available unit sent to stand at another place (``lon``, ``lat``, ``label``) to restore
    1-3-5 minute coverage; it stays available for calls. ``gain`` is the coverage weight the
    move was expected to restore, ``travel_s`` the drive there (migration 0015)."""

    __tablename__ = "moveups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    jpath: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    from_lon: Mapped[float | None] = mapped_column(Float)
    from_lat: Mapped[float | None] = mapped_column(Float)
    gain: Mapped[float | None] = mapped_column(Float)
    travel_s: Mapped[float | None] = mapped_column(Float)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dispatcher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(
            "uq_moveups_active_unit",
            "resource_id",
            unique=True,
            sqlite_where=text("state = 'sent'"),
            postgresql_where=text("state = 'sent'"),
        ),
    )
