"""Camera registry API: create/edit/retire, listing with filters and paging, scope, import with
a reject report, figures against a count by hand, blind spots, siting with its plan files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.cameras import figures
from pingan.cameras.models import Camera
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    figures.clear_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path, n_incidents=60)


def _cam(**kw: Any) -> dict[str, Any]:
    base = {
        "lon": LON0 + 0.011,
        "lat": LAT0 + 0.009,
        "heading_deg": 90,
        "fov_deg": 90,
        "range_m": 100,
    }
    return base | kw


def test_create_edit_retire_and_list(client: TestClient, session: Session, city: SmallCity) -> None:
    h = auth(city.tokens["chief0"])
    r = client.post("/api/v1/cameras", json=_cam(code="C-1", owner="social"), headers=h)
    assert r.status_code == 201, r.text
    cam = r.json()
    assert cam["station_id"] is not None and cam["owner"] == "social" and cam["resolution"] == "hd"
    r = client.patch(
        f"/api/v1/cameras/{cam['id']}", json={"status": "offline", "heading_deg": 180}, headers=h
    )
    assert r.status_code == 200 and r.json()["status"] == "offline"
    rows = session.scalars(
        select(AuditRecord).where(
            AuditRecord.entity == "camera", AuditRecord.entity_id == str(cam["id"])
        )
    ).all()
    assert [a.action for a in rows] == ["create", "update"]
    assert json.loads(rows[1].detail)["heading_deg"] == {"from": 90.0, "to": 180.0}
    # list: status filter, bbox filter, paging
    client.post("/api/v1/cameras", json=_cam(code="C-2", lon=LON0 + 0.012), headers=h)
    r = client.get("/api/v1/cameras?status=offline", headers=h)
    assert [c["code"] for c in r.json()["items"]] == ["C-1"]
    box = f"{LON0 + 0.0115},{LAT0},{LON0 + 0.02},{LAT0 + 0.02}"
    assert [
        c["code"] for c in client.get(f"/api/v1/cameras?bbox={box}", headers=h).json()["items"]
    ] == ["C-2"]
    page = client.get("/api/v1/cameras?limit=1&offset=1", headers=h).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    # retire: out of the default listing, kept on request
    r = client.post(f"/api/v1/cameras/{cam['id']}/retire", json={"reason": "拆除"}, headers=h)
    assert r.status_code == 200 and r.json()["retired_at"]
    assert client.get("/api/v1/cameras", headers=h).json()["total"] == 1
    assert client.get("/api/v1/cameras?status=retired", headers=h).json()["total"] == 1
    r = client.patch(f"/api/v1/cameras/{cam['id']}", json={"status": "online"}, headers=h)
    assert r.status_code == 422 and "is retired" in r.json()["error"]["message"]


def test_roles_scope_and_errors(client: TestClient, city: SmallCity) -> None:
    r = client.post("/api/v1/cameras", json=_cam(), headers=auth(city.tokens["analyst"]))
    assert (
        r.status_code == 403
        and "may not change cameras (camera.write)" in r.json()["error"]["message"]
    )
    # chief1 (station 1) may not place a camera in station 0, nor see one there
    r = client.post("/api/v1/cameras", json=_cam(), headers=auth(city.tokens["chief1"]))
    assert r.status_code == 403
    cid = client.post("/api/v1/cameras", json=_cam(), headers=auth(city.tokens["admin"])).json()[
        "id"
    ]
    assert (
        client.get(f"/api/v1/cameras/{cid}", headers=auth(city.tokens["chief1"])).status_code == 404
    )
    assert (
        client.get(f"/api/v1/cameras/{cid}", headers=auth(city.tokens["officer0"])).status_code
        == 200
    )
    r = client.post("/api/v1/cameras", json=_cam(fov_deg=0), headers=auth(city.tokens["admin"]))
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("fov_deg")
    r = client.get("/api/v1/cameras?bbox=1,2,3", headers=auth(city.tokens["admin"]))
    assert (
        r.status_code == 422
        and "bbox: expected 4 numbers W,S,E,N, got 3" in r.json()["error"]["message"]
    )
    r = client.post("/api/v1/cameras", json=_cam(lon=LON0 - 1), headers=auth(city.tokens["admin"]))
    assert r.status_code == 422 and "outside every jurisdiction" in r.json()["error"]["message"]


def test_import_csv_and_geojson_with_rejects(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    h = auth(city.tokens["admin"])
    csv_text = (
        "code,lon,lat,heading,fov,range,owner,status\n"
        f"I-1,{LON0 + 0.011},{LAT0 + 0.009},10,90,80,public,online\n"
        f"I-2,{LON0 + 0.021},{LAT0 + 0.009},370,90,80,public,online\n"
        f"I-3,{LON0 - 1},{LAT0},10,90,80,public,online\n"
        f"I-4,{LON0 + 0.031},{LAT0 + 0.009},10,90,80,state,online\n"
        f"I-1,{LON0 + 0.011},{LAT0 + 0.009},10,90,80,public,online\n"
        f"I-5,{LON0 + 0.041},,10,90,80,public,online\n"
    )
    files = {"file": ("cams.csv", io.BytesIO(csv_text.encode()), "text/csv")}
    r = client.post("/api/v1/cameras/import", files=files, data={"dry_run": "true"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and r.json()["dry_run"]
    assert session.scalar(select(Camera).where(Camera.code == "I-1")) is None
    files = {"file": ("cams.csv", io.BytesIO(csv_text.encode()), "text/csv")}
    rep = client.post("/api/v1/cameras/import", files=files, headers=h).json()
    assert (rep["rows"], rep["created"], rep["updated"], rep["rejected"]) == (6, 1, 0, 5)
    why = {(x["row"], x["field"]) for x in rep["rejects"]}
    assert why == {(3, "heading_deg"), (4, "lon"), (5, "owner"), (6, "code"), (7, "lat")}
    gj = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [LON0 + 0.011, LAT0 + 0.009]},
                "properties": {"code": "I-1", "heading_deg": 45, "fov_deg": 360, "range_m": 60},
            },
            {"type": "Feature", "geometry": None, "properties": {"code": "I-9"}},
        ],
    }
    files = {"file": ("c.geojson", io.BytesIO(json.dumps(gj).encode()), "application/geo+json")}
    rep = client.post("/api/v1/cameras/import", files=files, headers=h).json()
    assert (rep["created"], rep["updated"], rep["rejected"]) == (0, 1, 1)
    assert rep["rejects"][0] == {"row": 2, "code": "I-9", "field": "lon", "reason": "missing"}
    assert session.scalar(select(Camera.fov_deg).where(Camera.code == "I-1")) == 360
    bad = {"file": ("c.csv", io.BytesIO(b"code,lon\n1,2\n"), "text/csv")}
    r = client.post("/api/v1/cameras/import", files=bad, headers=h)
    assert (
        r.status_code == 422
        and "lacks the column(s) lat, heading_deg" in r.json()["error"]["message"]
    )


def _add_cameras(session: Session) -> None:
    rng = np.random.default_rng(5)
    for i in range(30):
        lon = LON0 + float(rng.uniform(0.001, 0.079))
        lat = LAT0 + float(rng.uniform(0.001, 0.019))
        session.add(
            Camera(
                code=f"D-{i}",
                lon=lon,
                lat=lat,
                heading_deg=float(rng.uniform(0, 360)),
                fov_deg=90.0,
                range_m=150.0,
                status="offline" if i % 10 == 0 else "online",
                jpath="/",
                station_id=None,
            )
        )
    session.flush()


def test_figures_blind_spots_and_siting(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    from pingan.coverage import camera_coverage
    from pingan.incidents.models import Incident

    _add_cameras(session)
    h = auth(city.tokens["analyst"])
    fig = client.get("/api/v1/cameras/figures", headers=h).json()
    tot = fig["total"]
    assert tot["cameras"] == 30 and tot["down"] == 3 and tot["working"] == 27
    # by hand: the kernel on every incident against the online cameras
    cams = session.scalars(select(Camera).where(Camera.status == "online")).all()
    incs = session.scalars(select(Incident)).all()
    snap = figures.snapshot(session, principal=_admin(session, city), data_dir=cov.data_dir)
    proj = snap.proj
    cx, cy = proj.forward([c.lon for c in cams], [c.lat for c in cams])
    ix, iy = proj.forward([i.lon for i in incs], [i.lat for i in incs])
    seen = camera_coverage(
        np.column_stack([ix, iy]), np.column_stack([cx, cy]), [c.heading_deg for c in cams], 90, 150
    )
    assert tot["incidents"] == len(incs) == 60
    assert tot["incidents_seen"] == int((seen > 0).sum())
    assert 0 < tot["road_seen_share"] < 1 and tot["road_m"] > 100_000
    assert [s["code"] for s in fig["stations"]] == ["T1-S0", "T1-S1"]
    assert sum(s["incidents"] for s in fig["stations"]) == 60
    assert {k["code"] for k in fig["key_areas"]} == {"KA-near", "KA-far"}
    assert "±half its field of view" in fig["explanation"]["incidents_seen_share"]
    bs = client.get("/api/v1/cameras/blind-spots?cell_size_m=500", headers=h).json()
    assert sum(f["properties"]["unseen"] for f in bs["features"]) == 60 - tot["incidents_seen"]
    r = client.get("/api/v1/cameras/blind-spots?cell_size_m=10", headers=h)
    assert r.status_code == 422
    # siting: before = today's figures, after at least as good, each camera on a road vertex
    body = {"n_cameras": 5, "headings": 8, "fov_deg": 90, "range_m": 120, "time_limit_s": 5}
    r = client.post("/api/v1/cameras/siting", json=body, headers=h)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert len(plan["cameras"]) == 5
    assert plan["before"]["incidents_seen"] == tot["incidents_seen"]
    assert plan["after"]["incidents_seen"] > plan["before"]["incidents_seen"]
    assert plan["after"]["road_seen_m"] > plan["before"]["road_seen_m"]
    assert sum(c["incidents_newly_seen"] for c in plan["cameras"]) >= (
        plan["after"]["incidents_seen"] - plan["before"]["incidents_seen"]
    )
    nodes = {
        (round(a, 5), round(b, 5))
        for a, b in zip(cov.network.node_lon, cov.network.node_lat, strict=False)
    }
    assert all((round(c["lon"], 5), round(c["lat"], 5)) in nodes for c in plan["cameras"])
    r = client.post("/api/v1/cameras/siting?format=geojson", json=body, headers=h)
    assert r.headers["content-type"].startswith("application/geo+json")
    assert len(r.json()["features"]) == 10
    r = client.post("/api/v1/cameras/siting?format=xlsx", json=body, headers=h)
    assert r.content[:2] == b"PK"
    # station scope, and roles
    st = fig["stations"][1]["id"]
    r = client.post("/api/v1/cameras/siting", json=body | {"station_id": st}, headers=h)
    assert r.status_code == 200
    assert r.json()["before"]["incidents"] == fig["stations"][1]["incidents"]
    r = client.post("/api/v1/cameras/siting", json=body, headers=auth(city.tokens["dispatcher"]))
    assert r.status_code == 403
    # sectors at street zoom
    box = f"{LON0},{LAT0},{LON0 + 0.08},{LAT0 + 0.02}"
    sec = client.get(f"/api/v1/cameras/sectors?bbox={box}", headers=h).json()
    assert len(sec["features"]) == 30 and sec["truncated"] is False


def _admin(session: Session, city: SmallCity):  # type: ignore[no-untyped-def]
    from pingan.auth.service import principal_for

    return principal_for(session, city.users["admin"])


def test_siting_without_roads_is_a_conflict(
    client: TestClient, city: SmallCity, app: Any, tmp_path: Path
) -> None:
    figures.clear_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    r = client.post(
        "/api/v1/cameras/siting", json={"n_cameras": 2}, headers=auth(city.tokens["admin"])
    )
    assert r.status_code == 409 and "no road network" in r.json()["error"]["message"]
    fig = client.get("/api/v1/cameras/figures", headers=auth(city.tokens["admin"])).json()
    assert fig["total"]["road_seen_share"] is None
