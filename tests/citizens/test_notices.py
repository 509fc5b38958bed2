"""Notices and services: the station writes a community notice, people there read it; police
stations near a point; find my community officer (the public work phone, never a private
number); star lookup by premises name or by a sign's QR code; the public map's service
points."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.keyplaces.models import PoliceRoom
from pingan.places.models import Premises
from pingan.ratings import signs
from pingan.ratings.models import Rating
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


def test_service_points_for_the_public_map(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    cell = city.cells[0]
    hospital = Premises(
        code="H-1",
        kind="hospital",
        name="第一人民医院",
        lon=lon + 0.001,
        lat=lat,
        jurisdiction_id=cell.id,
        jpath=cell.path,
    )
    session.add(hospital)
    session.flush()
    session.add(
        PoliceRoom(
            premises_id=hospital.id,
            name="第一人民医院警务室",
            phone="0871-6300 0110",
            jpath=cell.path,
            station_id=city.stations[0].id,
        )
    )
    session.flush()
    r = client.get("/public/api/service-points")
    assert r.headers["content-encoding"] == "gzip"
    j = r.json()
    kinds = {p["kind"] for p in j["points"]}
    assert {"station", "police_room"} <= kinds
    room = next(p for p in j["points"] if p["kind"] == "police_room")
    assert room["name"] == "第一人民医院警务室" and room["phone"] == "0871-6300 0110"
    assert set(room) == {"kind", "name", "lon", "lat", "phone"}  # nothing more
    assert len(j["bbox"]) == 4 and j["bbox"][0] < lon < j["bbox"][2]
    assert len(j["outlines"]) == len(city.stations)
    near = client.get(f"/public/api/notices?lon={lon + 0.001}&lat={lat}").json()["stations"]
    assert near[0]["kind"] == "police_room" and near[0]["distance_km"] < 0.05


def test_star_lookup_by_the_signs_qr_code(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    p = Premises(
        code="S-QR",
        kind="school",
        name="示范小学",
        lon=lon,
        lat=lat,
        jurisdiction_id=city.cells[0].id,
        jpath=city.cells[0].path,
    )
    session.add(p)
    session.flush()
    r = client.post("/api/v1/ratings/compute", json={}, headers=auth(city.tokens["admin"]))
    assert r.status_code == 200, r.text
    rating = session.scalar(
        select(Rating).where(Rating.premises_id == p.id, Rating.current.is_(True))
    )
    assert rating is not None
    link = f"http://pingan.local/v/{signs.make_token(p.id, rating.id)}"
    by_qr = client.get("/public/api/stars", params={"q": link}).json()
    assert [(x["name"], x["stars"], x["status"]) for x in by_qr] == [
        ("示范小学", rating.stars, "valid")
    ]
    bare = client.get("/public/api/stars", params={"q": link.rsplit("/", 1)[1]}).json()
    assert [x["name"] for x in bare] == ["示范小学"]
    by_name = client.get("/public/api/stars", params={"q": "示范"}).json()
    assert [x["name"] for x in by_name] == ["示范小学"]
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    r = client.get("/public/api/stars", params={"q": forged})
    assert r.status_code == 422 and r.json()["error"]["field"] == "q"
