"""Editing an event's plan: posts added, moved, removed; the perimeter and control ring
reshaped by a polygon or a buffer; validation naming the field, audit, roles, past events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from tests.conftest import auth
from tests.events.test_events import VENUE, _body
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    return build(session, city, tmp_path, n_incidents=10)


@pytest.fixture()
def event(app: Any, client: TestClient, city: SmallCity, cov: CoverageCity, tmp_path: Path) -> Any:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    r = client.post(
        "/api/v1/events", json=_body(hours_ago=-24), headers=auth(city.tokens["chief0"])
    )
    assert r.status_code == 201, r.text
    return r.json()


def _actions(session: Session) -> list[str]:
    return [a for (a,) in session.execute(select(AuditRecord.action)).all()]


def test_add_move_delete_posts(
    client: TestClient, session: Session, city: SmallCity, event: Any
) -> None:
    h = auth(city.tokens["chief0"])
    eid = event["id"]
    c = VENUE.centroid
    body = {"name": "北侧临时岗", "shift": "event", "lon": c.x, "lat": c.y + 0.004}
    r = client.post(f"/api/v1/events/{eid}/posts", json=body, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    got = client.get(f"/api/v1/events/{eid}", headers=h).json()
    assert len(got["posts"]) == len(event["posts"]) + 1
    added = next(p for p in got["posts"] if p["id"] == pid)
    assert added["kind"] == "post" and added["officers_needed"] == 2
    # move it and rename it
    r = client.patch(
        f"/api/v1/events/posts/{pid}/place",
        json={"lon": c.x + 0.002, "lat": c.y + 0.004, "name": "东北临时岗"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["lon"] == round(c.x + 0.002, 6) and r.json()["name"] == "东北临时岗"
    # a traffic point that moves loses its detour, drawn from the old place
    traffic = next(p for p in event["posts"] if p["kind"] == "traffic" and p["detour"])
    r = client.patch(
        f"/api/v1/events/posts/{traffic['id']}/place",
        json={"lon": traffic["lon"] + 0.001, "lat": traffic["lat"]},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["detour"] is False
    # delete; a staffed post is refused
    assert client.delete(f"/api/v1/events/posts/{pid}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/events/posts/{pid}", headers=h).status_code == 404
    gate = event["posts"][0]["id"]
    client.patch(f"/api/v1/events/posts/{gate}", json={"staffed": True}, headers=h)
    r = client.delete(f"/api/v1/events/posts/{gate}", headers=h)
    assert r.status_code == 409 and "report it unstaffed first" in r.json()["error"]["message"]
    acts = _actions(session)
    assert {"event.post.add", "event.post.place", "event.post.delete"} <= set(acts)


def test_post_validation_names_the_field(client: TestClient, city: SmallCity, event: Any) -> None:
    h = auth(city.tokens["chief0"])
    eid = event["id"]
    c = VENUE.centroid
    far = {"name": "远处", "shift": "event", "lon": c.x + 0.05, "lat": c.y}
    r = client.post(f"/api/v1/events/{eid}/posts", json=far, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "lon"
    assert "km from the venue; posts stand within 3 km of it" in r.json()["error"]["message"]
    r = client.post(
        f"/api/v1/events/{eid}/posts", json=far | {"lon": c.x, "kind": "drone"}, headers=h
    )
    assert r.status_code == 422 and "a drone sector needs its radius" in r.text
    r = client.post(f"/api/v1/events/{eid}/posts", json=far | {"shift": "night"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "shift"
    pid = event["posts"][0]["id"]
    r = client.patch(f"/api/v1/events/posts/{pid}/place", json={"lon": c.x}, headers=h)
    assert r.status_code == 422 and "give lon and lat together" in r.text
    r = client.patch(f"/api/v1/events/posts/{pid}/place", json={}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "body"
    r = client.patch(f"/api/v1/events/posts/{pid}/place", json={"radius_m": 300}, headers=h)
    assert r.status_code == 422 and "only a drone sector has a radius" in r.text
    # roles and scope: a dispatcher commands but does not plan; station 1's chief sees nothing
    d = auth(city.tokens["dispatcher"])
    near = far | {"lon": c.x}
    assert client.post(f"/api/v1/events/{eid}/posts", json=near, headers=d).status_code == 403
    other = auth(city.tokens["chief1"])
    assert client.post(f"/api/v1/events/{eid}/posts", json=near, headers=other).status_code == 404
    assert client.delete(f"/api/v1/events/posts/{pid}", headers=other).status_code == 404


def test_zones_by_buffer_and_polygon(
    client: TestClient, session: Session, city: SmallCity, event: Any
) -> None:
    h = auth(city.tokens["chief0"])
    zones = {z["kind"]: z for z in event["zones"]}
    per, ctrl = zones["perimeter"]["id"], zones["control"]["id"]
    r = client.put(f"/api/v1/events/zones/{per}", json={"buffer_m": 500}, headers=h)
    assert r.status_code == 200, r.text
    wider = shapely.geometry.shape(r.json()["geometry"])
    assert wider.area > shapely.geometry.shape(zones["perimeter"]["geometry"]).area
    # beyond the control ring (1 km): refused
    r = client.put(f"/api/v1/events/zones/{per}", json={"buffer_m": 1500}, headers=h)
    assert r.status_code == 422 and "inside the control ring" in r.json()["error"]["message"]
    # a polygon control ring that holds the perimeter
    ring = shapely.geometry.mapping(VENUE.buffer(0.02).envelope)
    r = client.put(f"/api/v1/events/zones/{ctrl}", json={"geometry": ring}, headers=h)
    assert r.status_code == 200, r.text
    small = shapely.geometry.mapping(VENUE.buffer(0.001).envelope)
    r = client.put(f"/api/v1/events/zones/{ctrl}", json={"geometry": small}, headers=h)
    assert r.status_code == 422 and "must hold the whole perimeter" in r.text
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    r = client.put(f"/api/v1/events/zones/{ctrl}", json={"geometry": bow}, headers=h)
    assert r.status_code == 422 and "not a valid polygon" in r.json()["error"]["message"]
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    r = client.put(f"/api/v1/events/zones/{ctrl}", json={"geometry": line}, headers=h)
    assert r.status_code == 422 and "expected a Polygon, got a LineString" in r.text
    r = client.put(f"/api/v1/events/zones/{ctrl}", json={}, headers=h)
    assert r.status_code == 422 and "give either geometry or buffer_m" in r.text
    r = client.put(
        f"/api/v1/events/zones/{zones['venue']['id']}", json={"buffer_m": 100}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "zone_id"
    assert _actions(session).count("event.zone.edit") == 2


def test_a_past_event_plan_is_not_changed(
    client: TestClient, app: Any, city: SmallCity, cov: CoverageCity, tmp_path: Path
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    h = auth(city.tokens["chief0"])
    ev = client.post("/api/v1/events", json=_body(hours_ago=10), headers=h).json()
    pid = ev["posts"][0]["id"]
    r = client.delete(f"/api/v1/events/posts/{pid}", headers=h)
    assert (
        r.status_code == 409 and "is over: its plan is the record" in r.json()["error"]["message"]
    )
