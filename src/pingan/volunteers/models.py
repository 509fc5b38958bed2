"""Tables of the volunteer teams (群防群治): teams per community, their members (name and phone
encrypted at rest, masked in lists; a member may have a ``volunteer`` account), and shifts on a
patrol area (a grid cell) or a point with their check-in and check-out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, EncryptedStr, UTCDateTime, utcnow

__all__ = ["TEAM_KINDS", "VolunteerMember", "VolunteerShift", "VolunteerTeam"]

TEAM_KINDS: tuple[str, ...] = ("residents_patrol", "red_armband", "compound_security")
"""Residents' patrols (居民巡逻队), red armbands (红袖标), compound security guards (小区保安)."""


class VolunteerTeam(Base):
    """A volunteer team of one community."""

    __tablename__ = "volunteer_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    community_id: Mapped[int] = mapped_column(
        ForeignKey("jurisdictions.id", ondelete="RESTRICT"), index=True
    )
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolunteerMember(Base):
    """A member of a team: minimal data, the name and phone encrypted (``PINGAN_DATA_KEY``)
    and masked wherever listed; ``user_id`` is the member's ``volunteer`` account, if any."""

    __tablename__ = "volunteer_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_teams.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(EncryptedStr(512))
    phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class VolunteerShift(Base):
    """A member's shift on a patrol area (``cell_id``) or at a point (``lon``/``lat``, with a
    ``place`` label) from ``starts_at`` to ``ends_at``; the check-in and check-out carry the
    time the phone gave and where it was."""

    __tablename__ = "volunteer_shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("volunteer_teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("volunteer_members.id", ondelete="CASCADE"), index=True
    )
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    day: Mapped[dt.date] = mapped_column(Date)
    jpath: Mapped[str] = mapped_column(String(255))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    in_lon: Mapped[float | None] = mapped_column(Float)
    in_lat: Mapped[float | None] = mapped_column(Float)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    out_lon: Mapped[float | None] = mapped_column(Float)
    out_lat: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_volunteer_shifts_jpath_day", "jpath", "day"),
        Index("ix_volunteer_shifts_team_day", "team_id", "day"),
    )
