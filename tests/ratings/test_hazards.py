"""Hazards: created where they lie (points and segments), scoped, ranked by the incidents they
touch, closed once, escalated one level when overdue, and counted by the ratings."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.ratings.flows import hazards_escalate_flow
from pingan.ratings.models import Hazard
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.ratings.conftest import Schools


def test_hazard_board(client: TestClient, session: Session, schools: Schools) -> None:
    toks = schools.city.tokens
    lon, lat = schools.poor.lon, schools.poor.lat
    r = client.post(
        "/api/v1/hazards",
        json={
            "category": "traffic",
            "title": "路口视线遮挡",
            "lon": lon,
            "lat": lat,
            "deadline": "2026-01-01",
        },
        headers=auth(toks["officer0"]),
    )
    assert r.status_code == 201, r.text
    near = r.json()
    seg = {"type": "LineString", "coordinates": [[lon + 0.045, lat], [lon + 0.046, lat]]}
    r = client.post(
        "/api/v1/hazards",
        json={"category": "fire", "title": "消防通道占用路段", "geometry": seg},
        headers=auth(toks["admin"]),
    )
    assert r.status_code == 201, r.text
    far = r.json()
    assert far["geometry"] == seg and abs(far["lon"] - (lon + 0.0455)) < 1e-9
    r = client.post(
        "/api/v1/hazards", json={"category": "fire", "title": "x"}, headers=auth(toks["admin"])
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "lon: give lon and lat, or a GeoJSON geometry"
    r = client.post(
        "/api/v1/hazards",
        json={"category": "fire", "title": "x", "lon": lon + 0.05, "lat": lat},
        headers=auth(toks["officer0"]),
    )
    assert r.status_code == 403  # station 1, outside officer0's community
    board = client.get("/api/v1/hazards?rank=incidents", headers=auth(toks["admin"])).json()
    ranked = [(x["id"], x["incidents_12m"]) for x in board["items"]]
    assert ranked == [(schools_hazard(session), 6), (near["id"], 6), (far["id"], 0)]
    mine = client.get("/api/v1/hazards", headers=auth(toks["chief1"])).json()
    assert {h["id"] for h in mine["items"]} == {far["id"]}
    # overdue: the station's hazard goes to the district, then to the city, and stays there
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    moved = hazards_escalate_flow(session, actor=Actor.system("test"), now=now)
    assert [h.id for h in moved] == [near["id"]]
    h = session.get(Hazard, near["id"])
    assert h is not None and (h.level, h.deadline) == ("district", dt.date(2026, 3, 31))
    hazards_escalate_flow(session, actor=Actor.system("test"), now=now + dt.timedelta(days=40))
    hazards_escalate_flow(session, actor=Actor.system("test"), now=now + dt.timedelta(days=80))
    assert h.level == "city"
    city = client.get("/api/v1/hazards?level=city", headers=auth(toks["admin"])).json()
    assert [x["id"] for x in city["items"]] == [near["id"]]
    # closing: once, by a chief; closed hazards stop counting against the premises
    r = client.post(f"/api/v1/hazards/{near['id']}/close", headers=auth(toks["chief1"]))
    assert r.status_code == 404
    for hid in (near["id"], schools_hazard(session)):
        r = client.post(f"/api/v1/hazards/{hid}/close", headers=auth(toks["chief0"]))
        assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client.post(f"/api/v1/hazards/{near['id']}/close", headers=auth(toks["chief0"]))
    assert r.status_code == 409
    client.post("/api/v1/ratings/compute", json={}, headers=auth(toks["admin"]))
    poor = client.get(
        f"/api/v1/premises/{schools.poor.id}/rating", headers=auth(toks["admin"])
    ).json()
    assert {i["code"]: i["points"] for i in poor["items"]}["open_hazards"] == 10.0
    assert utcnow()


def schools_hazard(session: Session) -> int:
    h = session.query(Hazard).filter_by(code="HZ-1").one()
    return h.id
