"""The demo's dispute history: tied to dispute incidents, valid states and rows, parties
encrypted, risk evaluated by the real rules, deterministic for a seed."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pingan.demo.ops_disputes import load_disputes
from pingan.disputes.models import Dispute, DisputeParty, MediationStep
from pingan.disputes.service import LIFECYCLE
from tests.conftest import auth
from tests.factories import SmallCity


def test_demo_disputes(client: TestClient, city: SmallCity, session: Session) -> None:
    lon, lat = city.cell_center(0)
    now = dt.datetime.now(dt.UTC)
    for i, sub in enumerate(["neighbour_dispute", "family_dispute", "labour_dispute"] * 4):
        r = client.post(
            "/api/v1/incidents",
            json={
                "subtype": sub,
                "lon": lon + 0.001 * (i % 3),
                "lat": lat,
                "reported_at": (now - dt.timedelta(days=5 + 11 * i)).isoformat(),
            },
            headers=auth(city.tokens["dispatcher"]),
        )
        assert r.status_code == 201, r.text
    out = load_disputes(session.connection(), seed=7, target=8, now=now)
    assert out["disputes"] == 8 and out["dispute_parties"] == 16
    rows = session.scalars(select(Dispute)).all()
    assert len(rows) == 8
    assert all(d.state in LIFECYCLE.states and d.incident_id is not None for d in rows)
    assert all(d.owner_id == city.users["officer0"].id for d in rows)
    assert all(d.risk_evaluated_at is not None for d in rows)
    assert {d.kind for d in rows} <= {
        "neighbourhood",
        "family",
        "labour_wages",
        "property_landlord",
        "other",
    }
    assert session.scalars(select(MediationStep)).first() is not None
    raw = session.execute(text("SELECT display_name FROM dispute_parties")).scalars().all()
    assert all(v.startswith("gAAAA") for v in raw)
    names = session.scalars(select(DisputeParty.display_name)).all()
    assert all(n and not n.startswith("gAAAA") for n in names)
    page = client.get("/api/v1/disputes?limit=5", headers=auth(city.tokens["chief0"])).json()
    assert page["total"] == 8 and page["items"][0]["parties"][0]["display_name_masked"]
