"""Patrol plans: one plan per station, day and time block, holding its items: points (posts
with a dwell time), lines (routes through hot cells, one per unit) and areas (grid patrol zones),
each with the unit and officer assigned."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["BLOCKS", "ITEM_KINDS", "MODES", "PatrolItem", "PatrolPlan"]

BLOCKS: tuple[tuple[int, int], ...] = ((0, 6), (6, 12), (12, 18), (18, 24))
"""The four time blocks of a day (local hours, start inclusive, end exclusive)."""
ITEM_KINDS: tuple[str, ...] = ("point", "line", "area")
MODES: tuple[str, ...] = ("foot", "car", "drone")


class PatrolPlan(Base):
    """A station's patrol plan for one time block of one day. ``hot_cells`` is the JSON list
    of the block's forecast hot cells the plan was made for (cell id, centre, polygon, prize);
    ``how`` says how the routes were computed."""

    __tablename__ = "patrol_plans"
    __table_args__ = (UniqueConstraint("station_id", "day", "block", name="uq_patrol_plan_block"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    block: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    hot_cells: Mapped[str] = mapped_column(Text, default="[]")
    prize: Mapped[float] = mapped_column(Float, default=0.0)
    bound: Mapped[float] = mapped_column(Float, default=0.0)
    how: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PatrolItem(Base):
    """A point, line or area of a plan. ``geometry`` is GeoJSON (WGS-84): a Point, a
    LineString (the route through its stops, depot to depot) or a Polygon. ``stops`` is the
    JSON list of the places to be at, each with ``lon``, ``lat``, ``dwell_s``, ``arrive_s`` (from
    the block's start), ``cell`` and ``prize``; a point has one stop, an area none. Drones carry
    their sector (base and ``range_m``)."""

    __tablename__ = "patrol_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("patrol_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200), default="")
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    geometry: Mapped[str] = mapped_column(Text)
    stops: Mapped[str] = mapped_column(Text, default="[]")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    prize: Mapped[float] = mapped_column(Float, default=0.0)
    range_m: Mapped[float | None] = mapped_column(Float)
