"""``GET /api/v1/dispatch/mine``: the queue's "mine" filter, kept by the server across page
loads: the calls a dispatcher took or sent a unit to in the shift (the last 12 hours)."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from pingan.dispatch.models import Assignment
from pingan.incidents.models import Incident
from tests.conftest import auth
from tests.dispatch.test_assignments import make_incident, make_unit
from tests.factories import SmallCity


def _mine(client: TestClient, h: dict[str, str], **params: float) -> list[int]:
    r = client.get("/api/v1/dispatch/mine", headers=h, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["incident_ids"])


def test_taken_or_dispatched_in_the_shift(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    me, other = auth(city.tokens["dispatcher"]), auth(city.tokens["admin"])
    a = make_incident(client, other, city, cell=1)["id"]
    b = make_incident(client, other, city, cell=2)["id"]
    d = make_incident(client, me, city, cell=3)["id"]
    unit = make_unit(client, other, "C1")
    r = client.post(f"/api/v1/incidents/{a}/assignments", headers=me, json={"resource_id": unit})
    assert r.status_code == 201, r.text
    assert _mine(client, me) == [d, a]  # newest first; b is neither taken nor sent by me
    assert _mine(client, other) == [b, a]  # the other took a and b; d is not theirs
    r = client.get("/api/v1/dispatch/mine", headers=me)
    assert r.json()["hours"] == 12

    # a call taken before the shift and a dispatch before the shift are not mine any more
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)
    session.execute(update(Incident).where(Incident.id == d).values(reported_at=old))
    assert _mine(client, me) == [a]
    assert set(_mine(client, me, hours=14)) == {a, d}
    session.execute(update(Assignment).where(Assignment.incident_id == a).values(dispatched_at=old))
    assert _mine(client, me) == []


def test_scope_and_errors(client: TestClient, city: SmallCity) -> None:
    chief = auth(city.tokens["chief1"])
    mine = make_incident(client, chief, city, cell=12)["id"]  # in station S1
    assert _mine(client, chief) == [mine]
    bad = client.get("/api/v1/dispatch/mine", headers=chief, params={"hours": 0})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "hours"
    too_long = client.get("/api/v1/dispatch/mine", headers=chief, params={"hours": 48})
    assert too_long.status_code == 422
    assert client.get("/api/v1/dispatch/mine").status_code == 401
