from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.places.models import Premises
from pingan.places.service import purge_contacts
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity


def test_premises_masked_reveal_audited(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(2)
    h = auth(city.tokens["officer0"])
    r = client.post(
        "/api/v1/premises",
        headers=h,
        json={
            "kind": "school",
            "name": "翠湖小学",
            "lon": lon,
            "lat": lat,
            "capacity": 900,
            "contact_name": "李老师",
            "contact_phone": "0871-65123456",
        },
    )
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["jurisdiction_id"] == city.cells[2].id
    assert p["contact_name_masked"] == "李**" and "65123456" not in r.text
    page = client.get("/api/v1/premises", params={"kind": "school"}, headers=h).json()
    assert page["total"] == 1 and "65123456" not in str(page)
    r = client.post(
        f"/api/v1/premises/{p['id']}/contact", json={"reason": "school gate duty"}, headers=h
    )
    assert r.json()["contact_phone"] == "0871-65123456"
    last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert last is not None and last.action == "view_personal"
    assert "school gate duty" in last.detail
    r = client.get(f"/api/v1/premises/{p['id']}", headers=auth(city.tokens["chief1"]))
    assert r.status_code == 404


def test_premises_errors(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"])
    r = client.post(
        "/api/v1/premises",
        headers=h,
        json={"kind": "spaceport", "name": "x", "lon": LON0, "lat": LAT0},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "kind"
    r = client.post(
        "/api/v1/premises", headers=h, json={"kind": "bank", "name": "x", "lon": 10.0, "lat": 10.0}
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "lon: point (10.0, 10.0) is outside every jurisdiction of this bureau"
    )
    lon, lat = city.cell_center(10)  # station 1: outside the officer's community
    r = client.post(
        "/api/v1/premises", headers=h, json={"kind": "bank", "name": "x", "lon": lon, "lat": lat}
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/premises",
        headers=auth(city.tokens["analyst"]),
        json={"kind": "bank", "name": "x", "lon": lon, "lat": lat},
    )
    assert r.status_code == 403 and "role 'analyst' may not change places" in r.text


def test_key_areas_and_standard(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["admin"])
    x, y = LON0 + 0.002, LAT0 + 0.002
    geom = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.003, y], [x + 0.003, y + 0.003], [x, y + 0.003], [x, y]]],
    }
    r = client.post(
        "/api/v1/key-areas",
        headers=h,
        json={"code": "KA1", "name_zh": "火车站广场", "geometry": geom, "response_standard_s": 180},
    )
    assert r.status_code == 201 and r.json()["response_standard_s"] == 180
    r = client.post(
        "/api/v1/key-areas",
        headers=h,
        json={"code": "KA2", "name_zh": "x", "geometry": geom, "response_standard_s": 0},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "response_standard_s"
    assert client.get("/api/v1/key-areas", headers=h).json()["total"] == 1


def test_purge_contacts_after_retention(session: Session, city: SmallCity) -> None:
    lon, lat = city.cell_center(0)
    old = Premises(
        code="OLD",
        kind="rental_house",
        name="出租屋",
        lon=lon,
        lat=lat,
        jurisdiction_id=city.cells[0].id,
        jpath=city.cells[0].path,
        contact_name="王五",
        contact_phone="13900000000",
        contact_recorded_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    session.add(old)
    session.flush()
    assert purge_contacts(session, actor=Actor.system(), dry_run=True) == 1
    assert purge_contacts(session, actor=Actor.system()) == 1
    session.refresh(old)
    assert old.contact_name is None and old.contact_phone is None
