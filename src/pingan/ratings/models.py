"""Ratings of premises (one row per computation, the current one flagged), the security features
an inspection records (staffed gate, visitor registration, lighting, patrols, alarm link),
hazards (隐患点/段) and the stations' public phones shown on the signs' public page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["HAZARD_STATUSES", "Hazard", "PremisesFeature", "Rating", "StationPhone"]

HAZARD_STATUSES: tuple[str, ...] = ("open", "rectifying", "closed")


class Rating(Base):
    """One computation of a premises' stars. ``items`` is the JSON list of the criteria items
    with their points, maximum and evidence rows; ``criteria_version`` names the criteria set.
    ``revoked_at`` withdraws the signs printed from this rating and every earlier one."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    criteria_version: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    stars: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(8))
    items: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_ratings_current_premises", "current", "premises_id"),)


class PremisesFeature(Base):
    """A security feature of a premises as last recorded (present or not), with who and when."""

    __tablename__ = "premises_features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    code: Mapped[str] = mapped_column(String(40))
    present: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises_inspections.id", ondelete="SET NULL")
    )

    __table_args__ = (UniqueConstraint("premises_id", "code", name="uq_premises_feature"),)


class Hazard(Base):
    """A traffic, fire or public-order hazard point (or segment, by its GeoJSON geometry) with the
    level of government that must act (三级挂牌督办), its owner, deadline and status."""

    __tablename__ = "hazards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    geometry: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16), default="station")
    owner: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    premises_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises.id", ondelete="SET NULL"), index=True
    )
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class StationPhone(Base):
    """A station's public phone, shown on the public page of its premises' signs."""

    __tablename__ = "station_phones"

    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
