"""Incidents (警情), their timeline, and idempotency keys of the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Computed,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, EncryptedStr, UTCDateTime, utcnow
from pingan.store.timeline import TimelineEvent

__all__ = ["SOURCES", "IdempotencyKey", "Incident", "IncidentEvent"]

SOURCES: tuple[str, ...] = (
    "call_110",
    "online",
    "patrol",
    "camera",
    "walk_in",
    "import",
    "drill",
)
"""Where incidents come from; ``drill`` ones are left out of analyses unless asked for."""


LAT_BAND_SQL = "CAST(lat * 1000 AS INTEGER)"
"""How the database computes ``incidents.lat_band`` (SQLite truncates, PostgreSQL rounds)."""


class Incident(Base):
    """One incident / call for service, located in WGS-84 with the input CRS recorded."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    subtype: Mapped[str] = mapped_column(String(40))
    klass: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    address_text: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    # latitude in steps of 0.001° (about 111 m), made by the database: keys the repeat-call
    # search (see pingan.incidents.service.lat_band and migration 0008)
    lat_band: Mapped[int | None] = mapped_column(Integer, Computed(LAT_BAND_SQL))
    input_crs: Mapped[str] = mapped_column(String(16), default="WGS84")
    input_lon: Mapped[float] = mapped_column(Float)
    input_lat: Mapped[float] = mapped_column(Float)
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    en_route_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    on_scene_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    caller_name: Mapped[str | None] = mapped_column(EncryptedStr(512))
    caller_phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    dataset: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # indexed: the live stream reads what changed since its last poll (migration 0011)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    __table_args__ = (
        UniqueConstraint("dataset", "external_id", name="uq_incidents_dataset_external"),
        # the scope's prefix range, newest first, covering the list filters (migration 0017)
        Index(
            "ix_incidents_scope",
            "jpath",
            "reported_at",
            "state",
            "klass",
            "subtype",
            "lon",
            "lat",
        ),
        Index("ix_incidents_subtype_reported", "subtype", "reported_at"),
        # filtered lists, newest first, read in index order (migration 0017)
        Index("ix_incidents_state_reported", "state", "reported_at"),
        Index("ix_incidents_klass_reported", "klass", "reported_at"),
        Index("ix_incidents_lon_lat", "lon", "lat"),
        # the repeat-call search: originals only, by subtype, latitude band and time
        Index(
            "ix_incidents_repeat_band",
            "subtype",
            "lat_band",
            "reported_at",
            "lat",
            "lon",
            "state",
            sqlite_where=text("repeat_of_id IS NULL"),
            postgresql_where=text("repeat_of_id IS NULL"),
        ),
    )


class IncidentEvent(TimelineEvent, Base):
    """One entry of an incident's timeline: a transition, a note, a link, a dispatch (the
    columns of :class:`~pingan.store.timeline.TimelineEvent`)."""

    __tablename__ = "incident_events"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )


class IdempotencyKey(Base):
    """An ``Idempotency-Key`` seen on a create: the same key and body return the same result."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)
