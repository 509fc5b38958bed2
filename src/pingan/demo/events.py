"""Demo events: the stadium's last home match (a week ago, 20,000 fans: its posts mostly
staffed, the checks done, a log written; the after-action report has something to say) and the
next one (in six days: the plan drawn up, some checks done). Run after the city is loaded and
its road network saved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.events import service
from pingan.events.models import EventCheck, EventLogEntry, EventPost
from pingan.events.schemas import EventCreate
from pingan.places.models import KeyArea
from pingan.store.engine import unit_of_work

__all__ = ["seed_events"]

_LOG = (
    (-90, "instruction", "各岗位按时到岗，安检口17:30开启"),
    (-60, "note", "北门人流较大，增派2名民警"),
    (0, "note", "比赛开始，场内秩序正常"),
    (55, "note", "东看台客队球迷区发生口角，已处置"),
    (125, "instruction", "散场分批放行，南门先行"),
    (170, "note", "散场完毕，交通恢复"),
)


def _match(day: dt.date, zone: ZoneInfo, code: str, name: str, ka: KeyArea) -> EventCreate:
    kick = dt.datetime.combine(day, dt.time(19, 30), tzinfo=zone).astimezone(dt.UTC)
    return EventCreate(
        code=code,
        name=name,
        kind="match",
        key_area_id=ka.id,
        expected_crowd=20000,
        arrival_at=kick - dt.timedelta(hours=2),
        starts_at=kick,
        ends_at=kick + dt.timedelta(hours=2),
        dispersal_until=kick + dt.timedelta(hours=3, minutes=30),
        notes="主队联赛主场，预计客队球迷约2000人。",
    )


def seed_events(engine: Any, data_dir: Path, *, seed: int, now: dt.datetime | None = None) -> str:
    """Make the two demo matches; a one-line summary."""
    rng = np.random.default_rng(seed + 23)
    zone = ZoneInfo(get_settings().timezone)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()
    admin = Principal(user_id=0, username="demo", role="admin", jpath="/", jurisdiction_id=None)
    with unit_of_work(engine) as s:
        ka = s.scalar(select(KeyArea).where(KeyArea.kind == "stadium").order_by(KeyArea.id))
        if ka is None:
            return "no stadium: no demo events"
        past_day, next_day = today - dt.timedelta(days=7), today + dt.timedelta(days=6)
        past = service.create(
            s,
            principal=admin,
            data=_match(past_day, zone, f"M-{past_day:%Y%m%d}", f"{past_day:%m月%d日}主场联赛", ka),
            data_dir=data_dir,
        )
        upcoming = service.create(
            s,
            principal=admin,
            data=_match(next_day, zone, f"M-{next_day:%Y%m%d}", f"{next_day:%m月%d日}主场联赛", ka),
            data_dir=data_dir,
        )
        posts = s.scalars(select(EventPost).where(EventPost.event_id == past.id)).all()
        for p in posts:  # most posts reported in place shortly before their shift
            if p.resource_id is not None and rng.random() < 0.85:
                start = {"arrival": past.arrival_at, "event": past.starts_at}.get(
                    p.shift, past.ends_at
                )
                p.staffed_at = start - dt.timedelta(minutes=float(rng.integers(5, 30)))
        for c in s.scalars(select(EventCheck).where(EventCheck.event_id == past.id)).all():
            if rng.random() < 0.9:
                c.done_at, c.done_by, c.note = c.due_at - dt.timedelta(hours=2), "demo", "正常"
        for c in s.scalars(select(EventCheck).where(EventCheck.event_id == upcoming.id)).all():
            if c.kind == "hotel" and rng.random() < 0.4:
                c.done_at, c.done_by, c.note = (
                    (now or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=3), "demo", "正常",
                )  # fmt: skip
        for minutes, kind, text in _LOG:
            s.add(
                EventLogEntry(
                    event_id=past.id,
                    at=past.starts_at + dt.timedelta(minutes=minutes),
                    kind=kind,
                    text=text,
                    author="commander",
                )
            )
        s.flush()
        rep = service.report(s, principal=admin, event=past)
        s.commit()
    return (
        f"events: {past.code} (past: {rep.incidents} incidents in its zones) and "
        f"{upcoming.code} (upcoming)"
    )
