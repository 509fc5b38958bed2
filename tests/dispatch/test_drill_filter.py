"""Drill incidents are left out of analyses and coverage statistics unless asked for."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.rapid_response import data as coverage_data
from tests.conftest import auth
from tests.factories import SmallCity


def test_drill_incidents_only_when_asked(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    now = dt.datetime.now(dt.UTC)
    for k, source in enumerate(["call_110", "call_110", "online", "drill", "drill"]):
        lon, lat = city.cell_center(k)
        r = client.post(
            "/api/v1/incidents",
            headers=h,
            json={
                "subtype": ["fight", "burglary", "fraud", "robbery", "noise"][k],
                "lon": lon,
                "lat": lat,
                "source": source,
                "reported_at": (now - dt.timedelta(hours=k + 1)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
    params = {
        "since": (now - dt.timedelta(days=2)).isoformat(),
        "until": now.isoformat(),
        "period": "day",
    }
    ha = auth(city.tokens["analyst"])
    r = client.get("/api/v1/analysis/trends", params=params, headers=ha)
    assert r.status_code == 200, r.text
    assert r.json()["n_incidents"] == 3
    r = client.get("/api/v1/analysis/trends", params=params | {"include_drill": "true"}, headers=ha)
    assert r.json()["n_incidents"] == 5
    p = principal_for(session, city.users["admin"])
    assert len(coverage_data.load_incidents(session, principal=p, history_days=2)) == 3
