"""API shapes of the volunteer teams: teams, members (name and phone masked when listed),
shifts with check-in and check-out, hours, the recognition list and the hot cells without a
team shift. Input models forbid unknown fields."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Day, Id, Instant

__all__ = [
    "AssignIn",
    "CheckIn",
    "HotCellRead",
    "HoursRead",
    "HoursRow",
    "MemberCreate",
    "MemberRead",
    "ShiftCreate",
    "ShiftRead",
    "TeamCreate",
    "TeamKind",
    "TeamRead",
]

TeamKind = Literal["residents_patrol", "red_armband", "compound_security"]
_PHONE = r"^[0-9+\-() ]{3,32}$"


class TeamCreate(BaseModel):
    """A new volunteer team of a community (by its jurisdiction code)."""

    model_config = ConfigDict(extra="forbid")

    community_code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: TeamKind
    code: str | None = Field(default=None, min_length=1, max_length=64)


class TeamRead(BaseModel):
    """A team with its community and how many active members it has."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    community_id: int
    community_name: str = ""
    station_id: int | None
    active: bool
    members: int = 0


class MemberCreate(BaseModel):
    """A new member: a name and an optional phone (personal data: encrypted at rest, masked in
    lists), optionally the ``volunteer`` account they sign in with."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, examples=["李阿姨"])
    phone: str | None = Field(default=None, max_length=32, pattern=_PHONE)
    username: str | None = Field(default=None, min_length=1, max_length=64)
    joined_on: Day | None = None


class MemberRead(BaseModel):
    """A member as listed: name and phone masked."""

    id: int
    team_id: int
    name_masked: str
    phone_masked: str | None
    user_id: int | None
    active: bool
    joined_on: dt.date


class ShiftCreate(BaseModel):
    """A shift of a member on a patrol area (``cell_code``) or at a point (``lon``/``lat`` with
    a ``place`` label), from ``starts_at`` to ``ends_at`` (at most 12 hours)."""

    model_config = ConfigDict(extra="forbid")

    member_id: Id
    starts_at: Instant
    ends_at: Instant
    cell_code: str | None = Field(default=None, min_length=1, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    place: str = Field(default="", max_length=200)


class AssignIn(BaseModel):
    """Send a team to a hot cell: a shift for each active member, from ``starts_at`` to
    ``ends_at``."""

    model_config = ConfigDict(extra="forbid")

    team_id: Id
    cell_code: str = Field(min_length=1, max_length=64)
    starts_at: Instant
    ends_at: Instant


class CheckIn(BaseModel):
    """A check-in or check-out from the phone: when (the phone's time, with a time zone; an
    offline phone sends it later) and where (WGS-84)."""

    model_config = ConfigDict(extra="forbid")

    at: Instant = Field(examples=["2026-12-07T19:02:00+08:00"])
    lon: float = Field(ge=-180, le=180, examples=[102.7123])
    lat: float = Field(ge=-90, le=90, examples=[25.0406])


class ShiftRead(BaseModel):
    """A shift with its place, planned times, check-in and check-out, the minutes worked and
    its state (``planned``, ``on`` after check-in, ``done`` after check-out, ``missed`` when it
    ended with no check-in)."""

    id: int
    team_id: int
    team_name: str
    member_id: int
    member_name_masked: str
    cell_id: int | None
    cell_name: str | None
    lon: float
    lat: float
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    day: dt.date
    checked_in_at: dt.datetime | None
    in_lon: float | None
    in_lat: float | None
    checked_out_at: dt.datetime | None
    out_lon: float | None
    out_lat: float | None
    minutes_worked: int
    distance_in_m: float | None
    state: Literal["planned", "on", "done", "missed"]


class HoursRow(BaseModel):
    """The hours of one member (masked) or one team between two local days."""

    id: int
    name: str
    team_id: int
    team_name: str
    shifts: int
    shifts_done: int
    hours: float


class HoursRead(BaseModel):
    """Hours per member and per team; the recognition list is the members with the most
    hours (at least ``min_hours``)."""

    since: dt.date
    until: dt.date
    members: list[HoursRow]
    teams: list[HoursRow]
    recognition: list[HoursRow]
    min_hours: float


class HotCellRead(BaseModel):
    """A hot cell of the patrol plans with no volunteer shift this week."""

    cell_id: int
    cell_code: str
    cell_name: str
    community_id: int | None
    community_name: str
    heat: float
    """expected incidents of the week's plans, or incidents of the last 28 days"""
    lon: float
    lat: float
    teams: list[TeamRead]
