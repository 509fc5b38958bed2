"""Notices and services: the station writes a community notice, people there read it; police
stations near a point; find my community officer (the public work phone, never a private
number); star lookup by premises name."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import SmallCity


def test_notices_officer_and_stations(client: TestClient, city: SmallCity) -> None:
    today = dt.date.today()
    h = auth(city.tokens["chief0"])
    r = client.post(
        "/api/v1/public-notices",
        json={
            "jurisdiction_code": "T1-S0-C0",
            "title": "防范电信诈骗",
            "body": "近期冒充客服退款诈骗高发，请勿向陌生人转账。",
            "valid_from": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    other = client.post(
        "/api/v1/public-notices",
        json={
            "jurisdiction_code": "T1-S1-C0",
            "title": "x",
            "body": "y",
            "valid_from": today.isoformat(),
            "valid_until": today.isoformat(),
        },
        headers=h,
    )
    assert other.status_code == 403 and other.json()["error"]["field"] == "jurisdiction_code"
    assert client.post(
        "/api/v1/public-notices", json={}, headers=auth(city.tokens["analyst"])
    ).status_code in (403, 422)

    lon, lat = city.cell_center(0)
    j = client.get(f"/public/api/notices?lon={lon}&lat={lat}").json()
    assert j["community"] == "社区00"
    assert [n["title"] for n in j["notices"]] == ["防范电信诈骗"]
    assert j["stations"][0]["name"] == "第1派出所" and j["stations"][0]["kind"] == "station"
    lon2, lat2 = city.cell_center(12)
    assert client.get(f"/public/api/notices?lon={lon2}&lat={lat2}").json()["notices"] == []

    # the officer: before a profile, the station's phone; after, the post's work phone
    o = client.get(f"/public/api/officer?lon={lon}&lat={lat}").json()
    assert o["officer"] and o["community"] == "社区00" and o["work_phone"] == "110"
    r = client.put(
        "/api/v1/officer-profiles/officer0",
        json={"office_hours": "周一至周五 9:00-17:00", "work_phone": "0871-6300 1234"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    o = client.get(f"/public/api/officer?lon={lon}&lat={lat}").json()
    assert o["work_phone"] == "0871-6300 1234" and o["office_hours"].startswith("周一")
    assert set(o) == {"officer", "community", "station", "office_hours", "work_phone"}
    bad = client.put(
        "/api/v1/officer-profiles/chief1",
        json={"office_hours": "x", "work_phone": "110"},
        headers=h,
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "username"
    far = client.get("/public/api/officer?lon=100.0&lat=20.0")
    assert far.status_code == 404


def test_star_lookup(client: TestClient, city: SmallCity) -> None:
    assert client.get("/public/api/stars?q=示范").json() == []
    r = client.get("/public/api/stars?q=x")
    assert r.status_code == 422 and r.json()["error"]["field"] == "q"
