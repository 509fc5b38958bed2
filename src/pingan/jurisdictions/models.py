"""Jurisdiction tree: bureau → district → station → community/village → grid cell."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["LEVELS", "GridCell", "Jurisdiction"]

LEVELS: tuple[str, ...] = ("bureau", "district", "station", "community", "cell")


class Jurisdiction(Base):
    """One node of the jurisdiction tree with its polygon.

    ``path`` holds the ids from the root, e.g. ``/1/4/17/``; a caller whose scope is node 4 sees
    every row whose ``jpath`` starts with ``/1/4/``. Grid cells are jurisdictions of level
    ``cell`` and carry the owning community officer in ``owner_id``.
    """

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("jurisdictions.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(255), index=True)
    geometry: Mapped[str | None] = mapped_column(Text)  # GeoJSON, WGS-84
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    site_lon: Mapped[float | None] = mapped_column(Float)  # the station house, for stations
    site_lat: Mapped[float | None] = mapped_column(Float)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_jurisdictions_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)


GridCell = Jurisdiction
"""Grid cells are ``Jurisdiction`` rows with ``level == "cell"`` and an ``owner_id``."""
