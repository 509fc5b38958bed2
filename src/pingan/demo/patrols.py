"""Demo patrol plans: for the station with most incidents, yesterday evening's plan (published,
with the units' position tracks of that block: most stops visited on time, some missed) and the
plan of the current block (draft). Routes are solved with an iteration cap, so the build is
quick and the same for a seed. Run after the city is loaded and its road network saved."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, insert, select

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.jurisdictions.models import Jurisdiction
from pingan.patrols import service
from pingan.patrols.models import PatrolPlan
from pingan.resources.models import Resource, ResourcePosition
from pingan.store.engine import unit_of_work

__all__ = ["seed_patrols", "simulate_track"]

VISIT_SHARE = 0.8
"""Share of planned stops the demo units actually reach in time."""


def busiest_station(session: Any) -> Jurisdiction | None:
    """The station with most patrol units (foot teams, cars, motorcycles; ties: the first)."""
    row = session.execute(
        select(Resource.station_id, func.count().label("n"))
        .where(Resource.kind.in_(("foot_team", "patrol_car", "motorcycle")))
        .group_by(Resource.station_id)
        .order_by(func.count().desc(), Resource.station_id)
        .limit(1)
    ).first()
    return None if row is None else session.get(Jurisdiction, row[0])


def simulate_track(
    rng: np.random.Generator,
    start: dt.datetime,
    depot: tuple[float, float],
    stops: list[dict[str, Any]],
    *,
    step_s: float = 60.0,
    visit_share: float = VISIT_SHARE,
) -> list[tuple[dt.datetime, float, float]]:
    """Positions every ``step_s`` along a route: at each reached stop through its dwell (a few
    metres of jitter), straight lines between; a missed stop is replaced by a place 600 m off."""
    way: list[tuple[float, float, float]] = [(0.0, depot[0], depot[1])]
    for s in stops:
        lon, lat = float(s["lon"]), float(s["lat"])
        if rng.random() > visit_share:
            lon += 0.0065 * (1 if rng.random() < 0.5 else -1)
        a = float(s["arrive_s"])
        way += [(a, lon, lat), (a + float(s["dwell_s"]), lon, lat)]
    if stops:
        back = way[-1][0] + 900.0
        way.append((back, depot[0], depot[1]))
    t = np.array([w[0] for w in way])
    w_lon = np.array([w[1] for w in way])
    w_lat = np.array([w[2] for w in way])
    ts = np.arange(0.0, t[-1] + 1, step_s)
    jit = rng.normal(0, 0.00012, (ts.size, 2))
    out_lon = np.interp(ts, t, w_lon) + jit[:, 0]
    out_lat = np.interp(ts, t, w_lat) + jit[:, 1]
    return [
        (start + dt.timedelta(seconds=float(x)), float(a), float(b))
        for x, a, b in zip(ts, out_lon, out_lat, strict=True)
    ]


def seed_patrols(engine: Any, data_dir: Path, *, seed: int, now: dt.datetime | None = None) -> str:
    """Make the two demo plans and yesterday's tracks; a one-line summary."""
    rng = np.random.default_rng(seed + 22)
    zone = ZoneInfo(get_settings().timezone)
    local = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    admin = Principal(user_id=0, username="demo", role="admin", jpath="/", jurisdiction_id=None)
    with unit_of_work(engine) as s:
        st = busiest_station(s)
        if st is None:
            return "no station: no patrol plans"
        yesterday = local.date() - dt.timedelta(days=1)
        kw: dict[str, Any] = {"data_dir": data_dir, "time_limit_s": 1.5, "max_iterations": 400}
        past = service.generate(s, principal=admin, station=st, day=yesterday, block=3, **kw)
        service.publish(s, principal=admin, plan=past, published=True)
        cur = service.generate(
            s, principal=admin, station=st, day=local.date(), block=local.hour // 6, **kw
        )
        rows = []
        site = (
            float(st.site_lon or st.centroid_lon or 0),
            float(st.site_lat or st.centroid_lat or 0),
        )
        for it in service.items_of(s, plan_id=past.id):
            if it.resource_id is None or it.kind == "area":
                continue
            stops = json.loads(it.stops)
            if it.kind == "point":
                depot = (float(stops[0]["lon"]), float(stops[0]["lat"]))
                track = simulate_track(
                    rng, past.starts_at, depot, stops, step_s=300.0, visit_share=1.0
                )
            else:
                depot = (
                    tuple(json.loads(it.geometry)["coordinates"][0]) if it.mode == "drone" else site
                )
                track = simulate_track(rng, past.starts_at, depot, stops)  # type: ignore[arg-type]
            rows += [
                {"resource_id": it.resource_id, "at": at, "lon": lon, "lat": lat}
                for at, lon, lat in track
                if at < past.ends_at + dt.timedelta(minutes=30)
            ]
        if rows:
            s.execute(insert(ResourcePosition), rows)
        n_items = s.scalar(select(func.count()).select_from(PatrolPlan))
        actual = service.actual_read(s, principal=admin, plan=past)
        s.commit()
    share = "—" if actual.visited_share is None else f"{actual.visited_share:.0%}"
    return (
        f"patrol plans: {n_items} for {st.code} (yesterday evening: {share} of stops visited; "
        f"today block {cur.block}), {len(rows):,} track positions"
    )
