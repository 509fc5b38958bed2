"""Hazards: created where they lie (points and segments), scoped, ranked by the incidents they
touch, closed once, escalated one level when overdue, and counted by the ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.ratings import hazards
from pingan.ratings.flows import hazards_escalate_flow
from pingan.ratings.models import Hazard
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.factories import incident_row
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


def _incident(session: Session, code: str, lon: float, lat: float, at: dt.datetime) -> None:
    h = session.query(Hazard).filter_by(code="HZ-1").one()
    session.add(
        incident_row(
            code,
            at,
            lon=lon,
            lat=lat,
            klass="criminal",
            jurisdiction_id=h.jurisdiction_id,
            jpath=h.jpath,
        )
    )
    session.flush()


def test_touching_counts_kept_for_the_day_and_today_read_fresh(
    session: Session, schools: Schools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole days' counts are kept; today's incidents show at once, a back-dated import
    once the kept days are looked at again (here at once), and the answer equals counting
    every incident of the window (the former query)."""
    monkeypatch.setattr(hazards, "WHOLE_DAYS_CHECK_S", 0.0)
    h = session.query(Hazard).filter_by(code="HZ-1").one()
    now = utcnow()
    assert hazards.incidents_touching(session, [h], now=now) == [6]
    # the six are 10-15 days old: kept; a call 50 m away this minute is read fresh
    _incident(session, "JQ-NOW", h.lon + 50 / 111_000.0, h.lat, now)
    assert hazards.incidents_touching(session, [h], now=now + dt.timedelta(seconds=1)) == [7]
    # a back-dated import into the whole days changes their number: counted again
    _incident(session, "JQ-BACK", h.lon, h.lat + 30 / 111_000.0, now - dt.timedelta(days=100))
    got = hazards.incidents_touching(session, [h], now=now + dt.timedelta(seconds=2))
    assert got == [8]
    # 150 m away, or 400 days old: not touching
    _incident(session, "JQ-FAR", h.lon + 150 / 111_000.0, h.lat, now)
    _incident(session, "JQ-AGO", h.lon, h.lat, now - dt.timedelta(days=400))
    assert hazards.incidents_touching(session, [h], now=now + dt.timedelta(seconds=3)) == [8]
    # a hazard made today is counted on its first listing
    new = Hazard(
        code="HZ-NEW",
        category="traffic",
        title="新隐患",
        lon=h.lon + 200 / 111_000.0,
        lat=h.lat,
        jurisdiction_id=h.jurisdiction_id,
        jpath=h.jpath,
    )
    session.add(new)
    session.flush()
    assert hazards.incidents_touching(session, [h, new], now=now + dt.timedelta(seconds=4)) == [
        8,
        1,
    ]


def test_the_day_s_counts_are_filled_before_the_first_listing(
    session: Session, schools: Schools, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the served process does at start and after midnight (pingan.server.day_caches):
    the whole days of every hazard counted once, so the first listing reads only today."""
    monkeypatch.setattr(hazards, "_WHOLE_DAYS", hazards.OrderedDict())
    monkeypatch.setattr(hazards, "_SEEN", {})
    now = utcnow()
    n = session.scalar(select(func.count()).select_from(Hazard))
    assert n and hazards.warm_whole_days(session, now=now) == n
    counted: list[int] = []
    real = hazards._count_near

    def spy(s: Session, points: list[tuple[float, float]], since: Any, until: Any) -> Any:
        counted.append(len(points))
        return real(s, points, since, until)

    monkeypatch.setattr(hazards, "_count_near", spy)
    h = session.query(Hazard).filter_by(code="HZ-1").one()
    assert hazards.incidents_touching(session, [h], now=now) == [6]
    assert counted == [1]  # today's incidents near the one hazard; the year was kept


def test_no_hazards_nothing_to_fill(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    if session.scalar(select(func.count()).select_from(Hazard)):
        pytest.skip("this database has hazards")
    assert hazards.warm_whole_days(session) == 0
