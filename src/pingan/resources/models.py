"""Forces: posts, kiosks, cars, motorcycles, foot teams, tactical units, drones, drone bases."""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["RESOURCE_KINDS", "RESOURCE_STATUSES", "Resource", "ResourceKind", "ResourcePosition"]

ResourceKind = Literal[
    "fixed_post",
    "mobile_kiosk",
    "patrol_car",
    "motorcycle",
    "foot_team",
    "tactical_unit",
    "drone",
    "drone_base",
]
"""The kinds of unit (the API's input type and the demo's list)."""
RESOURCE_KINDS: tuple[str, ...] = get_args(ResourceKind)
RESOURCE_STATUSES: tuple[str, ...] = (
    "available",
    "dispatched",
    "en_route",
    "on_scene",
    "off_duty",
)


class Resource(Base):
    """A unit with its home station, status and last known position."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="available", index=True)
    # the incident the unit is busy with (set and cleared with its assignment, pingan.dispatch)
    current_incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    speed_kph: Mapped[float | None] = mapped_column(Float)  # drones: cruise speed
    range_m: Mapped[float | None] = mapped_column(Float)  # drones: operating radius
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )


class ResourcePosition(Base):
    """The position history of a unit."""

    __tablename__ = "resource_positions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
