"""Demo security star ratings: each premises' recorded security features (a per-premises
quality drawn from a Beta distribution, so the stars spread from one to five), a public phone
per station, a few open hazards linked to premises, then every premises rated once (audited,
as ``pingan ratings compute`` does). Deterministic for a seed; run after the city is loaded."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import insert, select

from pingan.auth.service import Principal
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.ratings.criteria import get_criteria
from pingan.ratings.flows import ratings_compute_flow
from pingan.ratings.models import Hazard, PremisesFeature, StationPhone
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["seed_ratings"]

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
                Premises.id, Premises.jpath, Premises.jurisdiction_id, Premises.lon, Premises.lat
            ).order_by(Premises.id)
        ).all()
        quality = rng.beta(4.0, 1.6, len(prem))
        present = rng.random((len(prem), len(codes))) < quality[:, None]
        rows = [
            {
                "premises_id": p.id,
                "jpath": p.jpath,
                "code": c,
                "present": bool(present[i, k]),
                "note": "",
                "recorded_at": now,
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
        for n, i in enumerate(picks.tolist()):
            p = prem[i]
            category, title = HAZARD_TITLES[n % len(HAZARD_TITLES)]
            hazards.append(
                {
                    "code": f"HZ-{n + 1:05d}",
                    "category": category,
                    "title": title,
                    "lon": p.lon,
                    "lat": p.lat,
                    "level": "station",
                    "owner": "",
                    "status": "open",
                    "premises_id": p.id,
                    "jurisdiction_id": p.jurisdiction_id,
                    "jpath": p.jpath,
                    "created_at": now,
                }
            )
        if hazards:
            s.execute(insert(Hazard), hazards)
        s.flush()
        admin = Principal(user_id=0, username="demo", role="admin", jpath="/", jurisdiction_id=None)
        out = ratings_compute_flow(s, principal=admin)
    spread = ", ".join(f"{k}★ {v}" for k, v in sorted(out.stars.items()))
    return f"{out.rated:,} premises rated ({spread})"
