"""The demo's services ledger and volunteer teams (issue 24): a month of ledger entries for
every community officer, two volunteer teams in each of the first communities with their
members and a month of shifts (checked in and out), and the volunteer account ``volunteer_01``
(the role's demo password) with a shift that is on now. Deterministic for a seed, except that
times follow the clock of the build."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select

from pingan.audit.service import Actor
from pingan.auth.models import User
from pingan.auth.service import create_user
from pingan.config import get_settings
from pingan.demo.names import person_names
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.ledger.models import KINDS, LedgerEntry
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work
from pingan.volunteers.models import VolunteerMember, VolunteerShift, VolunteerTeam

__all__ = ["seed_ledger"]

DAYS = 30
TEAM_COMMUNITIES = 12
MEMBERS_PER_TEAM = 6
KIND_WEIGHTS = np.array([0.35, 0.12, 0.22, 0.08, 0.1, 0.05, 0.08])


def _station_ids(s: Any) -> dict[int, int]:
    """Community id → station id."""
    return dict(
        s.execute(
            select(Jurisdiction.id, Jurisdiction.parent_id).where(Jurisdiction.level == "community")
        ).all()
    )


def seed_ledger(engine: Any, *, seed: int, volunteer_password: str | None = None) -> str:
    """Seed the ledger and the volunteer teams; a one-line summary."""
    rng = np.random.default_rng(seed + 24)
    now = utcnow()
    with unit_of_work(engine) as s:
        n_entries = _seed_entries(s, rng, now)
        n_teams, n_shifts = _seed_teams(s, rng, now, volunteer_password)
        s.commit()
    return f"ledger: {n_entries} entries; volunteers: {n_teams} teams, {n_shifts} shifts"


def _seed_entries(s: Any, rng: np.random.Generator, now: dt.datetime) -> int:
    tz = ZoneInfo(get_settings().timezone)
    stations = _station_ids(s)
    officers = s.execute(
        select(
            User.id,
            Jurisdiction.id,
            Jurisdiction.path,
            Jurisdiction.min_lon,
            Jurisdiction.min_lat,
            Jurisdiction.max_lon,
            Jurisdiction.max_lat,
        )
        .join(Jurisdiction, Jurisdiction.id == User.jurisdiction_id)
        .where(User.role == "community_officer", Jurisdiction.level == "community")
        .order_by(User.id)
    ).all()
    rows: list[dict[str, Any]] = []
    for uid, com_id, com_path, x0, y0, x1, y1 in officers:
        if x0 is None:
            continue
        n = int(rng.integers(2, 6)) * DAYS
        lon = rng.uniform(x0, x1, n)
        lat = rng.uniform(y0, y1, n)
        a = assign_points(s, lon, lat)
        age_s = rng.uniform(600, DAYS * 86_400, n)
        kinds = rng.choice(len(KINDS), n, p=KIND_WEIGHTS / KIND_WEIGHTS.sum())
        minutes = rng.integers(5, 90, n)
        for k in range(n):
            path = str(a.jpath[k])
            if not path.startswith(com_path):
                continue
            at = now - dt.timedelta(seconds=float(age_s[k]))
            rows.append(
                {
                    "officer_id": uid,
                    "kind": KINDS[int(kinds[k])],
                    "at": at,
                    "day": at.astimezone(tz).date(),
                    "lon": float(lon[k]),
                    "lat": float(lat[k]),
                    "cell_id": int(a.jurisdiction_id[k]),
                    "community_id": com_id,
                    "station_id": stations.get(com_id),
                    "jpath": path,
                    "minutes": int(minutes[k]),
                    "note": "",
                    "created_at": at,
                }
            )
    if rows:
        s.execute(insert(LedgerEntry), rows)
    return len(rows)


def _seed_teams(
    s: Any, rng: np.random.Generator, now: dt.datetime, volunteer_password: str | None
) -> tuple[int, int]:
    tz = ZoneInfo(get_settings().timezone)
    coms = s.scalars(
        select(Jurisdiction)
        .where(Jurisdiction.level == "community")
        .order_by(Jurisdiction.id)
        .limit(TEAM_COMMUNITIES)
    ).all()
    if not coms:
        return 0, 0
    stations = _station_ids(s)
    volunteer = None
    if volunteer_password and s.scalar(select(User).where(User.username == "volunteer_01")) is None:
        volunteer = create_user(
            s,
            actor=Actor.system("demo"),
            username="volunteer_01",
            password=volunteer_password,
            role="volunteer",
            display_name="红袖标志愿者",
            jurisdiction_code=coms[0].code,
        )
    names = person_names(rng, len(coms) * 2 * MEMBERS_PER_TEAM)
    it = iter(names)
    today = now.astimezone(tz).date()
    n_teams = n_shifts = 0
    for ci, com in enumerate(coms):
        cells = s.scalars(
            select(Jurisdiction)
            .where(Jurisdiction.parent_id == com.id, Jurisdiction.level == "cell")
            .order_by(Jurisdiction.id)
        ).all()
        if not cells:
            continue
        for ti, (kind, label) in enumerate(
            (("red_armband", "红袖标队"), ("residents_patrol", "居民巡逻队"))
        ):
            team = VolunteerTeam(
                code=f"VT-{com.code}-{ti + 1}",
                name=f"{com.name_zh}{label}",
                kind=kind,
                community_id=com.id,
                station_id=stations.get(com.id),
                jpath=com.path,
                active=True,
                created_at=now - dt.timedelta(days=90),
            )
            s.add(team)
            s.flush()
            n_teams += 1
            members = []
            for mi in range(MEMBERS_PER_TEAM):
                zh, _en = next(it)
                m = VolunteerMember(
                    team_id=team.id,
                    user_id=volunteer.id
                    if (volunteer is not None and ci == 0 and ti == 0 and mi == 0)
                    else None,
                    name=zh,
                    phone=f"139{int(rng.integers(10_000_000, 99_999_999))}",
                    jpath=com.path,
                    active=True,
                    joined_on=today - dt.timedelta(days=int(rng.integers(30, 700))),
                    created_at=now - dt.timedelta(days=90),
                )
                members.append(m)
            s.add_all(members)
            s.flush()
            shifts = []
            for d in range(DAYS, -1, -1):
                day = today - dt.timedelta(days=d)
                if d > 0 and rng.random() < 0.5:
                    continue
                cell = cells[int(rng.integers(0, len(cells)))]
                start = dt.datetime.combine(day, dt.time(19, 0), tz).astimezone(dt.UTC)
                for m in members[: int(rng.integers(2, 5))]:
                    sh = _shift(team, m, cell, start, start + dt.timedelta(hours=2), now, rng)
                    shifts.append(sh)
            if ci == 0 and ti == 0:
                start = (now - dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
                shifts.append(
                    _shift(
                        team,
                        members[0],
                        cells[0],
                        start,
                        start + dt.timedelta(hours=4),
                        now,
                        rng,
                        open_=True,
                    )
                )
            s.add_all(shifts)
            n_shifts += len(shifts)
    s.flush()
    return n_teams, n_shifts


def _shift(
    team: VolunteerTeam,
    m: VolunteerMember,
    cell: Jurisdiction,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    rng: np.random.Generator,
    *,
    open_: bool = False,
) -> VolunteerShift:
    tz = ZoneInfo(get_settings().timezone)
    lon, lat = float(cell.centroid_lon or 0.0), float(cell.centroid_lat or 0.0)
    sh = VolunteerShift(
        team_id=team.id,
        member_id=m.id,
        cell_id=cell.id,
        lon=lon,
        lat=lat,
        place=cell.name_zh,
        starts_at=start,
        ends_at=end,
        day=start.astimezone(tz).date(),
        jpath=team.jpath,
        created_at=start - dt.timedelta(days=2),
    )
    if not open_ and end < now and rng.random() < 0.85:
        sh.checked_in_at = start + dt.timedelta(minutes=int(rng.integers(-5, 10)))
        sh.in_lon, sh.in_lat = (
            lon + float(rng.normal(0, 0.0005)),
            lat + float(rng.normal(0, 0.0005)),
        )
        sh.checked_out_at = end + dt.timedelta(minutes=int(rng.integers(-15, 15)))
        sh.out_lon, sh.out_lat = lon, lat
    return sh
