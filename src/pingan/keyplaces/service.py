"""School gate posts (护学岗) and hospital police rooms (医院警务室).

A post has duty windows (local time) on its school days; an officer checks in from a phone at
the gate: refused when farther than the post's radius (422 naming the distance) or outside every
window (409 naming the windows). A day's compliance per station is the windows staffed (one
check-in or more) over the windows due (started by then). A police room has the daily hours it
must be staffed; officers start and end shifts there, and the room shows who is on duty and the
hours staffed over the last seven days. Reads are scoped; nothing here commits."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, NotFound
from pingan.jurisdictions.models import Jurisdiction
from pingan.keyplaces.models import PoliceRoom, PoliceShift, PostCheckin, SchoolPost
from pingan.keyplaces.schemas import (
    CheckinRead,
    ComplianceRead,
    PostCompliance,
    PostCreate,
    PostRead,
    RoomRead,
    SlotRead,
    StationCompliance,
)
from pingan.places.models import Premises
from pingan.places.service import get_premises_or_raise
from pingan.ratings.service import station_of
from pingan.store.base import utcnow

__all__ = [
    "Window",
    "checkin",
    "compliance",
    "create_post",
    "distance_m",
    "end_shift",
    "get_post_or_raise",
    "list_posts",
    "list_rooms",
    "local_tz",
    "parse_windows",
    "start_shift",
    "stations",
]

EARTH_RADIUS_M = 6_371_008.8


def local_tz() -> ZoneInfo:
    """The bureau's time zone (duty windows and school days are local)."""
    return ZoneInfo(get_settings().timezone)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Window:
    """A duty window of local times, written ``07:30-08:10``."""

    start: dt.time
    end: dt.time

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, t: dt.time) -> bool:
        return self.start <= t <= self.end


def parse_windows(text: str) -> list[Window]:
    """The windows of ``07:30-08:10,16:30-17:30``; ``Invalid`` naming ``windows`` otherwise."""
    out = []
    for part in text.split(","):
        try:
            a, b = part.strip().split("-")
            w = Window(dt.time.fromisoformat(a), dt.time.fromisoformat(b))
        except ValueError as exc:
            raise Invalid("windows", f"{part!r}: write HH:MM-HH:MM, e.g. 07:30-08:10") from exc
        if w.end <= w.start:
            raise Invalid("windows", f"{part!r}: the window ends before it starts")
        out.append(w)
    return sorted(out, key=lambda w: w.start)


def stations(session: Session) -> dict[int, Jurisdiction]:
    """Every station by id."""
    return {
        j.id: j
        for j in session.scalars(select(Jurisdiction).where(Jurisdiction.level == "station"))
    }


def create_post(session: Session, *, principal: Principal, data: PostCreate) -> SchoolPost:
    """A school gate post at a school of the caller's scope (its gate: the school's point unless
    given)."""
    p = get_premises_or_raise(session, principal=principal, premises_id=data.premises_id)
    if p.kind != "school":
        raise Invalid("premises_id", f"premises {p.id} is a {p.kind}, not a school")
    parse_windows(data.windows)
    code = data.code or f"HXG-{p.code}-{secrets.token_hex(2).upper()}"
    if session.scalar(select(SchoolPost.id).where(SchoolPost.code == code)) is not None:
        raise Invalid("code", f"{code!r} already exists")
    post = SchoolPost(
        code=code,
        name=data.name or f"{p.name}护学岗",
        premises_id=p.id,
        lon=data.lon if data.lon is not None else p.lon,
        lat=data.lat if data.lat is not None else p.lat,
        radius_m=data.radius_m,
        windows=data.windows,
        school_days=data.school_days,
        jpath=p.jpath,
        station_id=station_of(p.jpath, stations(session)),
        active=True,
    )
    session.add(post)
    session.flush()
    return post


def get_post_or_raise(session: Session, *, principal: Principal, post_id: int) -> SchoolPost:
    """The post if it exists in scope, else ``NotFound``."""
    post = session.get(SchoolPost, post_id)
    if post is None or not principal.can_see(post.jpath):
        raise NotFound(f"school post {post_id} does not exist or is outside your jurisdiction")
    return post


def list_posts(
    session: Session, *, principal: Principal, station_id: int | None = None
) -> list[SchoolPost]:
    """Active posts in scope (of one station), by code."""
    q = select(SchoolPost).where(
        SchoolPost.active.is_(True), scope_clause(principal, SchoolPost.jpath)
    )
    if station_id is not None:
        q = q.where(SchoolPost.station_id == station_id)
    return list(session.scalars(q.order_by(SchoolPost.code)))


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {
        int(u.id): str(u.username)
        for u in session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    }


def _checkin_read(c: PostCheckin, post: SchoolPost, names: dict[int, str]) -> CheckinRead:
    return CheckinRead(
        id=c.id,
        post_id=post.id,
        post_name=post.name,
        officer=names.get(c.officer_id or 0),
        at=c.at,
        day=c.day,
        window=c.window,
        distance_m=round(c.distance_m, 1),
    )


def checkin(
    session: Session,
    *,
    principal: Principal,
    post_id: int,
    lon: float,
    lat: float,
    now: dt.datetime | None = None,
) -> CheckinRead:
    """Check the caller in at a post: within its radius, inside a duty window of a school day.
    A second check-in in the same window answers the first (``already``)."""
    post = get_post_or_raise(session, principal=principal, post_id=post_id)
    now = now or utcnow()
    local = now.astimezone(local_tz())
    d = distance_m(lon, lat, post.lon, post.lat)
    if d > post.radius_m:
        raise Invalid(
            "lon",
            f"you are {d:.0f} m from the gate of {post.name}; check in within "
            f"{post.radius_m:.0f} m",
            detail={"distance_m": round(d, 1), "radius_m": post.radius_m},
        )
    windows = parse_windows(post.windows)
    if str(local.isoweekday()) not in post.school_days:
        raise Conflict(
            f"{local:%Y-%m-%d} is not a school day of {post.name} (days {post.school_days})",
            field="at",
        )
    hit = next((w for w in windows if w.contains(local.time())), None)
    if hit is None:
        raise Conflict(
            f"{local:%H:%M} is outside the duty windows of {post.name} "
            f"({', '.join(w.text for w in windows)})",
            field="at",
            detail={"windows": [w.text for w in windows], "local_time": f"{local:%H:%M}"},
        )
    names = _usernames(session, {principal.user_id})
    prior = session.scalar(
        select(PostCheckin).where(
            PostCheckin.post_id == post.id,
            PostCheckin.day == local.date(),
            PostCheckin.window == hit.text,
            PostCheckin.officer_id == (principal.user_id or None),
        )
    )
    if prior is not None:
        return _checkin_read(prior, post, names).model_copy(update={"already": True})
    c = PostCheckin(
        post_id=post.id,
        officer_id=principal.user_id or None,
        at=now,
        day=local.date(),
        window=hit.text,
        lon=lon,
        lat=lat,
        distance_m=d,
        jpath=post.jpath,
    )
    session.add(c)
    session.flush()
    return _checkin_read(c, post, names)


def compliance(
    session: Session,
    *,
    principal: Principal,
    day: dt.date | None = None,
    station_id: int | None = None,
    now: dt.datetime | None = None,
) -> ComplianceRead:
    """Posts staffed / due on a local day, per station and per post: a window is due once it has
    started (the whole day for a past day), staffed when someone checked in during it."""
    now = now or utcnow()
    local = now.astimezone(local_tz())
    day = day or local.date()
    posts = list_posts(session, principal=principal, station_id=station_id)
    ids = [p.id for p in posts]
    checks: dict[tuple[int, str], list[PostCheckin]] = {}
    if ids:
        for c in session.scalars(
            select(PostCheckin)
            .where(PostCheckin.day == day, PostCheckin.post_id.in_(ids))
            .order_by(PostCheckin.at)
        ):
            checks.setdefault((c.post_id, c.window), []).append(c)
    names = _usernames(session, {c.officer_id for cs in checks.values() for c in cs})
    sts = stations(session)
    per_station: dict[int | None, list[int]] = {}
    out_posts = []
    for p in posts:
        school_day = str(day.isoweekday()) in p.school_days
        slots = []
        for w in parse_windows(p.windows) if school_day else []:
            due = day < local.date() or (day == local.date() and local.time() >= w.start)
            cs = checks.get((p.id, w.text), [])
            slots.append(
                SlotRead(
                    window=w.text,
                    due=due,
                    staffed=bool(cs),
                    checkins=[_checkin_read(c, p, names) for c in cs],
                )
            )
            tally = per_station.setdefault(p.station_id, [0, 0])
            tally[0] += int(due)
            tally[1] += int(due and bool(cs))
        out_posts.append(
            PostCompliance(post=PostRead.model_validate(p), school_day=school_day, slots=slots)
        )
    rows = []
    for sid, (due_n, staffed_n) in sorted(per_station.items(), key=lambda kv: kv[0] or 0):
        st = sts.get(sid) if sid is not None else None
        rows.append(
            StationCompliance(
                station_id=sid,
                station_code=st.code if st else None,
                station_name=st.name_zh if st else None,
                due=due_n,
                staffed=staffed_n,
                share=round(staffed_n / due_n, 3) if due_n else None,
            )
        )
    due_all = sum(r.due for r in rows)
    staffed_all = sum(r.staffed for r in rows)
    return ComplianceRead(
        day=day,
        due=due_all,
        staffed=staffed_all,
        share=round(staffed_all / due_all, 3) if due_all else None,
        stations=rows,
        posts=out_posts,
    )


# ------------------------------------------------------------------ hospital police rooms


def _hours(a: str, b: str) -> float:
    ta, tb = dt.time.fromisoformat(a), dt.time.fromisoformat(b) if b != "24:00" else None
    end_min = 24 * 60 if tb is None else tb.hour * 60 + tb.minute
    return max(0.0, (end_min - (ta.hour * 60 + ta.minute)) / 60)


def list_rooms(
    session: Session, *, principal: Principal, now: dt.datetime | None = None
) -> list[RoomRead]:
    """The police rooms in scope: who is on duty now and the hours staffed in the last seven
    days (shifts clipped to the window) against the daily hours due."""
    now = now or utcnow()
    since = now - dt.timedelta(days=7)
    rooms = session.execute(
        select(PoliceRoom, Premises.name)
        .join(Premises, Premises.id == PoliceRoom.premises_id)
        .where(scope_clause(principal, PoliceRoom.jpath))
        .order_by(PoliceRoom.id)
    ).all()
    ids = [r.id for r, _ in rooms]
    shifts: dict[int, list[PoliceShift]] = {}
    if ids:
        for s in session.scalars(
            select(PoliceShift).where(
                PoliceShift.room_id.in_(ids),
                PoliceShift.starts_at <= now,
                (PoliceShift.ends_at.is_(None)) | (PoliceShift.ends_at >= since),
            )
        ):
            shifts.setdefault(s.room_id, []).append(s)
    names = _usernames(session, {s.officer_id for ss in shifts.values() for s in ss})
    out = []
    for room, pname in rooms:
        staffed = 0.0
        on_duty = []
        for s in shifts.get(room.id, []):
            end = s.ends_at or now
            staffed += max(0.0, (min(end, now) - max(s.starts_at, since)).total_seconds())
            if s.ends_at is None or s.ends_at > now:
                on_duty.append(names.get(s.officer_id or 0, "?"))
        out.append(
            RoomRead(
                id=room.id,
                premises_id=room.premises_id,
                premises_name=str(pname),
                name=room.name,
                phone=room.phone,
                staffed_from=room.staffed_from,
                staffed_to=room.staffed_to,
                station_id=room.station_id,
                on_duty=sorted(on_duty),
                staffed_h_7d=round(staffed / 3600, 1),
                required_h_7d=round(7 * _hours(room.staffed_from, room.staffed_to), 1),
            )
        )
    return out


def _room_or_raise(session: Session, *, principal: Principal, room_id: int) -> PoliceRoom:
    room = session.get(PoliceRoom, room_id)
    if room is None or not principal.can_see(room.jpath):
        raise NotFound(f"police room {room_id} does not exist or is outside your jurisdiction")
    return room


def start_shift(
    session: Session, *, principal: Principal, room_id: int, now: dt.datetime | None = None
) -> PoliceShift:
    """The caller goes on duty in a police room (409 when already on duty there)."""
    room = _room_or_raise(session, principal=principal, room_id=room_id)
    open_ = session.scalar(
        select(PoliceShift).where(
            PoliceShift.room_id == room.id,
            PoliceShift.officer_id == (principal.user_id or None),
            PoliceShift.ends_at.is_(None),
        )
    )
    if open_ is not None:
        raise Conflict(f"you are already on duty in {room.name} since {open_.starts_at:%H:%M}")
    s = PoliceShift(
        room_id=room.id,
        officer_id=principal.user_id or None,
        starts_at=now or utcnow(),
        jpath=room.jpath,
    )
    session.add(s)
    session.flush()
    return s


def end_shift(
    session: Session, *, principal: Principal, room_id: int, now: dt.datetime | None = None
) -> PoliceShift:
    """The caller goes off duty (409 when not on duty there)."""
    room = _room_or_raise(session, principal=principal, room_id=room_id)
    s = session.scalar(
        select(PoliceShift).where(
            PoliceShift.room_id == room.id,
            PoliceShift.officer_id == (principal.user_id or None),
            PoliceShift.ends_at.is_(None),
        )
    )
    if s is None:
        raise Conflict(f"you are not on duty in {room.name}")
    s.ends_at = now or utcnow()
    session.flush()
    return s
