from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity


def _poly(x0: float, y0: float, d: float = 0.005) -> dict[str, object]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]],
    }


def test_list_scope_get_and_assign(client: TestClient, city: SmallCity) -> None:
    chief = auth(city.tokens["chief1"])
    page = client.get("/api/v1/jurisdictions", params={"level": "cell"}, headers=chief).json()
    assert page["total"] == 8
    one = client.get(f"/api/v1/jurisdictions/{city.cells[0].id}", headers=chief)
    assert one.status_code == 404  # station 0's cell is outside chief1's scope
    mine = client.get(f"/api/v1/jurisdictions/{city.cells[9].id}", headers=chief).json()
    assert mine["geometry"]["type"] == "Polygon"
    lon, lat = city.cell_center(4)
    r = client.post(
        "/api/v1/jurisdictions/assign",
        headers=chief,
        json={"lon": [lon, 0.0, lon], "lat": [lat, 0.0, lat]},
    ).json()
    assert r["jurisdiction_id"] == [city.cells[4].id, None, city.cells[4].id]
    assert r["code"][0] == city.cells[4].code and r["outside"] == [1]
    r = client.post(
        "/api/v1/jurisdictions/assign", headers=chief, json={"lon": [1.0], "lat": [1.0, 2.0]}
    )
    assert (
        r.status_code == 422 and r.json()["error"]["message"] == "lat: 2 latitudes for 1 longitudes"
    )


def test_create_update_and_polygon_errors(client: TestClient, city: SmallCity) -> None:
    admin = auth(city.tokens["admin"])
    body = {
        "code": "T1-S0-C0-G9",
        "level": "cell",
        "name_zh": "新网格",
        "parent_code": "T1-S0-C0",
        "geometry": _poly(LON0, LAT0),
        "owner_username": "officer0",
    }
    r = client.post("/api/v1/jurisdictions", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["owner_id"] == city.users["officer0"].id
    open_ring = _poly(LON0, LAT0)
    open_ring["coordinates"][0].pop()  # type: ignore[index]
    r = client.post(
        "/api/v1/jurisdictions", json=body | {"code": "X1", "geometry": open_ring}, headers=admin
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "geometry"
    assert "not a valid GeoJSON polygon" in r.json()["error"]["message"]
    r = client.post(
        "/api/v1/jurisdictions", json=body | {"code": "X2", "level": "planet"}, headers=admin
    )
    assert r.json()["error"]["message"].startswith("level: 'planet' is not a level")
    r = client.post(
        "/api/v1/jurisdictions", json=body | {"code": "X3"}, headers=auth(city.tokens["chief0"])
    )
    assert r.status_code == 403
    r = client.patch(
        f"/api/v1/jurisdictions/{city.cells[1].id}",
        json={"owner_username": "chief0"},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "owner_username: 'chief0' is a station_chief, not a community_officer"
    )
