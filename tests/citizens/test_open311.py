"""Open311 GeoReport v2: discovery, services, requests (GET filters, POST with a key), one
request, the XML forms, the standard's error shape, keys (hashed, revocable, counted, every
keyed request audited); and ``georeport``, an Open311 client library from PyPI, against a
real server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.citizens import open311
from pingan.citizens.models import Open311Key
from tests.factories import SmallCity

BASE = "/open311/v2"


@pytest.fixture()
def key(session: Session, city: SmallCity) -> str:
    _, k = open311.add_key(session, actor=Actor.system("test"), name="hotline")
    return k


def _post(client: TestClient, key: str, lon: float, lat: float, **extra: str) -> dict:
    data = {
        "api_key": key,
        "service_code": "noise",
        "lat": str(lat),
        "long": str(lon),
        "description": "广场舞音响太大",
        **extra,
    }
    r = client.post(f"{BASE}/requests.json", data=data)
    assert r.status_code == 201, r.text
    return r.json()[0]


def test_services_and_discovery(client: TestClient) -> None:
    d = client.get(f"{BASE}/discovery.json").json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    s = client.get(f"{BASE}/services.json").json()
    assert {x["service_code"] for x in s} >= {"theft", "noise", "other"}
    assert all(x["metadata"] is False and x["type"] == "realtime" for x in s)
    x = ET.fromstring(client.get(f"{BASE}/services.xml").text)
    assert x.tag == "services" and len(x.findall("service")) == len(s)
    one = client.get(f"{BASE}/services/noise.json").json()
    assert one == {"service_code": "noise", "attributes": []}
    assert ET.fromstring(client.get(f"{BASE}/services/noise.xml").text).tag == "service_definition"
    bad = client.get(f"{BASE}/services/nope.json")
    assert bad.status_code == 404 and bad.json()[0]["code"] == 404
    wrong = client.get(f"{BASE}/services.json?jurisdiction_id=elsewhere")
    assert wrong.status_code == 404 and "jurisdiction_id" in wrong.json()[0]["description"]
    assert client.get(f"{BASE}/services.json?jurisdiction_id=pingan.local").status_code == 200


def test_post_read_back_filter(
    client: TestClient, city: SmallCity, key: str, session: Session
) -> None:
    lon, lat = city.cell_center(0)
    sid = _post(client, key, lon, lat)["service_request_id"]
    assert sid.startswith("WB")
    one = client.get(f"{BASE}/requests/{sid}.json").json()
    assert len(one) == 1 and one[0]["status"] == "open" and one[0]["service_code"] == "noise"
    assert one[0]["agency_responsible"] == "第1派出所"
    assert one[0]["description"] is None  # the citizen's text never leaves
    x = ET.fromstring(client.get(f"{BASE}/requests/{sid}.xml").text)
    assert x.find("request/service_request_id").text == sid  # type: ignore[union-attr]
    assert [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()] == [sid]
    assert client.get(f"{BASE}/requests.json?status=closed").json() == []
    assert client.get(f"{BASE}/requests.json?service_code=theft").json() == []
    r = client.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-01-31T00:00:00Z"
    )
    assert r.json() == []
    r = client.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-01-31T00:00:00Z&service_request_id={sid}"
    )
    assert len(r.json()) == 1  # ids override the other filters
    too_long = client.get(
        f"{BASE}/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2021-01-01T00:00:00Z"
    )
    assert too_long.status_code == 422 and "90 days" in too_long.json()[0]["description"]
    assert client.get(f"{BASE}/requests.json?status=opened").status_code == 422
    assert client.get(f"{BASE}/requests/WB0000000000.json").status_code == 404
    # the station sees it in its queue; the key's use is audited
    audits = session.scalars(
        select(AuditRecord.action).where(AuditRecord.actor == "open311:hotline")
    ).all()
    assert "open311_post" in audits


def test_keys_are_required_hashed_revocable_and_limited(
    client: TestClient, city: SmallCity, key: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    lon, lat = city.cell_center(0)
    form = {
        "service_code": "noise",
        "lat": str(lat),
        "long": str(lon),
        "description": "广场舞音响太吵了",
    }
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 401 and r.json()[0]["description"].startswith("api_key")
    r = client.post(f"{BASE}/requests.xml", data={**form, "api_key": "o311_forged"})
    assert r.status_code == 401 and ET.fromstring(r.text).tag == "errors"
    row = session.scalar(select(Open311Key).where(Open311Key.name == "hotline"))
    assert row is not None and key not in row.key_hash and row.prefix == key[:10]
    bad = client.post(f"{BASE}/requests.json", data={**form, "api_key": key, "service_code": "x"})
    assert bad.status_code == 404 and "service_code" in bad.json()[0]["description"]
    # a keyed read is audited too
    client.get(f"{BASE}/services.json?api_key={key}")
    assert (
        session.scalar(select(AuditRecord.id).where(AuditRecord.action == "open311_read"))
        is not None
    )
    # limited per key
    from pingan.config import get_settings

    monkeypatch.setenv("PINGAN_OPEN311_KEY_PER_HOUR", "2")
    get_settings.cache_clear()
    codes = [
        client.post(f"{BASE}/requests.json", data={**form, "api_key": key}).status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429
    open311.revoke_key(session, actor=Actor.system("test"), name="hotline")
    r = client.post(f"{BASE}/requests.json", data={**form, "api_key": key})
    assert r.status_code == 401


def test_a_real_open311_client_library(tmp_path: Path) -> None:
    """``georeport`` (PyPI, GeoReport v2 client) lists the services, and reads back a request
    posted as the standard says (georeport has no POST: ``requests``, the HTTP library it is
    built on, posts the form-encoded body the standard defines), in JSON and in XML."""
    georeport = pytest.importorskip("georeport")
    requests = pytest.importorskip("requests")
    from pingan.store.engine import make_engine, unit_of_work
    from tests.serverutil import free_port, prepare_db, start_server

    url, city = prepare_db(tmp_path / "o311.db")
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        _, key = open311.add_key(s, actor=Actor.system("test"), name="partner")
        s.commit()
    engine.dispose()
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    try:
        root = f"http://127.0.0.1:{port}/open311/v2"
        client = georeport.GeoReport(root, jurisdiction="pingan.local", api_key=key)
        services = client.get_service_list()
        assert "noise" in {s["service_code"] for s in services}
        assert client.get_service_definition("noise")["attributes"] == []
        lon, lat = city.cell_center(0)
        posted = requests.post(
            f"{root}/requests.json",
            data={
                "api_key": client.api_key,
                "jurisdiction_id": client.jurisdiction,
                "service_code": "noise",
                "lat": lat,
                "long": lon,
                "description": "夜间噪音",
            },
            timeout=30,
        )
        assert posted.status_code == 201, posted.text
        sid = posted.json()[0]["service_request_id"]
        got = client.get_service_request(sid)
        assert got["service_request_id"] == sid and got["status"] == "open"
        listed = client.get_service_requests(service_code="noise", status="open")
        assert sid in {r["service_request_id"] for r in listed}
        xml_client = georeport.GeoReport(root, jurisdiction="pingan.local", output_format="xml")
        xs = xml_client.get_service_list()
        assert "noise" in {s["service_code"] for s in xs}
        assert xml_client.get_service_request(sid)["service_request_id"] == sid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
