"""The command center's live additions: street-name labels, live 1-3-5 coverage with move-ups
sent as move-up assignments, straight-line recommendations without roads, the place's disputes
in the detail, the route stored with an assignment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.auth.service import principal_for
from pingan.disputes import service as disputes
from pingan.disputes.schemas import DisputeCreate
from pingan.rapid_response import data
from tests.conftest import auth
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def test_road_labels_name_the_streets_in_the_callers_language(
    client: TestClient, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    r = client.get("/api/v1/map/road-labels?zoom=16", headers=h)
    assert r.status_code == 200, r.text
    names = {f["properties"]["name"] for f in r.json()["features"]}
    assert "北京路" in names and "南1巷" in names
    # one merged line per street, not one per segment
    beijing = [f for f in r.json()["features"] if f["properties"]["name"] == "北京路"]
    assert len(beijing) == 1 and beijing[0]["geometry"]["type"] == "LineString"
    client.cookies.set("pingan_lang", "en")
    en = client.get("/api/v1/map/road-labels?zoom=16", headers=h).json()
    client.cookies.delete("pingan_lang")
    assert "Beijing Road" in {f["properties"]["name"] for f in en["features"]}
    r = client.get("/api/v1/map/road-labels?zoom=16&bbox=1,2,3", headers=h)
    assert r.status_code in (400, 422) and "bbox" in r.text


def test_live_coverage_moves_up_and_follows_dispatch(
    client: TestClient, city: SmallCity, cov: CoverageCity, session: Session
) -> None:
    h = auth(city.tokens["dispatcher"])
    r = client.get("/api/v1/coverage/live", headers=h)
    assert r.status_code == 200, r.text
    live = r.json()
    assert [s["standard_s"] for s in live["shares"]] == [60.0, 180.0, 300.0]
    assert {b for _, b in live["cells"]} <= {0, 1, 3, 5}
    assert live["units"]["considered"] == 4  # the drone is left out of ground coverage
    within3 = live["shares"][1]["cells_within"]
    # the patrol car goes to a call: coverage drops, and is recomputed at once
    car = next(
        u["id"]
        for st in client.get("/api/v1/dispatch/board", headers=h).json()["stations"]
        for u in st["units"]
        if u["code"] == "PC-1"
    )
    lon, lat = city.cell_center(len(city.cells) - 1)
    new = client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": lon, "lat": lat}
    ).json()
    a = client.post(
        f"/api/v1/incidents/{new['id']}/assignments", headers=h, json={"resource_id": car}
    )
    assert a.status_code == 201, a.text
    assert a.json()["route"]["type"] == "LineString"  # the route is kept with the assignment
    after = client.get("/api/v1/coverage/live", headers=h).json()
    assert after["units"]["considered"] == 3 and after["busy"] == 1
    assert after["shares"][1]["cells_within"] <= within3
    # a move-up: the mobile kiosk goes where the suggestion says (or anywhere we choose)
    kiosk = next(
        u["id"]
        for st in client.get("/api/v1/dispatch/board", headers=h).json()["stations"]
        for u in st["units"]
        if u["code"] == "MK-1"
    )
    tlon, tlat = city.cell_center(5)
    m = client.post(
        f"/api/v1/resources/{kiosk}/moveups",
        headers=h,
        json={"lon": tlon, "lat": tlat, "label": "北京路", "gain": 3.0},
    )
    assert m.status_code == 201, m.text
    mv = m.json()
    assert mv["state"] == "sent" and mv["label"] == "北京路"
    board = client.get("/api/v1/dispatch/board", headers=h).json()
    chip = next(u for st in board["stations"] for u in st["units"] if u["id"] == kiosk)
    assert chip["status"] == "available" and chip["moveup"]["id"] == mv["id"]
    # the busy car cannot move up: 409 naming its incident
    busy = client.post(
        f"/api/v1/resources/{car}/moveups", headers=h, json={"lon": tlon, "lat": tlat}
    )
    assert busy.status_code == 409 and new["code"] in busy.json()["error"]["message"]
    arrived = client.post(
        f"/api/v1/moveups/{mv['id']}/transitions", headers=h, json={"to_state": "arrived"}
    )
    assert arrived.status_code == 200, arrived.text
    unit = client.get(f"/api/v1/resources/{kiosk}", headers=h).json()
    assert (unit["lon"], unit["lat"]) == pytest.approx((tlon, tlat))
    again = client.post(
        f"/api/v1/moveups/{mv['id']}/transitions", headers=h, json={"to_state": "cancelled"}
    )
    assert again.status_code == 409 and "arrived" in again.text
    actions = set(
        session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(kiosk)))
    )
    assert {"moveup", "moveup_arrived"} <= actions
    # an analyst sees coverage but may not move units
    r = client.post(
        f"/api/v1/resources/{kiosk}/moveups",
        headers=auth(city.tokens["analyst"]),
        json={"lon": tlon, "lat": tlat},
    )
    assert r.status_code == 403 and "unit.moveup" in r.text


def test_recommendations_without_roads_are_straight_line_and_say_so(
    app: Any, client: TestClient, city: SmallCity, session: Session, tmp_path: Path
) -> None:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path / "none"})
    h = auth(city.tokens["dispatcher"])
    for code in ("S1", "S2"):
        client.post(
            "/api/v1/resources",
            headers=h,
            json={"code": code, "kind": "patrol_car", "name_zh": code, "station_code": "T1-S0"},
        ).raise_for_status()
    lon, lat = city.cell_center(1)
    inc = client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": lon, "lat": lat}
    ).json()
    r = client.post(f"/api/v1/incidents/{inc['id']}/recommendations", headers=h, json={"k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == "straight_line" and len(body["units"]) >= 2
    assert all(u["basis"] == "straight_line" for u in body["units"])
    assert "直线距离" in body["units"][0]["why"] and "无路网" in body["units"][0]["why"]
    etas = [u["eta_s"] for u in body["units"]]
    assert etas == sorted(etas)
    a = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        headers=h,
        json={"resource_id": body["units"][0]["id"]},
    )
    assert a.status_code == 201 and a.json()["eta_s"] == pytest.approx(etas[0], abs=0.2)
    assert client.get("/api/v1/coverage/live", headers=h).status_code == 409


def test_detail_lists_the_places_disputes(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    h = auth(city.tokens["dispatcher"])
    lon, lat = city.cell_center(3)
    chief = principal_for(session, city.users["chief0"])
    disputes.create(
        session,
        principal=chief,
        data=DisputeCreate(kind="neighbourhood", lon=lon + 0.0003, lat=lat, summary="噪音"),
    )
    disputes.create(
        session,
        principal=chief,
        data=DisputeCreate(kind="family", lon=lon + 0.01, lat=lat),  # about 1 km away
    )
    session.flush()
    inc = client.post(
        "/api/v1/incidents", headers=h, json={"subtype": "fight", "lon": lon, "lat": lat}
    ).json()
    detail = client.get(f"/api/v1/incidents/{inc['id']}", headers=h).json()
    assert [d["kind"] for d in detail["disputes"]] == ["neighbourhood"]
    assert 20 <= detail["disputes"][0]["distance_m"] <= 40
    assert "summary" not in detail["disputes"][0]  # the place's history, not the parties
    near = client.get(f"/api/v1/dispatch/nearby?lon={lon}&lat={lat}", headers=h).json()
    assert len(near["disputes"]) == 1
