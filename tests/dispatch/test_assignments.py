"""Assignments through the API: send units, move them, the unit and the incident follow."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from tests.conftest import auth
from tests.factories import SmallCity


def make_unit(client: TestClient, h: dict[str, str], code: str, station: str = "T1-S0") -> int:
    r = client.post(
        "/api/v1/resources",
        headers=h,
        json={
            "code": code,
            "kind": "patrol_car",
            "name_zh": f"巡逻车{code}",
            "name_en": f"Patrol car {code}",
            "station_code": station,
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def make_incident(client: TestClient, h: dict[str, str], city: SmallCity, cell: int = 1) -> Any:
    lon, lat = city.cell_center(cell)
    r = client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": lon, "lat": lat}
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_dispatch_follow_and_clear(client: TestClient, city: SmallCity, session: Session) -> None:
    h = auth(city.tokens["dispatcher"])
    car1, car2 = make_unit(client, h, "C1"), make_unit(client, h, "C2")
    inc = make_incident(client, h, city)
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments", headers=h, json={"resource_id": car1}
    )
    assert r.status_code == 201, r.text
    a1 = r.json()
    assert {"id", "incident_id", "resource_id", "state", "dispatched_at", "eta_s"} <= set(a1)
    assert a1["state"] == "dispatched" and a1["incident_id"] == inc["id"]
    assert a1["resource_code"] == "C1" and a1["dispatcher"] == "dispatcher"
    assert a1["allowed_transitions"] == ["en_route", "on_scene", "cancelled"]
    unit = client.get(f"/api/v1/resources/{car1}", headers=h).json()
    assert unit["status"] == "dispatched" and unit["current_incident_id"] == inc["id"]
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=h).json()["state"] == "dispatched"

    # the same unit again: 409 naming the incident it is busy with
    other = make_incident(client, h, city, cell=2)
    r = client.post(
        f"/api/v1/incidents/{other['id']}/assignments", headers=h, json={"resource_id": car1}
    )
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        f"unit C1 is dispatched on incident {inc['code']}; clear or cancel that assignment "
        "first, or send another unit"
    )
    assert r.json()["error"]["detail"]["incident_id"] == inc["id"]

    # a backup unit
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments", headers=h, json={"resource_id": car2}
    )
    a2 = r.json()
    assert r.status_code == 201
    t = f"/api/v1/assignments/{a1['id']}/transitions"
    assert client.post(t, headers=h, json={"to_state": "en_route"}).json()["state"] == "en_route"
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=h).json()["state"] == "en_route"
    assert client.get(f"/api/v1/resources/{car1}", headers=h).json()["status"] == "en_route"
    assert client.post(t, headers=h, json={"to_state": "on_scene"}).status_code == 200
    # the backup going en route later does not move the incident back
    t2 = f"/api/v1/assignments/{a2['id']}/transitions"
    assert client.post(t2, headers=h, json={"to_state": "en_route"}).status_code == 200
    detail = client.get(f"/api/v1/incidents/{inc['id']}", headers=h).json()
    assert detail["state"] == "on_scene"
    assert [a["state"] for a in detail["assignments"]] == ["on_scene", "en_route"]
    # illegal step
    r = client.post(t, headers=h, json={"to_state": "en_route"})
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        "assignment cannot go from 'on_scene' to 'en_route'; allowed: cleared"
    )
    r = client.post(t, headers=h, json={"to_state": "parked"})
    assert r.status_code == 422
    assert client.post(t, headers=h, json={"to_state": "cleared"}).json()["state"] == "cleared"
    assert client.post(t2, headers=h, json={"to_state": "cancelled"}).json()["state"] == "cancelled"
    for car in (car1, car2):
        unit = client.get(f"/api/v1/resources/{car}", headers=h).json()
        assert unit["status"] == "available" and unit["current_incident_id"] is None
    # a cleared unit can go again
    r = client.post(
        f"/api/v1/incidents/{other['id']}/assignments", headers=h, json={"resource_id": car1}
    )
    assert r.status_code == 201

    tl = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=h).json()
    assignment_notes = [(e["to_state"], e["note"]) for e in tl if e["kind"] == "assignment"]
    assert assignment_notes[0] == ("dispatched", "C1 巡逻车C1 · dispatcher")
    assert ("cleared", "C1 巡逻车C1 · dispatcher") in assignment_notes
    # on the English page the unit is named in English (the entry is stored in Chinese)
    en = client.get(
        f"/api/v1/incidents/{inc['id']}/timeline", headers={**h, "Cookie": "pingan_lang=en"}
    ).json()
    en_notes = [e["note"] for e in en if e["kind"] == "assignment"]
    assert len(en_notes) == len(assignment_notes)
    assert en_notes[0].startswith("C1 ") and en_notes[0].endswith(" · dispatcher")
    assert not any("巡逻车" in n for n in en_notes), en_notes
    assert [e["to_state"] for e in tl if e["kind"] == "transition"] == [
        "dispatched",
        "en_route",
        "on_scene",
    ]
    actions = session.scalars(
        select(AuditRecord.action).where(AuditRecord.entity == "assignment")
    ).all()
    assert actions.count("dispatch") == 3 and actions.count("transition") == 5


def test_scope_roles_and_closed_incidents(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    car0 = make_unit(client, h, "S0C")
    car1 = make_unit(client, h, "S1C", station="T1-S1")
    inc = make_incident(client, h, city, cell=1)  # station 0
    url = f"/api/v1/incidents/{inc['id']}/assignments"
    # a chief of station 0 cannot see station 1's unit: 404
    r = client.post(url, headers=auth(city.tokens["chief0"]), json={"resource_id": car1})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        f"unit {car1} does not exist or is outside your jurisdiction"
    )
    # an analyst may not dispatch
    r = client.post(url, headers=auth(city.tokens["analyst"]), json={"resource_id": car0})
    assert r.status_code == 403
    # the incident outside the chief's scope: 404
    far = make_incident(client, h, city, cell=12)
    r = client.post(
        f"/api/v1/incidents/{far['id']}/assignments",
        headers=auth(city.tokens["chief0"]),
        json={"resource_id": car0},
    )
    assert r.status_code == 404
    # a resolved incident takes no units
    client.post(
        f"/api/v1/incidents/{inc['id']}/transitions", headers=h, json={"to_state": "resolved"}
    )
    r = client.post(url, headers=h, json={"resource_id": car0})
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        f"incident {inc['code']} is resolved; units can only be sent to open incidents "
        "(received, dispatched, en_route, on_scene)"
    )
    # the unit status endpoint refuses to move a unit that has an assignment
    inc2 = make_incident(client, h, city, cell=2)
    client.post(
        f"/api/v1/incidents/{inc2['id']}/assignments", headers=h, json={"resource_id": car0}
    )
    r = client.post(f"/api/v1/resources/{car0}/status", headers=h, json={"status": "available"})
    assert r.status_code == 409
    assert r.json()["error"]["message"].startswith(f"unit S0C is assigned to incident {inc2['id']}")
    # the board lists units by station with their incident
    board = client.get("/api/v1/dispatch/board", headers=h).json()
    units = {u["code"]: u for st in board["stations"] for u in st["units"]}
    assert units["S0C"]["current_incident_code"] == inc2["code"]
    assert units["S1C"]["status"] == "available"
    chief_board = client.get("/api/v1/dispatch/board", headers=auth(city.tokens["chief0"])).json()
    assert [u["code"] for st in chief_board["stations"] for u in st["units"]] == ["S0C"]


def test_notes(client: TestClient, city: SmallCity, session: Session) -> None:
    h = auth(city.tokens["dispatcher"])
    inc = make_incident(client, h, city)
    url = f"/api/v1/incidents/{inc['id']}/notes"
    r = client.post(url, headers=h, json={"text": "  caller says two men, one with a knife "})
    assert r.status_code == 201, r.text
    assert (
        r.json()["kind"] == "note" and r.json()["note"] == "caller says two men, one with a knife"
    )
    r = client.post(url, headers=h, json={"text": "   "})
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "text: write the note's text"
    r = client.post(url, headers=h, json={"text": ""})
    assert r.status_code == 422
    assert (
        client.post(url, headers=auth(city.tokens["analyst"]), json={"text": "x"}).status_code
        == 403
    )
    r = client.post(f"/api/v1/incidents/{inc['id'] + 999}/notes", headers=h, json={"text": "x"})
    assert r.status_code == 404
    tl = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=h).json()
    assert tl[-1]["kind"] == "note" and tl[-1]["actor_id"] == city.users["dispatcher"].id
    n = session.scalars(
        select(AuditRecord.id).where(AuditRecord.entity == "incident", AuditRecord.action == "note")
    ).all()
    assert len(n) == 1


def test_nearby_repeat_calls_and_history(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    lon, lat = city.cell_center(1)
    first = client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": lon, "lat": lat}
    ).json()
    client.post(
        "/api/v1/incidents",
        headers=h,
        json={"subtype": "noise", "lon": lon + 0.0005, "lat": lat},
    )
    far_lon = lon + 0.01  # about 1 km east
    client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": far_lon, "lat": lat}
    )
    r = client.get(
        "/api/v1/dispatch/nearby",
        headers=h,
        params={"lon": lon + 0.001, "lat": lat, "subtype": "fight"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["id"] for x in out["repeats"]] == [first["id"]]
    assert 90 <= out["repeats"][0]["distance_m"] <= 110
    assert out["history"]["count"] == 2  # the fight and the noise, not the one 1 km away
    # the place's premises: one 50 m away is listed with its distance, one 1 km away is not
    for name, plon in (("翠湖小学", lon + 0.0015), ("远处超市", far_lon)):
        r = client.post(
            "/api/v1/premises",
            headers=auth(city.tokens["admin"]),
            json={"kind": "school", "name": name, "name_en": "A school", "lon": plon, "lat": lat},
        )
        assert r.status_code == 201, r.text
    r = client.get("/api/v1/dispatch/nearby", headers=h, params={"lon": lon + 0.001, "lat": lat})
    places = r.json()["premises"]
    assert [p["name"] for p in places] == ["翠湖小学"], places
    assert places[0]["kind"] == "school" and 40 <= places[0]["distance_m"] <= 60
    assert places[0]["name_en"] == "A school"
    # another station's chief does not see them
    r = client.get(
        "/api/v1/dispatch/nearby",
        headers=auth(city.tokens["chief1"]),
        params={"lon": lon, "lat": lat, "subtype": "fight"},
    )
    assert r.json()["repeats"] == [] and r.json()["history"]["count"] == 0
    assert r.json()["premises"] == []


def test_detail_lists_repeat_calls_and_nearest_cameras(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    from pingan.cameras.models import Camera

    h = auth(city.tokens["dispatcher"])
    lon, lat = city.cell_center(1)
    for k in range(7):  # every 100 m east; the last one offline
        session.add(
            Camera(
                code=f"CAM{k}",
                lon=lon + 0.001 * k,
                lat=lat,
                heading_deg=0,
                fov_deg=90,
                range_m=50,
                jpath=city.stations[0].path,
                status="offline" if k == 1 else "online",
            )
        )
    session.flush()
    first = make_incident(client, h, city)
    second = make_incident(client, h, city)  # a repeat call of the first
    assert second["repeat_of_id"] == first["id"]
    d = client.get(f"/api/v1/incidents/{first['id']}", headers=h).json()
    assert [r["id"] for r in d["repeats"]] == [second["id"]]
    assert [c["code"] for c in d["cameras"]] == ["CAM0", "CAM2", "CAM3", "CAM4", "CAM5"]
    assert d["cameras"][0]["distance_m"] == 0 and 190 <= d["cameras"][1]["distance_m"] <= 210
