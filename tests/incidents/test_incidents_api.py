from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.service import verify
from pingan.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from pingan.incidents.models import Incident
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity


def body(city: SmallCity, **kw: object) -> dict[str, object]:
    lon, lat = city.cell_center(0)
    return {"subtype": "pickpocketing", "lon": lon, "lat": lat, **kw}


def test_create_assigns_cell_and_audits(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    r = client.post("/api/v1/incidents", json=body(city), headers=auth(city.tokens["dispatcher"]))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["jurisdiction_id"] == city.cells[0].id
    assert out["klass"] == "criminal" and out["priority"] == 3 and out["state"] == "received"
    assert verify(session).ok


@pytest.mark.parametrize("crs,conv", [("GCJ02", wgs84_to_gcj02), ("BD09", wgs84_to_bd09)])
def test_crs_is_converted_to_wgs84(client: TestClient, city: SmallCity, crs: str, conv) -> None:  # type: ignore[no-untyped-def]
    lon, lat = city.cell_center(5)
    x, y = conv(lon, lat)
    r = client.post(
        "/api/v1/incidents",
        json={"subtype": "fight", "lon": float(x), "lat": float(y), "crs": crs},
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["input_crs"] == crs
    assert abs(out["lon"] - lon) < 1e-7 and abs(out["lat"] - lat) < 1e-7
    assert out["jurisdiction_id"] == city.cells[5].id


@pytest.mark.parametrize(
    "patch,field,reason",
    [
        ({"lon": 200.0}, "lon", "less than or equal to 180"),
        ({"lat": -95}, "lat", "greater than or equal to -90"),
        ({"subtype": "alien_abduction"}, "subtype", "unknown incident type 'alien_abduction'"),
        ({"summary": "x" * 10_000_001}, "summary", "too long: at most 10000 characters"),
        ({"crs": "EPSG:3857"}, "crs", "Input should be 'WGS84', 'GCJ02' or 'BD09'"),
        ({"lon": 0.0, "lat": 0.0}, "lon", "outside every jurisdiction"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_input_names_field(
    client: TestClient, city: SmallCity, patch: dict[str, object], field: str, reason: str
) -> None:
    r = client.post(
        "/api/v1/incidents", json=body(city, **patch), headers=auth(city.tokens["dispatcher"])
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field
    assert reason in err["message"]


def test_idempotency(client: TestClient, city: SmallCity, session: Session) -> None:
    h = auth(city.tokens["dispatcher"]) | {"Idempotency-Key": "call-42"}
    a = client.post("/api/v1/incidents", json=body(city), headers=h)
    b = client.post("/api/v1/incidents", json=body(city), headers=h)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and b.headers["Idempotency-Replayed"] == "true"
    c = client.post("/api/v1/incidents", json=body(city, subtype="fight"), headers=h)
    assert c.status_code == 409
    assert plain(c.json()["error"]) == {
        "code": "conflict",
        "message": "Idempotency-Key was already used with a different request body",
        "field": "Idempotency-Key",
    }
    assert session.scalar(select(func.count(Incident.id))) == 1


def test_repeat_calls_are_linked(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    lon, lat = city.cell_center(2)
    t0 = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
    first = client.post(
        "/api/v1/incidents",
        json={"subtype": "fight", "lon": lon, "lat": lat, "reported_at": t0.isoformat()},
        headers=h,
    ).json()
    near = client.post(
        "/api/v1/incidents",
        json={
            "subtype": "fight",
            "lon": lon + 0.001,
            "lat": lat,  # ~100 m
            "reported_at": (t0 + dt.timedelta(minutes=4)).isoformat(),
        },
        headers=h,
    ).json()
    far = client.post(
        "/api/v1/incidents",
        json={
            "subtype": "fight",
            "lon": lon + 0.003,
            "lat": lat,  # ~300 m
            "reported_at": (t0 + dt.timedelta(minutes=4)).isoformat(),
        },
        headers=h,
    ).json()
    late = client.post(
        "/api/v1/incidents",
        json={
            "subtype": "fight",
            "lon": lon,
            "lat": lat,
            "reported_at": (t0 + dt.timedelta(minutes=11)).isoformat(),
        },
        headers=h,
    ).json()
    other = client.post(
        "/api/v1/incidents",
        json={
            "subtype": "noise",
            "lon": lon,
            "lat": lat,
            "reported_at": (t0 + dt.timedelta(minutes=1)).isoformat(),
        },
        headers=h,
    ).json()
    assert near["repeat_of_id"] == first["id"] and near["state"] == "duplicate"
    assert far["repeat_of_id"] is None and late["repeat_of_id"] is None
    assert other["repeat_of_id"] is None
    again = client.get(f"/api/v1/incidents/{first['id']}", headers=h).json()
    assert again["repeat_count"] == 1
    kinds = [
        e["kind"] for e in client.get(f"/api/v1/incidents/{first['id']}/timeline", headers=h).json()
    ]
    assert kinds == ["received", "repeat_call"]


def test_lifecycle_and_illegal_transition(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    inc = client.post("/api/v1/incidents", json=body(city), headers=h).json()
    url = f"/api/v1/incidents/{inc['id']}/transitions"
    for state in ["dispatched", "en_route", "on_scene", "resolved", "closed"]:
        r = client.post(url, json={"to_state": state}, headers=h)
        assert r.status_code == 200, r.text
    done = r.json()
    assert all(
        done[f"{s}_at"] for s in ["dispatched", "en_route", "on_scene", "resolved", "closed"]
    )
    r = client.post(url, json={"to_state": "dispatched"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["message"] == (
        "incident cannot go from 'closed' to 'dispatched'; allowed: none (final state)"
    )
    inc2 = client.post("/api/v1/incidents", json=body(city, subtype="fire"), headers=h).json()
    r = client.post(
        f"/api/v1/incidents/{inc2['id']}/transitions", json={"to_state": "closed"}, headers=h
    )
    assert r.status_code == 409
    assert r.json()["error"]["detail"]["allowed"] == [
        "dispatched",
        "resolved",
        "cancelled",
        "duplicate",
        "transferred",
    ]
    r = client.post(
        f"/api/v1/incidents/{inc2['id']}/transitions", json={"to_state": "flying"}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "to_state"
    tl = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=h).json()
    assert [e["to_state"] for e in tl] == [
        "received",
        "dispatched",
        "en_route",
        "on_scene",
        "resolved",
        "closed",
    ]


def test_scope_filters_reads_and_writes(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["dispatcher"])
    in0 = client.post("/api/v1/incidents", json=body(city), headers=h).json()  # station 0
    lon, lat = city.cell_center(10)  # station 1
    in1 = client.post(
        "/api/v1/incidents", json={"subtype": "fight", "lon": lon, "lat": lat}, headers=h
    ).json()
    chief0 = auth(city.tokens["chief0"])
    ids = [i["id"] for i in client.get("/api/v1/incidents", headers=chief0).json()["items"]]
    assert ids == [in0["id"]]
    assert client.get(f"/api/v1/incidents/{in1['id']}", headers=chief0).status_code == 404
    r = client.post(
        "/api/v1/incidents", json={"subtype": "fight", "lon": lon, "lat": lat}, headers=chief0
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "the incident location is outside your jurisdiction"
    r = client.post("/api/v1/incidents", json=body(city), headers=auth(city.tokens["analyst"]))
    assert r.status_code == 403 and "role 'analyst' may not change incidents" in r.text


def test_caller_is_masked_and_reveal_is_audited(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    h = auth(city.tokens["dispatcher"])
    inc = client.post(
        "/api/v1/incidents",
        json=body(city, caller_name="张三丰", caller_phone="13812345678"),
        headers=h,
    ).json()
    assert inc["caller_name_masked"] == "张**" and inc["caller_phone_masked"] == "138****5678"
    assert "13812345678" not in client.get("/api/v1/incidents", headers=h).text
    raw = session.execute(select(Incident.caller_phone)).scalar()
    assert raw == "13812345678"  # decrypted by the column type
    stored = session.connection().exec_driver_sql("SELECT caller_phone FROM incidents").scalar()
    assert stored is not None and "1381234" not in stored  # encrypted at rest
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/caller", json={"reason": "call back"}, headers=h
    )
    assert r.json() == {"caller_name": "张三丰", "caller_phone": "13812345678"}
    from pingan.audit.models import AuditRecord

    last = session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
    assert last is not None and last.action == "view_personal"


def test_unauthenticated(client: TestClient) -> None:
    r = client.get("/api/v1/incidents")
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "sign in or send a bearer token"
    r = client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "invalid or expired token"
