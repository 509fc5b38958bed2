"""The camera registry: position, heading and field of view, what the camera is and who owns it,
its working status, and the premises it belongs to."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["DOWN_STATUSES", "OWNERS", "RESOLUTIONS", "STATUSES", "BuildingFootprint", "Camera"]

STATUSES: Final[tuple[str, ...]] = ("online", "offline", "maintenance", "retired")
"""``online`` works; ``offline`` (no picture) and ``maintenance`` are down; ``retired`` is
taken off the network (kept for the record, left out of every figure)."""
DOWN_STATUSES: Final[tuple[str, ...]] = ("offline", "maintenance")
RESOLUTIONS: Final[tuple[str, ...]] = ("sd", "hd", "uhd")
"""Resolution class: ``sd`` (< 1080p), ``hd`` (1080p), ``uhd`` (4 MP and above)."""
OWNERS: Final[tuple[str, ...]] = ("public", "social")
"""``public``: the bureau's own (公共视频); ``social``: a premises' or company's camera linked in
(社会视频)."""


class Camera(Base):
    """A camera: a sector of ``fov_deg`` around ``heading_deg`` (clockwise from north) up to
    ``range_m``; ``fov_deg >= 360`` is a dome."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    lon: Mapped[float] = mapped_column(Float, index=True)
    lat: Mapped[float] = mapped_column(Float, index=True)
    heading_deg: Mapped[float] = mapped_column(Float)
    fov_deg: Mapped[float] = mapped_column(Float)
    range_m: Mapped[float] = mapped_column(Float)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="online", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # added by migration 0019_cameras
    name: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str] = mapped_column(String(8), default="hd", server_default="hd")
    owner: Mapped[str] = mapped_column(String(8), default="public", server_default="public")
    premises_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class BuildingFootprint(Base):
    """A building's outline (GeoJSON Polygon, WGS-84) that blocks cameras' line of sight: the
    optional occlusion layer of the coverage figures and the siting. Reference data of the
    whole bureau (no jurisdiction); its box is kept for the bounding-box reads."""

    __tablename__ = "building_footprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str | None] = mapped_column(String(64), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float, index=True)
    min_lat: Mapped[float] = mapped_column(Float, index=True)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="import")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
