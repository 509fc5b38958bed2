"""Volunteer teams (群防群治): teams per community, members with minimal data (name and phone
encrypted at rest, masked in every list), shifts on a patrol area (a grid cell) or a point,
check-in and check-out from the field app, hours per member and team, the recognition list and
the hot cells of the patrol plans without a team shift this week.

A ``volunteer`` caller reaches only the shifts of their own member row (``volunteer.shift`` is
``own`` for them); staff reach the teams of their jurisdiction. Nothing here commits."""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, NotFound
from pingan.jurisdictions.models import Jurisdiction
from pingan.masking import mask_name, mask_phone
from pingan.permissions import scope_of
from pingan.store.base import utcnow
from pingan.volunteers.models import TEAM_KINDS, VolunteerMember, VolunteerShift, VolunteerTeam
from pingan.volunteers.schemas import (
    AssignIn,
    CheckIn,
    HotCellRead,
    HoursRead,
    HoursRow,
    MemberContact,
    MemberCreate,
    MemberRead,
    ShiftCreate,
    ShiftRead,
    TeamCreate,
    TeamRead,
)

__all__ = [
    "CHECK_SLACK",
    "assign_team",
    "check",
    "create_member",
    "create_shift",
    "create_team",
    "get_shift_or_raise",
    "hot_cells_without_team",
    "hours",
    "leave",
    "list_members",
    "list_shifts",
    "list_teams",
    "local_tz",
    "member_of_user",
    "reveal_members",
    "shift_read",
    "shift_reads",
    "week_of",
]

CHECK_SLACK = dt.timedelta(hours=2)
"""A check-in may come this long before the shift starts; a check-out this long after it
ends (and a check-in up to its end)."""
FUTURE_SLACK = dt.timedelta(minutes=10)
MAX_SHIFT = dt.timedelta(hours=12)
EARTH_RADIUS_M = 6_371_008.8


def local_tz() -> ZoneInfo:
    """The bureau's time zone (shift days and weeks are local)."""
    return ZoneInfo(get_settings().timezone)


def _today() -> dt.date:
    return utcnow().astimezone(local_tz()).date()


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week holding ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _jur_by_code(session: Session, *, principal: Principal, code: str, field: str) -> Jurisdiction:
    j = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if j is None or not principal.can_see(j.path):
        raise Invalid(field, f"{code!r} does not exist or is outside your jurisdiction")
    return j


def _station_of(session: Session, path: str) -> int | None:
    ids = [int(x) for x in path.strip("/").split("/") if x]
    return session.scalar(
        select(Jurisdiction.id).where(Jurisdiction.id.in_(ids), Jurisdiction.level == "station")
    )


# ------------------------------------------------------------------ teams and members


def create_team(session: Session, *, principal: Principal, data: TeamCreate) -> VolunteerTeam:
    """A team of a community of the caller's scope."""
    com = _jur_by_code(
        session, principal=principal, code=data.community_code, field="community_code"
    )
    if com.level != "community":
        raise Invalid("community_code", f"{com.code} is a {com.level}, not a community")
    if data.kind not in TEAM_KINDS:
        raise Invalid("kind", f"{data.kind!r} is not a team kind; use {', '.join(TEAM_KINDS)}")
    code = data.code or f"VT-{com.code}-{secrets.token_hex(2).upper()}"
    if session.scalar(select(VolunteerTeam.id).where(VolunteerTeam.code == code)) is not None:
        raise Invalid("code", f"{code!r} already exists")
    team = VolunteerTeam(
        code=code,
        name=data.name,
        kind=data.kind,
        community_id=com.id,
        station_id=_station_of(session, com.path),
        jpath=com.path,
        active=True,
        created_at=utcnow(),
    )
    session.add(team)
    session.flush()
    return team


def _team_scope(principal: Principal) -> Select[VolunteerTeam]:
    return select(VolunteerTeam).where(scope_clause(principal, VolunteerTeam.jpath))


def list_teams(
    session: Session, *, principal: Principal, community_id: int | None = None
) -> list[TeamRead]:
    """The teams of the caller's jurisdiction (or one community) with their active members."""
    q = _team_scope(principal).where(VolunteerTeam.active.is_(True))
    if community_id is not None:
        q = q.where(VolunteerTeam.community_id == community_id)
    teams = session.scalars(q.order_by(VolunteerTeam.community_id, VolunteerTeam.id)).all()
    return _team_reads(session, list(teams))


def _team_reads(session: Session, teams: list[VolunteerTeam]) -> list[TeamRead]:
    if not teams:
        return []
    ids = [t.id for t in teams]
    counts = dict(
        session.execute(
            select(VolunteerMember.team_id, func.count())
            .where(VolunteerMember.team_id.in_(ids), VolunteerMember.active.is_(True))
            .group_by(VolunteerMember.team_id)
        ).all()
    )
    names = dict(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.name_zh).where(
                Jurisdiction.id.in_({t.community_id for t in teams})
            )
        ).all()
    )
    out = []
    for t in teams:
        r = TeamRead.model_validate(t)
        r.members = int(counts.get(t.id, 0))
        r.community_name = names.get(t.community_id, "")
        out.append(r)
    return out


def get_team_or_raise(
    session: Session, *, principal: Principal, team_id: int, field: str | None = None
) -> VolunteerTeam:
    """A team of the caller's scope (404, or 422 naming ``field``, otherwise)."""
    return get_scoped(
        session, VolunteerTeam, team_id, principal=principal, what="team", field=field
    )


def _member_read(m: VolunteerMember) -> MemberRead:
    return MemberRead(
        id=m.id,
        team_id=m.team_id,
        name_masked=mask_name(m.name) or "",
        phone_masked=mask_phone(m.phone),
        user_id=m.user_id,
        active=m.active,
        joined_on=m.joined_on,
    )


def create_member(
    session: Session, *, principal: Principal, team_id: int, data: MemberCreate
) -> VolunteerMember:
    """A member of a team; ``username`` links the member's ``volunteer`` account (its
    jurisdiction must lie in the team's community)."""
    team = get_team_or_raise(session, principal=principal, team_id=team_id)
    user_id = None
    if data.username is not None:
        user = session.scalar(select(User).where(User.username == data.username))
        if user is None:
            raise Invalid("username", f"no user {data.username!r}")
        if user.role != "volunteer":
            raise Invalid("username", f"{data.username!r} is a {user.role}, not a volunteer")
        taken = session.scalar(select(VolunteerMember.id).where(VolunteerMember.user_id == user.id))
        if taken is not None:
            raise Invalid("username", f"{data.username!r} is already member {taken}")
        user_id = user.id
    m = VolunteerMember(
        team_id=team.id,
        user_id=user_id,
        name=data.name.strip(),
        phone=data.phone,
        jpath=team.jpath,
        active=True,
        joined_on=data.joined_on or _today(),
        created_at=utcnow(),
    )
    session.add(m)
    session.flush()
    return m


def list_members(session: Session, *, principal: Principal, team_id: int) -> list[MemberRead]:
    """The members of a team, name and phone masked."""
    team = get_team_or_raise(session, principal=principal, team_id=team_id)
    rows = session.scalars(
        select(VolunteerMember)
        .where(VolunteerMember.team_id == team.id)
        .order_by(VolunteerMember.id)
    ).all()
    return [_member_read(m) for m in rows]


def leave(
    session: Session, *, principal: Principal, team_id: int, member_id: int
) -> VolunteerMember:
    """A member leaves the team: inactive, their volunteer account unlinked, their shifts not
    yet begun removed (``NotFound`` when the member is not in the team)."""
    team = get_team_or_raise(session, principal=principal, team_id=team_id)
    m = session.get(VolunteerMember, member_id)
    if m is None or m.team_id != team.id:
        raise NotFound(f"member {member_id} is not in team {team.id}")
    if not m.active:
        raise Conflict(f"member {member_id} has already left the team")
    m.active = False
    m.user_id = None
    now = utcnow()
    for s in session.scalars(
        select(VolunteerShift).where(
            VolunteerShift.member_id == m.id,
            VolunteerShift.starts_at > now,
            VolunteerShift.checked_in_at.is_(None),
        )
    ):
        session.delete(s)
    session.flush()
    return m


def reveal_members(session: Session, *, principal: Principal, team_id: int) -> list[MemberContact]:
    """The members of a team unmasked (the flow audits the view with its reason)."""
    team = get_team_or_raise(session, principal=principal, team_id=team_id)
    rows = session.scalars(
        select(VolunteerMember)
        .where(VolunteerMember.team_id == team.id)
        .order_by(VolunteerMember.id)
    ).all()
    return [MemberContact(id=m.id, team_id=m.team_id, name=m.name, phone=m.phone) for m in rows]


def member_of_user(session: Session, *, user_id: int) -> VolunteerMember | None:
    """The member row of a ``volunteer`` account."""
    return session.scalar(select(VolunteerMember).where(VolunteerMember.user_id == user_id))


# ------------------------------------------------------------------ shifts


def _check_span(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    for name, v in (("starts_at", starts_at), ("ends_at", ends_at)):
        if v.tzinfo is None:
            raise Invalid(name, "give a time zone, e.g. 2026-12-07T19:00:00+08:00")
    if ends_at <= starts_at:
        raise Invalid("ends_at", "the shift ends before it starts")
    if ends_at - starts_at > MAX_SHIFT:
        raise Invalid("ends_at", "a shift lasts at most 12 hours")


def _new_shift(
    *,
    team: VolunteerTeam,
    member_id: int,
    cell: Jurisdiction | None,
    lon: float,
    lat: float,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: int,
) -> VolunteerShift:
    s = starts_at.astimezone(dt.UTC)
    return VolunteerShift(
        team_id=team.id,
        member_id=member_id,
        cell_id=cell.id if cell is not None else None,
        lon=lon,
        lat=lat,
        place=place,
        starts_at=s,
        ends_at=ends_at.astimezone(dt.UTC),
        day=s.astimezone(local_tz()).date(),
        jpath=team.jpath,
        created_by_id=by,
        created_at=utcnow(),
    )


def _cell_point(cell: Jurisdiction) -> tuple[float, float]:
    return float(cell.centroid_lon or 0.0), float(cell.centroid_lat or 0.0)


def create_shift(
    session: Session, *, principal: Principal, team_id: int, data: ShiftCreate
) -> VolunteerShift:
    """A shift of a member of a team on a grid cell (``cell_code``) or at a point."""
    team = get_team_or_raise(session, principal=principal, team_id=team_id)
    _check_span(data.starts_at, data.ends_at)
    member = session.get(VolunteerMember, data.member_id)
    if member is None or member.team_id != team.id:
        raise Invalid("member_id", f"member {data.member_id} is not in team {team.id}")
    if not member.active:
        raise Invalid("member_id", f"member {data.member_id} has left the team")
    cell = None
    if data.cell_code is not None:
        cell = _jur_by_code(session, principal=principal, code=data.cell_code, field="cell_code")
        if cell.level != "cell":
            raise Invalid("cell_code", f"{cell.code} is a {cell.level}, not a grid cell")
        lon, lat = _cell_point(cell)
        lon = data.lon if data.lon is not None else lon
        lat = data.lat if data.lat is not None else lat
    elif data.lon is not None and data.lat is not None:
        lon, lat = data.lon, data.lat
    else:
        raise Invalid("cell_code", "give a patrol area (cell_code) or a point (lon and lat)")
    shift = _new_shift(
        team=team,
        member_id=member.id,
        cell=cell,
        lon=lon,
        lat=lat,
        place=data.place or (cell.name_zh if cell is not None else ""),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        by=principal.user_id,
    )
    session.add(shift)
    session.flush()
    return shift


def assign_team(session: Session, *, principal: Principal, data: AssignIn) -> list[VolunteerShift]:
    """Send a team to a grid cell: one shift for each active member (``Invalid`` when the team
    has none)."""
    team = get_team_or_raise(session, principal=principal, team_id=data.team_id, field="team_id")
    _check_span(data.starts_at, data.ends_at)
    cell = _jur_by_code(session, principal=principal, code=data.cell_code, field="cell_code")
    if cell.level != "cell":
        raise Invalid("cell_code", f"{cell.code} is a {cell.level}, not a grid cell")
    members = session.scalars(
        select(VolunteerMember).where(
            VolunteerMember.team_id == team.id, VolunteerMember.active.is_(True)
        )
    ).all()
    if not members:
        raise Invalid("team_id", f"team {team.id} has no active member")
    lon, lat = _cell_point(cell)
    shifts = [
        _new_shift(
            team=team,
            member_id=m.id,
            cell=cell,
            lon=lon,
            lat=lat,
            place=cell.name_zh,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            by=principal.user_id,
        )
        for m in members
    ]
    session.add_all(shifts)
    session.flush()
    return shifts


def _state(s: VolunteerShift, now: dt.datetime) -> str:
    if s.checked_out_at is not None:
        return "done"
    if s.checked_in_at is not None:
        return "on"
    return "missed" if s.ends_at < now else "planned"


def shift_reads(session: Session, shifts: list[VolunteerShift]) -> list[ShiftRead]:
    """Shifts with their team, member (masked) and cell names."""
    if not shifts:
        return []
    teams = dict(
        session.execute(
            select(VolunteerTeam.id, VolunteerTeam.name).where(
                VolunteerTeam.id.in_({s.team_id for s in shifts})
            )
        ).all()
    )
    members = {
        m.id: m
        for m in session.scalars(
            select(VolunteerMember).where(VolunteerMember.id.in_({s.member_id for s in shifts}))
        )
    }
    cells = dict(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.name_zh).where(
                Jurisdiction.id.in_({s.cell_id for s in shifts if s.cell_id is not None})
            )
        ).all()
    )
    now = utcnow()
    out = []
    for s in shifts:
        worked = 0
        if s.checked_in_at is not None and s.checked_out_at is not None:
            worked = int((s.checked_out_at - s.checked_in_at).total_seconds() // 60)
        dist = None
        if s.in_lon is not None and s.in_lat is not None:
            dist = round(_distance_m(s.lon, s.lat, s.in_lon, s.in_lat), 1)
        m = members.get(s.member_id)
        out.append(
            ShiftRead(
                id=s.id,
                team_id=s.team_id,
                team_name=teams.get(s.team_id, ""),
                member_id=s.member_id,
                member_name_masked=(mask_name(m.name) or "") if m else "",
                cell_id=s.cell_id,
                cell_name=cells.get(s.cell_id) if s.cell_id is not None else None,
                lon=s.lon,
                lat=s.lat,
                place=s.place,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                day=s.day,
                checked_in_at=s.checked_in_at,
                in_lon=s.in_lon,
                in_lat=s.in_lat,
                checked_out_at=s.checked_out_at,
                out_lon=s.out_lon,
                out_lat=s.out_lat,
                minutes_worked=worked,
                distance_in_m=dist,
                state=_state(s, now),  # type: ignore[arg-type]
            )
        )
    return out


def shift_read(session: Session, shift: VolunteerShift) -> ShiftRead:
    """One shift as read."""
    return shift_reads(session, [shift])[0]


def _own(principal: Principal) -> bool:
    return scope_of(principal.role, "volunteer.shift") == "own"


def _on_day(day: dt.date | None) -> ColumnElement[bool]:
    """Shifts of ``day``; without one, today's and any under way now (a shift from 23:30 to
    01:30 is still the volunteer's after midnight)."""
    if day is not None:
        return VolunteerShift.day == day
    now = utcnow()
    under_way = and_(VolunteerShift.starts_at <= now, VolunteerShift.ends_at > now)
    return or_(VolunteerShift.day == _today(), under_way)


def list_shifts(
    session: Session,
    *,
    principal: Principal,
    mine: bool = False,
    day: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    team_id: int | None = None,
) -> list[ShiftRead]:
    """Shifts: ``mine`` (always so for a volunteer) the caller's own of ``day`` (default
    today, and any under way now); else those of the caller's jurisdiction on ``day`` (the
    same default) or from ``since`` to ``until`` (local days), optionally of one team. Ordered
    by start."""
    if mine or _own(principal):
        member = member_of_user(session, user_id=principal.user_id)
        if member is None:
            return []
        q = select(VolunteerShift).where(VolunteerShift.member_id == member.id, _on_day(day))
    else:
        q = select(VolunteerShift).where(scope_clause(principal, VolunteerShift.jpath))
        if since is not None or until is not None:
            lo = since or (until or _today()) - dt.timedelta(days=6)
            hi = until or _today()
            if lo > hi:
                raise Invalid("since", f"{lo} lies after until ({hi})")
            q = q.where(VolunteerShift.day >= lo, VolunteerShift.day <= hi)
        else:
            q = q.where(_on_day(day))
        if team_id is not None:
            q = q.where(VolunteerShift.team_id == team_id)
    rows = session.scalars(q.order_by(VolunteerShift.starts_at, VolunteerShift.id)).all()
    return shift_reads(session, list(rows))


def get_shift_or_raise(session: Session, *, principal: Principal, shift_id: int) -> VolunteerShift:
    """A shift the caller may check in to: a volunteer's own, or one in a staff member's
    jurisdiction (404 otherwise: "shift N does not exist or is not yours")."""
    s = session.get(VolunteerShift, shift_id)
    if s is not None and _own(principal):
        m = session.get(VolunteerMember, s.member_id)
        if m is None or m.user_id != principal.user_id:
            s = None
    elif s is not None and not principal.can_see(s.jpath):
        s = None
    if s is None:
        raise NotFound(f"shift {shift_id} does not exist or is not yours")
    return s


def check(
    session: Session,
    *,
    principal: Principal,
    shift_id: int,
    data: CheckIn,
    out: bool,
    now: dt.datetime | None = None,
) -> VolunteerShift:
    """Check in to (``out`` False) or out of a shift at the phone's time and place. A check-in
    lies from 2 hours before the start to the end; a check-out after the check-in and up to 2
    hours after the end (``Invalid`` naming ``at``); a second check-in or check-out, or a
    check-out before any check-in, is a ``Conflict``."""
    s = get_shift_or_raise(session, principal=principal, shift_id=shift_id)
    now = now or utcnow()
    if data.at.tzinfo is None:
        raise Invalid("at", "give a time zone, e.g. 2026-12-07T19:02:00+08:00")
    at = data.at.astimezone(dt.UTC)
    if at > now + FUTURE_SLACK:
        raise Invalid("at", f"{at.isoformat()} lies in the future")
    if not out:
        if s.checked_in_at is not None:
            raise Conflict(
                f"shift {s.id}: already checked in at {s.checked_in_at.isoformat()}", field="at"
            )
        if not s.starts_at - CHECK_SLACK <= at <= s.ends_at:
            raise Invalid("at", "a check-in lies from 2 hours before the shift's start to its end")
        s.checked_in_at, s.in_lon, s.in_lat = at, data.lon, data.lat
    else:
        if s.checked_in_at is None:
            raise Conflict(f"shift {s.id}: not checked in yet; check in first", field="at")
        if s.checked_out_at is not None:
            raise Conflict(
                f"shift {s.id}: already checked out at {s.checked_out_at.isoformat()}",
                field="at",
            )
        if at < s.checked_in_at:
            raise Invalid("at", "the check-out lies before the check-in")
        if at > s.ends_at + CHECK_SLACK:
            raise Invalid("at", "a check-out lies up to 2 hours after the shift's end")
        s.checked_out_at, s.out_lon, s.out_lat = at, data.lon, data.lat
    session.flush()
    return s


# ------------------------------------------------------------------ hours and recognition


def hours(
    session: Session,
    *,
    principal: Principal,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_hours: float = 4.0,
    top: int = 10,
) -> HoursRead:
    """Hours worked (check-in to check-out) per member and per team from ``since`` to
    ``until`` (local days, default the last 30), in the caller's jurisdiction. The recognition
    list: the ``top`` members with at least ``min_hours``, most hours first. O(shifts)."""
    until = until or _today()
    since = since or until - dt.timedelta(days=29)
    if since > until:
        raise Invalid("since", f"{since} lies after until ({until})")
    rows = session.execute(
        select(
            VolunteerShift.member_id,
            VolunteerShift.team_id,
            VolunteerShift.checked_in_at,
            VolunteerShift.checked_out_at,
        ).where(
            scope_clause(principal, VolunteerShift.jpath),
            VolunteerShift.day >= since,
            VolunteerShift.day <= until,
        )
    ).all()
    per_member: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    team_of: dict[int, int] = {}
    for member_id, team_id, t_in, t_out in rows:
        a = per_member[member_id]
        a[0] += 1
        team_of[member_id] = team_id
        if t_in is not None and t_out is not None:
            a[1] += 1
            a[2] += (t_out - t_in).total_seconds() / 3600.0
    members = {
        m.id: m
        for m in session.scalars(
            select(VolunteerMember).where(VolunteerMember.id.in_(set(per_member)))
        )
    }
    team_names = dict(
        session.execute(
            select(VolunteerTeam.id, VolunteerTeam.name).where(
                VolunteerTeam.id.in_(set(team_of.values()))
            )
        ).all()
    )
    mrows = []
    per_team: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for mid, (n, done, h) in per_member.items():
        tid = team_of[mid]
        m = members.get(mid)
        mrows.append(
            HoursRow(
                id=mid,
                name=(mask_name(m.name) or "") if m else "",
                team_id=tid,
                team_name=team_names.get(tid, ""),
                shifts=int(n),
                shifts_done=int(done),
                hours=round(h, 2),
            )
        )
        t = per_team[tid]
        t[0] += n
        t[1] += done
        t[2] += h
    trows = [
        HoursRow(
            id=tid,
            name=team_names.get(tid, ""),
            team_id=tid,
            team_name=team_names.get(tid, ""),
            shifts=int(n),
            shifts_done=int(done),
            hours=round(h, 2),
        )
        for tid, (n, done, h) in per_team.items()
    ]
    mrows.sort(key=lambda r: (-r.hours, r.id))
    trows.sort(key=lambda r: (-r.hours, r.id))
    recog = [r for r in mrows if r.hours >= min_hours][:top]
    return HoursRead(
        since=since,
        until=until,
        members=mrows,
        teams=trows,
        recognition=recog,
        min_hours=min_hours,
    )


# ------------------------------------------------------------------ hot cells without a team


def _plan_heat(
    session: Session, principal: Principal, lo: dt.date, hi: dt.date
) -> dict[int, float]:
    """The patrol plans' hot-cell prizes of the week summed per grid cell."""
    from pingan.jurisdictions.service import assign_points
    from pingan.patrols.models import PatrolPlan

    lons: list[float] = []
    lats: list[float] = []
    prizes: list[float] = []
    for text in session.scalars(
        select(PatrolPlan.hot_cells).where(
            scope_clause(principal, PatrolPlan.jpath), PatrolPlan.day >= lo, PatrolPlan.day <= hi
        )
    ):
        for f in json.loads(text or "[]"):
            lons.append(float(f["lon"]))
            lats.append(float(f["lat"]))
            prizes.append(float(f.get("prize", 0.0)))
    heat: dict[int, float] = defaultdict(float)
    if lons:
        a = assign_points(session, lons, lats)
        for jid, p in zip(a.jurisdiction_id.tolist(), prizes, strict=True):
            if jid >= 0:
                heat[int(jid)] += p
    return heat


def _incident_heat(session: Session, principal: Principal, day: dt.date) -> dict[int, float]:
    """Incidents of the last 28 days per grid cell (when no patrol plan covers the week)."""
    from pingan.incidents.models import Incident

    since = dt.datetime.combine(day - dt.timedelta(days=28), dt.time(), local_tz())
    rows = session.execute(
        select(Incident.jpath, func.count())
        .where(
            scope_clause(principal, Incident.jpath),
            Incident.reported_at >= since,
            Incident.source != "drill",
        )
        .group_by(Incident.jpath)
    ).all()
    heat: dict[int, float] = {}
    for jpath, n in rows:
        tail = [x for x in str(jpath).strip("/").split("/") if x]
        if tail:
            heat[int(tail[-1])] = heat.get(int(tail[-1]), 0.0) + float(n)
    return heat


def hot_cells_without_team(
    session: Session, *, principal: Principal, day: dt.date | None = None, top: int = 20
) -> list[HotCellRead]:
    """The hottest grid cells of the caller's jurisdiction with no volunteer shift in the week
    of ``day``: hot by the week's patrol plans (their hot cells' expected incidents summed per
    grid cell), or by the incidents of the last 28 days when no plan covers the week; each with
    the teams of its community that could go."""
    day = day or _today()
    lo, hi = week_of(day)
    heat = _plan_heat(session, principal, lo, hi) or _incident_heat(session, principal, day)
    covered = set(
        session.scalars(
            select(VolunteerShift.cell_id).where(
                scope_clause(principal, VolunteerShift.jpath),
                VolunteerShift.day >= lo,
                VolunteerShift.day <= hi,
                VolunteerShift.cell_id.is_not(None),
            )
        )
    )
    cand = sorted(
        ((h, cid) for cid, h in heat.items() if cid not in covered and h > 0), reverse=True
    )
    cells = {
        j.id: j
        for j in session.scalars(
            select(Jurisdiction).where(
                Jurisdiction.id.in_([c for _, c in cand[: top * 2]]), Jurisdiction.level == "cell"
            )
        )
    }
    picked = [(h, cells[c]) for h, c in cand if c in cells and principal.can_see(cells[c].path)]
    picked = picked[:top]
    com_ids = {c.parent_id for _, c in picked if c.parent_id is not None}
    coms = dict(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.name_zh).where(Jurisdiction.id.in_(com_ids))
        ).all()
    )
    teams = list_teams(session, principal=principal)
    by_com: dict[int, list[TeamRead]] = defaultdict(list)
    for t in teams:
        by_com[t.community_id].append(t)
    return [
        HotCellRead(
            cell_id=c.id,
            cell_code=c.code,
            cell_name=c.name_zh,
            community_id=c.parent_id,
            community_name=coms.get(c.parent_id or 0, ""),
            heat=round(h, 3),
            lon=float(c.centroid_lon or 0.0),
            lat=float(c.centroid_lat or 0.0),
            teams=by_com.get(c.parent_id or 0, []),
        )
        for h, c in picked
    ]
