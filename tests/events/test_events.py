"""Event security over the SmallCity: plan from the venue, validation, board, report, log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import CoverageCity, build

VENUE = shapely.box(LON0 + 0.013, LAT0 + 0.008, LON0 + 0.017, LAT0 + 0.011)


@pytest.fixture()
def cov(session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    return build(session, city, tmp_path, n_incidents=10)


@pytest.fixture()
def ev_app(app: Any, tmp_path: Path) -> Any:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return app


def _body(hours_ago: float = 5.0, **kw: Any) -> dict[str, Any]:
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    body = {
        "code": "M-1",
        "name": "测试联赛",
        "kind": "match",
        "venue": shapely.geometry.mapping(VENUE),
        "expected_crowd": 20000,
        "arrival_at": t0.isoformat(),
        "starts_at": (t0 + dt.timedelta(hours=1.5)).isoformat(),
        "ends_at": (t0 + dt.timedelta(hours=3.5)).isoformat(),
        "dispersal_until": (t0 + dt.timedelta(hours=4.5)).isoformat(),
    }
    body.update(kw)
    return body


def test_plan_board_report_log(
    client: TestClient, ev_app: Any, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    chief = auth(city.tokens["chief0"])
    r = client.post("/api/v1/events", json=_body(), headers=chief)
    assert r.status_code == 201, r.text
    ev = r.json()
    assert [z["kind"] for z in ev["zones"]] == ["venue", "perimeter", "control"]
    kinds = [p["kind"] for p in ev["posts"]]
    assert kinds.count("post") == 12 + 8 and kinds.count("traffic") == 8
    assert kinds.count("service") == 2 and kinds.count("drone") == 1
    gates = [p for p in ev["posts"] if p["name"].endswith("门安检岗")]
    assert all(p["officers_needed"] == 20 for p in gates)  # 20,000 / 250 / 4
    assert any(p["detour"] for p in ev["posts"] if p["kind"] == "traffic")
    for p in ev["posts"]:
        if p["detour"]:  # detours keep out of the perimeter
            perim = shapely.geometry.shape(ev["zones"][1]["geometry"])
            inner = shapely.LineString(p["detour"]["coordinates"][1:-1])
            assert not perim.buffer(-1e-5).intersects(inner) or len(p["detour"]["coordinates"]) < 3
    checklist = [c for c in ev["checks"] if c["kind"] == "checklist"]
    assert len(checklist) == 8
    # an incident inside the venue during the event, reached in 7 minutes
    disp = principal_for(session, city.users["dispatcher"])
    when = dt.datetime.fromisoformat(ev["starts_at"]) + dt.timedelta(minutes=20)
    inc, _ = incidents.create(
        session,
        principal=disp,
        data=IncidentCreate(
            subtype="fight", lon=VENUE.centroid.x, lat=VENUE.centroid.y, reported_at=when
        ),
    )
    inc.on_scene_at = when + dt.timedelta(minutes=7)
    session.flush()
    b = client.get(f"/api/v1/events/{ev['id']}/board", headers=chief).json()
    assert b["incidents_by_zone"].get("场馆") == 1
    assert [c["standard_s"] for c in b["coverage"]] == [60, 180, 300]
    assert b["posts_total"] > 0 and b["posts_staffed"] == 0
    # a dispatcher logs, reports a post staffed; an analyst may not
    d = auth(city.tokens["dispatcher"])
    r = client.post(f"/api/v1/events/{ev['id']}/log", json={"text": "北门人多"}, headers=d)
    assert r.status_code == 201
    post = gates[0]
    r = client.patch(f"/api/v1/events/posts/{post['id']}", json={"staffed": True}, headers=d)
    assert r.status_code == 200 and r.json()["staffed_at"]
    an = auth(city.tokens["analyst"])
    r = client.post(f"/api/v1/events/{ev['id']}/log", json={"text": "x"}, headers=an)
    assert r.status_code == 403 and "event.command" in r.json()["error"]["message"]
    c = checklist[0]
    assert (
        client.post(f"/api/v1/events/checks/{c['id']}/done", json={}, headers=d).status_code == 200
    )
    r = client.post(f"/api/v1/events/checks/{c['id']}/done", json={}, headers=d)
    assert r.status_code == 409
    rep = client.get(f"/api/v1/events/{ev['id']}/report", headers=chief).json()
    assert rep["incidents"] == 1 and rep["response"]["median_s"] == 420.0
    assert rep["response"]["over_300_s"] == 1
    assert rep["staffing"][0]["staffed"] == 1 and rep["checks_done"] == 1
    assert rep["log_entries"] == 1
    assert any("not staffed" in i for i in rep["issues"])
    assert sum(sum(z["counts"]) for z in rep["by_zone_hour"]) == 1
    pdf = client.get(f"/api/v1/events/{ev['id']}/report.pdf", headers=chief)
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    listed = client.get("/api/v1/events", headers=an).json()
    assert [e["phase"] for e in listed] == ["past"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "arrival_at <= starts_at < ends_at"),
        ({"key_area_id": 1}, "either key_area_id or venue"),
        ({"venue": {"type": "Point", "coordinates": [1, 2]}}, "venue"),
        ({"kind": "parade"}, "kind"),
        ({"expected_crowd": 0}, "expected_crowd"),
        ({"code": "a b"}, "code"),
    ],
)
def test_bad_event_is_422_naming_the_field(
    client: TestClient, city: SmallCity, change: dict[str, Any], needle: str
) -> None:
    r = client.post("/api/v1/events", json=_body(**change), headers=auth(city.tokens["admin"]))
    assert r.status_code == 422, r.text
    assert needle in str(r.json()["error"])


def test_venue_outside_any_station_and_duplicate_code(
    client: TestClient, ev_app: Any, city: SmallCity, cov: CoverageCity
) -> None:
    far = shapely.geometry.mapping(shapely.box(110, 30, 110.01, 30.01))
    r = client.post("/api/v1/events", json=_body(venue=far), headers=auth(city.tokens["admin"]))
    assert r.status_code == 422 and "no station" in r.json()["error"]["message"]
    h = auth(city.tokens["admin"])
    assert client.post("/api/v1/events", json=_body(), headers=h).status_code == 201
    r = client.post("/api/v1/events", json=_body(), headers=h)
    assert r.status_code == 409 and "M-1" in r.json()["error"]["message"]
    # a chief of the other station does not see it
    r = client.get("/api/v1/events", headers=auth(city.tokens["chief1"]))
    assert r.json() == []
