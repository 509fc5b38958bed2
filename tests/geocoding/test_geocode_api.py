"""The geocoder against the real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pingan.geocoding.models import GeocodeName
from pingan.geocoding.normalize import search_key, sql_key_expression
from pingan.geocoding.service import write_names
from pingan.places.models import Address, Premises
from tests.conftest import auth
from tests.factories import LAT0, LON0, STEP, SmallCity


def _labels(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return [f["properties"]["label"] for f in r.json()["features"]]


@pytest.mark.parametrize(
    "q",
    [
        "北京路88号",
        "北京路88",
        "北京88号",
        "北京88",
        "北京路８８号",
        "北京路８８",
        "北京 路 88 号",
        "北京路88#",
    ],
)
def test_door_plate_found_however_typed(client: TestClient, register: SmallCity, q: str) -> None:
    r = client.get("/api/v1/geocode", params={"q": q}, headers=auth(register.tokens["dispatcher"]))
    labels = _labels(r)
    assert labels[0] == "北京路88号", labels
    top = r.json()["features"][0]
    assert top["type"] == "Feature" and top["geometry"]["type"] == "Point"
    props = top["properties"]
    assert props["kind"] == "address"
    assert props["jurisdiction_code"].startswith("T1-S0-C1-")
    assert 0 < props["score"] <= 1
    scores = [f["properties"]["score"] for f in r.json()["features"]]
    assert scores == sorted(scores, reverse=True)


def test_partial_names_roads_and_junctions(
    client: TestClient, register: SmallCity, session: Session
) -> None:
    h = auth(register.tokens["dispatcher"])
    # a partial road name finds the road first
    r = client.get("/api/v1/geocode", params={"q": "北京"}, headers=h)
    feats = r.json()["features"]
    assert feats[0]["properties"]["label"] == "北京路"
    assert feats[0]["properties"]["kind"] == "road"
    # the middle of a name
    assert _labels(client.get("/api/v1/geocode", params={"q": "京路88"}, headers=h))[0] == (
        "北京路88号"
    )
    # a junction, with and without its words, in either spelling
    for q in ("北京路与环城南路交叉口", "北京路与环城南路", "北京环城南"):
        r = client.get("/api/v1/geocode", params={"q": q}, headers=h)
        assert r.json()["features"][0]["properties"]["kind"] == "junction", q
    # the two roads named the other way round, or joined by 和 or &: a caller says either
    g = register.cells[0]
    write_names(
        session.connection(),
        kind="junction",
        label=["北京路与二环路交叉口"],  # short names: the swapped key shares no trigram
        lon=np.array([LON0 + STEP]),
        lat=np.array([LAT0 + 0.001]),
        jurisdiction_id=np.array([g.id]),
        jpath=[g.path],
    )
    session.flush()
    for q in (
        "二环路与北京路",
        "二环路和北京路",
        "北京路和二环路",
        "二环 & 北京",
        "二环路与北京路交叉口",
    ):
        labels = _labels(client.get("/api/v1/geocode", params={"q": q}, headers=h))
        assert labels[:1] == ["北京路与二环路交叉口"], (q, labels)
    # building within a compound
    assert (
        _labels(client.get("/api/v1/geocode", params={"q": "北京路88号3栋"}, headers=h))[0]
        == "北京路88号3栋"
    )
    # a building the register does not know, and the number typed before the road
    for q in ("北京路88号5栋", "88号北京路", "８８号北京路"):
        assert _labels(client.get("/api/v1/geocode", params={"q": q}, headers=h))[0] == (
            "北京路88号"
        ), q
    # limit
    r = client.get("/api/v1/geocode", params={"q": "北京路1", "limit": 3}, headers=h)
    assert len(r.json()["features"]) == 3
    assert _labels(r)[0] == "北京路1号"
    # nothing
    assert _labels(client.get("/api/v1/geocode", params={"q": "不存在的地方"}, headers=h)) == []


def test_typo_falls_back_to_similar_names(client: TestClient, register: SmallCity) -> None:
    r = client.get(
        "/api/v1/geocode", params={"q": "北经路88号"}, headers=auth(register.tokens["dispatcher"])
    )
    assert "北京路88号" in _labels(r)[:5]


def test_premises_are_searchable_and_follow_changes(
    client: TestClient, register: SmallCity, session: Session
) -> None:
    h = auth(register.tokens["officer0"])
    lon, lat = register.cell_center(1)
    r = client.post(
        "/api/v1/premises",
        headers=h,
        json={"kind": "school", "name": "翠湖小学", "lon": lon, "lat": lat},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = client.get("/api/v1/geocode", params={"q": "翠湖小"}, headers=h)
    top = r.json()["features"][0]
    assert top["properties"] == {
        "label": "翠湖小学",
        "kind": "premises",
        "score": 0.857,  # 2 x 3 / (3 + 4)
        "jurisdiction_code": register.cells[1].code,
        "distance_m": None,
    }
    r = client.patch(f"/api/v1/premises/{pid}", headers=h, json={"name": "春城路小学"})
    assert r.status_code == 200, r.text
    assert _labels(client.get("/api/v1/geocode", params={"q": "翠湖小"}, headers=h)) == []
    assert _labels(client.get("/api/v1/geocode", params={"q": "春城小学"}, headers=h)) == [
        "春城路小学"
    ]
    session.delete(session.get(Premises, pid))
    session.flush()
    assert session.scalar(select(GeocodeName).where(GeocodeName.premises_id == pid)) is None
    assert _labels(client.get("/api/v1/geocode", params={"q": "春城小学"}, headers=h)) == []


def test_scoped_to_the_callers_jurisdiction(client: TestClient, register: SmallCity) -> None:
    # chief1 (station 1) sees 人民路 but not 北京路 in station 0
    h = auth(register.tokens["chief1"])
    assert _labels(client.get("/api/v1/geocode", params={"q": "北京路88号"}, headers=h)) == []
    assert _labels(client.get("/api/v1/geocode", params={"q": "人民路8号"}, headers=h))[0] == (
        "人民路8号"
    )
    r = client.get(
        "/api/v1/geocode/reverse", params={"lon": LON0 + 0.003, "lat": LAT0 + 0.0006}, headers=h
    )
    labels = _labels(r)
    assert all(lb.startswith("人民路") for lb in labels), labels
    assert client.get("/api/v1/geocode", params={"q": "北京路"}).status_code == 401


def test_reverse_gives_nearest_address_and_road(client: TestClient, register: SmallCity) -> None:
    h = auth(register.tokens["dispatcher"])
    r = client.get("/api/v1/geocode", params={"q": "北京路30号"}, headers=h)
    lon, lat = r.json()["features"][0]["geometry"]["coordinates"]
    r = client.get("/api/v1/geocode/reverse", params={"lon": lon, "lat": lat + 0.0001}, headers=h)
    feats = r.json()["features"]
    assert [f["properties"]["kind"] for f in feats] == ["address", "road"]
    assert feats[0]["properties"]["label"] == "北京路30号"
    assert feats[1]["properties"]["label"] == "北京路"
    assert feats[0]["properties"]["distance_m"] == pytest.approx(11.1, abs=0.3)
    # far from every address: nothing
    r = client.get("/api/v1/geocode/reverse", params={"lon": 103.5, "lat": 26.0}, headers=h)
    assert r.json() == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "q", "q: Field required"),
        ({"q": ""}, "q", "q: String should have at least 1 character"),
        ({"q": "！？ ，"}, "q", "q: type a road, door number or place name (letters or digits)"),
        ({"q": "北京", "limit": 0}, "limit", "limit: Input should be greater than or equal to 1"),
    ],
)
def test_geocode_errors(
    client: TestClient, city: SmallCity, params: dict[str, object], field: str, message: str
) -> None:
    r = client.get("/api/v1/geocode", params=params, headers=auth(city.tokens["dispatcher"]))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == field and err["message"] == message


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 25.0}, "lon"),
        ({"lon": 102.7}, "lat"),
        ({"lon": 200, "lat": 25.0}, "lon"),
        ({"lon": 102.7, "lat": "north"}, "lat"),
    ],
)
def test_reverse_errors(
    client: TestClient, city: SmallCity, params: dict[str, object], field: str
) -> None:
    r = client.get(
        "/api/v1/geocode/reverse", params=params, headers=auth(city.tokens["dispatcher"])
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field


def test_openapi_documents_both_operations(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    ops = {
        op["operationId"]: op
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {"geocode", "reverse_geocode"} <= ops.keys()
    assert {p["name"] for p in ops["geocode"]["parameters"]} == {"q", "limit"}
    assert {p["name"] for p in ops["reverse_geocode"]["parameters"]} == {"lon", "lat"}
    assert "422" in ops["geocode"]["responses"]


def test_sql_key_matches_python_key(session: Session) -> None:
    names = ["翠湖 小学(东校区)", "北京路与环城南路交叉口", "人民路口便利店", "ABC·商场（一期）"]
    for name in names:
        got = session.execute(text(f"SELECT {sql_key_expression(':n')}"), {"n": name}).scalar_one()
        assert got == search_key(name), name


def test_address_rows_have_their_parts(register: SmallCity, session: Session) -> None:
    a = session.scalar(select(Address).where(Address.text_zh == "北京路88号3栋"))
    assert a is not None
    assert (a.road_zh, a.door_no, a.building) == ("北京路", "88", "3栋")
    assert a.code == f"A{a.id:07d}"
    g = session.scalar(select(GeocodeName).where(GeocodeName.address_id == a.id))
    assert g is not None and g.key == "北京88号3栋" and g.jpath == a.jpath
