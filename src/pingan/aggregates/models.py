"""Tables of incident counts kept in step with the incidents (migration ``0016_aggregates``).

What is counted is what :func:`pingan.crime_analysis.data.load_incidents` selects: incidents
that are not repeat calls and not cancelled or duplicate; drill incidents are counted apart
(``drill``) so that ``include_drill`` can add them. Days are local calendar days in the
bureau's zone (``PINGAN_TIMEZONE``) as days since 1970-01-01, hours local hours.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base

__all__ = ["HOURS", "AggregateGrid", "IncidentCellDay", "IncidentDayCount", "IncidentGridCount"]

HOURS: tuple[str, ...] = tuple(f"h{h:02d}" for h in range(24))


class IncidentDayCount(Base):
    """Incidents of one subtype on one local day in one area of ``level`` 0 (the bureau),
    1 (a district) or 2 (a station), ``jpath`` being that area's path (an incident placed
    higher than ``level`` is counted under its own path): ``n`` in all, ``h00``..``h23`` by
    local hour. Each incident is counted once at each level, so a scope or an area of one of
    these levels reads only its own rows: about one per (day, subtype)."""

    __tablename__ = "incident_day_counts"
    __table_args__ = (PrimaryKeyConstraint("level", "jpath", "day", "subtype", "drill"),)

    level: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer)
    jpath: Mapped[str] = mapped_column(String(255))
    subtype: Mapped[str] = mapped_column(String(64))
    drill: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer, default=0)
    h00: Mapped[int] = mapped_column(Integer, default=0)
    h01: Mapped[int] = mapped_column(Integer, default=0)
    h02: Mapped[int] = mapped_column(Integer, default=0)
    h03: Mapped[int] = mapped_column(Integer, default=0)
    h04: Mapped[int] = mapped_column(Integer, default=0)
    h05: Mapped[int] = mapped_column(Integer, default=0)
    h06: Mapped[int] = mapped_column(Integer, default=0)
    h07: Mapped[int] = mapped_column(Integer, default=0)
    h08: Mapped[int] = mapped_column(Integer, default=0)
    h09: Mapped[int] = mapped_column(Integer, default=0)
    h10: Mapped[int] = mapped_column(Integer, default=0)
    h11: Mapped[int] = mapped_column(Integer, default=0)
    h12: Mapped[int] = mapped_column(Integer, default=0)
    h13: Mapped[int] = mapped_column(Integer, default=0)
    h14: Mapped[int] = mapped_column(Integer, default=0)
    h15: Mapped[int] = mapped_column(Integer, default=0)
    h16: Mapped[int] = mapped_column(Integer, default=0)
    h17: Mapped[int] = mapped_column(Integer, default=0)
    h18: Mapped[int] = mapped_column(Integer, default=0)
    h19: Mapped[int] = mapped_column(Integer, default=0)
    h20: Mapped[int] = mapped_column(Integer, default=0)
    h21: Mapped[int] = mapped_column(Integer, default=0)
    h22: Mapped[int] = mapped_column(Integer, default=0)
    h23: Mapped[int] = mapped_column(Integer, default=0)


class IncidentGridCount(Base):
    """Incidents of one subtype in one grid cell on one local day, by square of
    ``AggregateGrid.base_m`` metres (``gx`` east, ``gy`` north from the grid's origin)."""

    __tablename__ = "incident_grid_counts"
    __table_args__ = (PrimaryKeyConstraint("day", "jpath", "subtype", "drill", "gx", "gy"),)

    day: Mapped[int] = mapped_column(Integer)
    jpath: Mapped[str] = mapped_column(String(255))
    subtype: Mapped[str] = mapped_column(String(64))
    drill: Mapped[bool] = mapped_column(Boolean)
    gx: Mapped[int] = mapped_column(Integer)
    gy: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IncidentCellDay(Base):
    """Incidents of one subtype at one path (a grid cell, or the higher area an incident is
    placed in) on one local day (migration ``0030_cell_days``): the grid counts summed over
    their squares, about one row per (cell, day, subtype) with incidents, so that figures per
    cell (the scorecards' ``preventable_incidents_yoy``) read O(cells × days), not the
    incidents."""

    __tablename__ = "incident_cell_days"
    __table_args__ = (PrimaryKeyConstraint("day", "jpath", "subtype", "drill"),)

    day: Mapped[int] = mapped_column(Integer)
    jpath: Mapped[str] = mapped_column(String(255))
    subtype: Mapped[str] = mapped_column(String(64))
    drill: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer, default=0)


class AggregateGrid(Base):
    """The one metric grid the grid counts use: the bureau's projection centre, the origin
    (south-west corner of the bureau's bounding box in that projection) and the square size.
    Queries check it against the jurisdictions of the day and fall back to the incidents
    when they differ (jurisdictions imported again without a rebuild)."""

    __tablename__ = "aggregate_grid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lon0: Mapped[float] = mapped_column(Float)
    lat0: Mapped[float] = mapped_column(Float)
    x0_m: Mapped[float] = mapped_column(Float)
    y0_m: Mapped[float] = mapped_column(Float)
    base_m: Mapped[float] = mapped_column(Float)
