from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import SmallCity


def test_units_status_machine_and_positions(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["chief0"])
    r = client.post(
        "/api/v1/resources",
        headers=h,
        json={"code": "CAR-1", "kind": "patrol_car", "name_zh": "巡逻车1", "station_code": "T1-S0"},
    )
    assert r.status_code == 201, r.text
    car = r.json()
    assert car["status"] == "available" and car["lon"] is not None
    url = f"/api/v1/resources/{car['id']}"
    assert client.post(url + "/status", json={"status": "dispatched"}, headers=h).status_code == 200
    r = client.post(url + "/status", json={"status": "off_duty"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        "unit status cannot go from 'dispatched' to 'off_duty'; "
        "allowed: en_route, on_scene, available"
    )
    lon, lat = city.cell_center(1)
    r = client.post(url + "/positions", json={"lon": lon, "lat": lat}, headers=h)
    assert r.status_code == 200 and abs(r.json()["lon"] - lon) < 1e-9
    r = client.post(url + "/positions", json={"lon": 500, "lat": lat}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "lon"
    r = client.post(
        "/api/v1/resources",
        headers=h,
        json={"code": "CAR-2", "kind": "patrol_car", "name_zh": "x", "station_code": "T1-S1"},
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/resources",
        headers=h,
        json={"code": "UAV", "kind": "drone", "name_zh": "无人机", "station_code": "T1-S0"},
    )
    assert r.status_code == 422
    assert (
        r.json()["error"]["message"] == "range_m: drones and drone bases need their operating range"
    )
    r = client.post(
        "/api/v1/resources",
        headers=h,
        json={"code": "X", "kind": "patrol_car", "name_zh": "x", "station_code": "T1-S0-C0"},
    )
    assert r.json()["error"]["message"] == "station_code: no police station with code 'T1-S0-C0'"
    assert client.get("/api/v1/resources", headers=auth(city.tokens["chief1"])).json()["total"] == 0
