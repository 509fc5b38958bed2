"""Demo key places (issue 21): a gate post at every school with two weeks of check-ins (most duty
windows staffed), a police room in every hospital that has one with a week of shifts, an
inspection history (about a quarter of the premises inspected once or twice in the last year,
item by item, the items agreeing with the recorded features) whose failed items opened
rectification orders — the older ones mostly accepted, some late and escalated, the recent ones
open at every step — and hazards at each level of government, a few of them road segments.
Deterministic for a seed; runs inside :func:`pingan.demo.ratings.seed_ratings` before the
features are written and the premises rated."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.evaluation.models import PremisesInspection
from pingan.jurisdictions.models import Jurisdiction
from pingan.keyplaces.models import (
    InspectionResult,
    OrderEvent,
    PoliceRoom,
    PoliceShift,
    PostCheckin,
    RectificationOrder,
    SchoolPost,
)
from pingan.ratings.criteria import get_criteria

__all__ = ["Seeded", "seed_keyplaces"]

TZ = ZoneInfo("Asia/Shanghai")
INSPECTED_SHARE = 0.25
CHECKIN_DAYS = 14
STAFFED_SHARE = 0.85
WINDOWS = "07:30-08:10,16:30-17:30"
PROBLEMS = {
    "staffed_gate": "门卫无人值守",
    "visitor_registration": "访客未登记",
    "lighting": "出入口照明不足",
    "patrols": "内部巡查记录缺失",
    "alarm_link": "一键报警未联网",
    "fire_inspection": "消防通道堵塞、灭火器过期",
}


@dataclass
class Seeded:
    """What the features must reflect: the latest inspection of a premises row, and the
    (premises row, feature column) pairs fixed by an accepted order."""

    latest: dict[int, int] = field(default_factory=dict)
    fixed: set[tuple[int, int]] = field(default_factory=set)
    summary: str = ""


def _station_of(jpath: str, stations: set[int]) -> int | None:
    for part in jpath.strip("/").split("/"):
        if part.isdigit() and int(part) in stations:
            return int(part)
    return None


def _officers(session: Session, stations: set[int]) -> dict[int, list[int | None]]:
    paths: dict[Any, Any] = dict(session.execute(select(Jurisdiction.id, Jurisdiction.path)).all())
    out: dict[int, list[int | None]] = {}
    for uid, jid in session.execute(
        select(User.id, User.jurisdiction_id).where(User.role == "community_officer")
    ):
        st = _station_of(str(paths.get(jid, "")), stations)
        if st is not None:
            out.setdefault(st, []).append(int(uid))
    return out


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), TZ).astimezone(dt.UTC)


def _posts(
    session: Session, prem: list[Any], kinds: list[str], st_of: list[int | None], rng: Any
) -> list[SchoolPost]:
    posts = []
    for i, p in enumerate(prem):
        if kinds[i] != "school":
            continue
        posts.append(
            SchoolPost(
                code=f"HXG-{p.id:05d}",
                name=f"{p.name}护学岗",
                premises_id=p.id,
                lon=p.lon + rng.normal(0, 20) / 100_000,
                lat=p.lat + rng.normal(0, 20) / 111_000,
                radius_m=100.0,
                windows=WINDOWS,
                school_days="12345",
                jpath=p.jpath,
                station_id=st_of[i],
                active=True,
            )
        )
    session.add_all(posts)
    session.flush()
    return posts


def _checkins(
    session: Session,
    posts: list[SchoolPost],
    officers: dict[int, list[int | None]],
    rng: Any,
    now: dt.datetime,
) -> int:
    today = now.astimezone(TZ).date()
    rows = []
    for post in posts:
        staff = officers.get(post.station_id or 0) or [None]
        for back in range(CHECKIN_DAYS, -1, -1):
            day = today - dt.timedelta(days=back)
            if day.isoweekday() > 5:
                continue
            for w in WINDOWS.split(","):
                start = _local(day, w[:5])
                if start > now or rng.random() > STAFFED_SHARE:
                    continue
                at = start + dt.timedelta(minutes=float(rng.uniform(0, 15)))
                if at > now:
                    at = now
                d_m = float(rng.uniform(5, 80))
                ang = float(rng.uniform(0, 2 * math.pi))
                rows.append(
                    {
                        "post_id": post.id,
                        "officer_id": staff[int(rng.integers(0, len(staff)))],
                        "at": at,
                        "day": day,
                        "window": w,
                        "lon": post.lon
                        + d_m * math.cos(ang) / (111_000 * math.cos(math.radians(post.lat))),
                        "lat": post.lat + d_m * math.sin(ang) / 111_000,
                        "distance_m": d_m,
                        "jpath": post.jpath,
                    }
                )
    if rows:
        session.execute(insert(PostCheckin), rows)
    return len(rows)


def _rooms(
    session: Session,
    prem: list[Any],
    kinds: list[str],
    st_of: list[int | None],
    officers: dict[int, list[int | None]],
    rng: Any,
    now: dt.datetime,
) -> int:
    rooms = [
        PoliceRoom(
            premises_id=p.id,
            name=f"{p.name}警务室",
            phone=f"0871-6{(7100000 + 13 * p.id) % 10_000_000:07d}",
            staffed_from="08:00",
            staffed_to="20:00",
            jpath=p.jpath,
            station_id=st_of[i],
        )
        for i, p in enumerate(prem)
        if kinds[i] == "hospital" and p.police_room
    ]
    session.add_all(rooms)
    session.flush()
    today = now.astimezone(TZ).date()
    shifts = []
    for room in rooms:
        staff = officers.get(room.station_id or 0) or [None]
        for back in range(7, -1, -1):
            day = today - dt.timedelta(days=back)
            for a, b in (("08:00", "14:00"), ("14:00", "20:00")):
                start, end = _local(day, a), _local(day, b)
                if start > now or rng.random() > 0.9:
                    continue
                shifts.append(
                    {
                        "room_id": room.id,
                        "officer_id": staff[int(rng.integers(0, len(staff)))],
                        "starts_at": start,
                        "ends_at": end if end <= now else None,
                        "jpath": room.jpath,
                    }
                )
    if shifts:
        session.execute(insert(PoliceShift), shifts)
    return len(rooms)


def _inspections(
    session: Session,
    prem: list[Any],
    st_of: list[int | None],
    officers: dict[int, list[int | None]],
    rng: Any,
    now: dt.datetime,
) -> tuple[list[tuple[int, float]], list[PremisesInspection]]:
    """The inspections: an older one (30-330 days ago) and, for half, a recent one (1-25 days
    ago), oldest first so the latest per premises is written last; (premises index, days ago)
    beside each stored row."""
    picks = np.flatnonzero(rng.random(len(prem)) < INSPECTED_SHARE)
    plan: list[tuple[int, float]] = []
    for i in picks.tolist():
        plan.append((i, float(rng.uniform(30, 330))))
        if rng.random() < 0.5:
            plan.append((i, float(rng.uniform(1, 25))))
    plan.sort(key=lambda x: -x[1])
    inspections = [
        PremisesInspection(
            premises_id=prem[i].id,
            jpath=prem[i].jpath,
            officer_id=(officers.get(st_of[i] or 0) or [None])[0],
            inspected_at=now - dt.timedelta(days=days_ago),
            outcome="ok",
            note="",
            lon=prem[i].lon,
            lat=prem[i].lat,
        )
        for i, days_ago in plan
    ]
    session.add_all(inspections)
    session.flush()
    return plan, inspections


def _results(
    insp: PremisesInspection,
    points: dict[str, Any],
    codes: list[str],
    present_i: Any,
    days_ago: float,
    rng: Any,
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """One inspection's item results (each feature the kind scores, then the fire inspection)
    and its failed items as (feature index or -1, code)."""
    results: list[dict[str, Any]] = []
    failed: list[tuple[int, str]] = []
    for k, code in enumerate(codes):
        if points.get(code, 0) <= 0:
            continue
        ok = bool(present_i[k]) or (days_ago > 30 and rng.random() < 0.5)
        results.append(
            {"inspection_id": insp.id, "code": code, "result": "pass" if ok else "fail", "note": ""}
        )
        if not ok:
            failed.append((k, code))
    fire_ok = rng.random() < 0.8
    results.append(
        {
            "inspection_id": insp.id,
            "code": "fire_inspection",
            "result": "pass" if fire_ok else "fail",
            "note": "",
        }
    )
    if not fire_ok:
        failed.append((-1, "fire_inspection"))
    return results, failed


def _order(
    n_order: int,
    prem_i: Any,
    station: int | None,
    insp: PremisesInspection,
    code: str,
    days_ago: float,
    rng: Any,
    today: dt.date,
) -> tuple[dict[str, Any], list[tuple[str, dt.datetime]], bool]:
    """The rectification order a failed item opens: its row, its steps so far and whether it
    was fixed (older orders mostly accepted; recent ones at every step, late ones escalated)."""
    issued = insp.inspected_at
    deadline = issued.astimezone(TZ).date() + dt.timedelta(days=7)
    row: dict[str, Any] = {
        "code": f"ZG{issued.astimezone(TZ):%Y%m%d}-D{n_order:05d}",
        "premises_id": prem_i.id,
        "inspection_id": insp.id,
        "item_code": code,
        "problem": PROBLEMS.get(code, code),
        "owner": f"{prem_i.name}负责人",
        "assignee_id": insp.officer_id,
        "deadline": deadline,
        "jpath": prem_i.jpath,
        "station_id": station,
        "report": "",
        "escalation_level": 0,
        "issued_at": issued,
        "state": "issued",
    }
    steps = [("issued", issued)]
    if days_ago > 30 and rng.random() < 0.85:
        fix_days = float(rng.uniform(1, 10))
        row["signed_at"] = issued + dt.timedelta(days=0.5)
        row["reported_at"] = issued + dt.timedelta(days=fix_days - 0.3)
        row["accepted_at"] = issued + dt.timedelta(days=fix_days)
        row["report"] = "已按要求整改"
        row["state"] = "accepted"
        steps += [
            ("signed", row["signed_at"]),
            ("reported", row["reported_at"]),
            ("accepted", row["accepted_at"]),
        ]
        return row, steps, True
    state = str(rng.choice(["issued", "signed", "reported", "rework"]))
    row["state"] = state
    if state != "issued":
        row["signed_at"] = issued + dt.timedelta(days=0.5)
        steps.append(("signed", row["signed_at"]))
    if state in ("reported", "rework"):
        row["reported_at"] = issued + dt.timedelta(days=min(days_ago, 6) - 0.2)
        row["report"] = "已部分整改"
        steps.append(("reported", row["reported_at"]))
    if state == "rework":
        row["rework_at"] = row["reported_at"] + dt.timedelta(hours=3)
        steps.append(("rework", row["rework_at"]))
    late_days = (today - deadline).days
    if late_days > 0:
        row["escalation_level"] = 2 if late_days > 7 else 1
        row["escalated_at"] = _local(deadline + dt.timedelta(days=1), "09:00")
    return row, steps, False


_EVENT_KIND = {
    "issued": "issued",
    "signed": "sign",
    "reported": "report",
    "accepted": "accept",
    "rework": "reject",
}


def _order_events(
    order_rows: list[RectificationOrder], orders: list[tuple[dict[str, Any], list[Any]]]
) -> list[dict[str, Any]]:
    """The timeline rows of the stored orders, one per step."""
    events: list[dict[str, Any]] = []
    for o, (_, steps) in zip(order_rows, orders, strict=True):
        prev = None
        for state, at in steps:
            events.append(
                {
                    "order_id": o.id,
                    "at": at,
                    "kind": _EVENT_KIND[state],
                    "from_state": prev,
                    "to_state": state,
                    "actor_id": o.assignee_id,
                    "note": o.problem if state == "issued" else "",
                    "data": json.dumps({}),
                }
            )
            prev = state
    return events


def seed_keyplaces(
    session: Session,
    *,
    prem: list[Any],
    present: np.ndarray,
    codes: list[str],
    rng: Any,
    now: dt.datetime,
) -> Seeded:
    """Posts, check-ins, police rooms, inspections and orders for the premises rows ``prem``
    (id, jpath, kind, name, lon, lat, police_room) with their drawn features ``present``."""
    crit = get_criteria()
    stations = {
        int(i)
        for i in session.scalars(select(Jurisdiction.id).where(Jurisdiction.level == "station"))
    }
    st_of = [_station_of(p.jpath, stations) for p in prem]
    kinds = [str(p.kind) for p in prem]
    officers = _officers(session, stations)
    out = Seeded()
    posts = _posts(session, prem, kinds, st_of, rng)
    n_check = _checkins(session, posts, officers, rng, now)
    n_rooms = _rooms(session, prem, kinds, st_of, officers, rng, now)
    today = now.astimezone(TZ).date()
    plan, inspections = _inspections(session, prem, st_of, officers, rng, now)
    results: list[dict[str, Any]] = []
    orders: list[tuple[dict[str, Any], list[Any]]] = []
    for (i, days_ago), insp in zip(plan, inspections, strict=True):
        out.latest[i] = insp.id
        points = crit.sets[crit.set_of(kinds[i])]
        item_results, failed = _results(insp, points, codes, present[i], days_ago, rng)
        results += item_results
        all_fixed = True
        for k, code in failed:
            row, steps, fixed = _order(
                len(orders) + 1, prem[i], st_of[i], insp, code, days_ago, rng, today
            )
            if fixed and k >= 0:
                out.fixed.add((i, k))
                present[i, k] = True  # a later inspection finds it fixed
            all_fixed = all_fixed and fixed
            orders.append((row, steps))
        if failed:
            insp.outcome = "rectified" if all_fixed else "issues_found"
    if results:
        session.execute(insert(InspectionResult), results)
    order_rows = [RectificationOrder(**row) for row, _ in orders]
    session.add_all(order_rows)
    session.flush()
    events = _order_events(order_rows, orders)
    if events:
        session.execute(insert(OrderEvent), events)
    open_n = sum(1 for o in order_rows if o.state != "accepted")
    out.summary = (
        f"{len(posts)} school posts, {n_check:,} check-ins, {n_rooms} police rooms, "
        f"{len(inspections):,} inspections, {len(order_rows):,} orders ({open_n} open)"
    )
    return out
