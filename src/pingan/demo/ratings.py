"""Demo security star ratings: each premises' recorded security features (a per-premises
quality drawn from a Beta distribution, so the stars spread from one to five), a public phone
per station, school posts, police rooms, inspections and rectification orders
(:mod:`pingan.demo.keyplaces`), hazards at each level of government (a few road segments, some
overdue), then every premises rated once (audited, as ``pingan ratings compute`` does).
Deterministic for a seed; run after the city is loaded."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
from sqlalchemy import insert, select

from pingan.auth.service import Principal
from pingan.demo.keyplaces import seed_keyplaces
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.ratings.criteria import get_criteria
from pingan.ratings.flows import ratings_compute_flow
from pingan.ratings.models import Hazard, PremisesFeature, StationPhone
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["seed_ratings"]

LEVELS = ("station", "district", "city")
OWNERS = {"station": "派出所", "district": "区政府", "city": "市政府"}
TRAFFIC_SEGMENT = "视线遮挡、缺少减速标志"

HAZARD_SHARE = 0.03
HAZARD_TITLES = (
    ("fire", "消防通道堵塞"),
    ("fire", "灭火器过期"),
    ("public_order", "监控设备损坏"),
    ("traffic", "出入口视线遮挡"),
)


def seed_ratings(engine: Any, *, seed: int) -> str:
    """Record features, phones and hazards, rate every premises; a one-line summary."""
    rng = np.random.default_rng(seed + 21)
    now = utcnow()
    codes = [i.code for i in get_criteria().items if i.type == "feature"]
    with unit_of_work(engine) as s:
        prem = s.execute(
            select(
                Premises.id,
                Premises.jpath,
                Premises.jurisdiction_id,
                Premises.lon,
                Premises.lat,
                Premises.kind,
                Premises.name,
                Premises.police_room,
            ).order_by(Premises.id)
        ).all()
        quality = rng.beta(4.0, 1.6, len(prem))
        present = rng.random((len(prem), len(codes))) < quality[:, None]
        kp = seed_keyplaces(s, prem=list(prem), present=present, codes=codes, rng=rng, now=now)
        rows = [
            {
                "premises_id": p.id,
                "jpath": p.jpath,
                "code": c,
                "present": bool(present[i, k]),
                "note": "整改验收" if (i, k) in kp.fixed else "",
                "recorded_at": now,
                "inspection_id": kp.latest.get(i),
            }
            for i, p in enumerate(prem)
            for k, c in enumerate(codes)
        ]
        if rows:
            s.execute(insert(PremisesFeature), rows)
        stations = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "station").order_by(Jurisdiction.id)
        ).all()
        for k, st in enumerate(stations):
            s.add(StationPhone(station_id=st.id, phone=f"0871-6{5100000 + 37 * k:07d}"[:14]))
        picks = np.flatnonzero(rng.random(len(prem)) < HAZARD_SHARE * (1.5 - quality))
        hazards = []
        today = now.date()
        for n, i in enumerate(picks.tolist()):
            p = prem[i]
            category, title = HAZARD_TITLES[n % len(HAZARD_TITLES)]
            level = LEVELS[int(rng.choice(3, p=(0.6, 0.25, 0.15)))]
            segment = category == "traffic" and n % 3 == 0
            status = "rectifying" if rng.random() < 0.2 else "open"
            geometry = None
            if segment:  # a stretch of road by the premises, about 300 m long
                dlon = 300 / (111_000 * math.cos(math.radians(p.lat)))
                geometry = json.dumps(
                    {"type": "LineString", "coordinates": [[p.lon, p.lat], [p.lon + dlon, p.lat]]}
                )
            hazards.append(
                {
                    "code": f"HZ-{n + 1:05d}",
                    "category": category,
                    "title": ("路段" + TRAFFIC_SEGMENT) if segment else title,
                    "geometry": geometry,
                    "lon": p.lon,
                    "lat": p.lat,
                    "level": level,
                    "owner": OWNERS[level],
                    "deadline": today + dt.timedelta(days=int(rng.integers(-20, 60))),
                    "status": status,
                    "premises_id": p.id,
                    "jurisdiction_id": p.jurisdiction_id,
                    "jpath": p.jpath,
                    "created_at": now - dt.timedelta(days=int(rng.integers(5, 120))),
                }
            )
        if hazards:
            s.execute(insert(Hazard), hazards)
        s.flush()
        admin = Principal(user_id=0, username="demo", role="admin", jpath="/", jurisdiction_id=None)
        out = ratings_compute_flow(s, principal=admin)
    spread = ", ".join(f"{k}★ {v}" for k, v in sorted(out.stars.items()))
    return f"{out.rated:,} premises rated ({spread}); {kp.summary}; {len(hazards)} hazards"
