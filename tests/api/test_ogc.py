from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import SmallCity


def _incidents(client: TestClient, city: SmallCity, n: int = 6) -> list[dict[str, object]]:
    out = []
    t0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    for i in range(n):
        lon, lat = city.cell_center(i * 2)
        r = client.post(
            "/api/v1/incidents",
            headers=auth(city.tokens["dispatcher"]),
            json={
                "subtype": "fight",
                "lon": lon,
                "lat": lat,
                "reported_at": (t0 + dt.timedelta(days=i)).isoformat(),
                "caller_phone": "13812345678",
            },
        )
        assert r.status_code == 201
        out.append(r.json())
    return out


def test_landing_conformance_collections(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["admin"])
    land = client.get("/api/v1/ogc", headers=h).json()
    assert {link["rel"] for link in land["links"]} >= {
        "self",
        "service-desc",
        "conformance",
        "data",
    }
    conf = client.get("/api/v1/ogc/conformance", headers=h).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    cols = client.get("/api/v1/ogc/collections", headers=h).json()["collections"]
    ids = {c["id"] for c in cols}
    assert ids >= {"incidents", "grid-cells", "stations", "premises", "key-areas", "resources"}
    cells = next(c for c in cols if c["id"] == "grid-cells")
    assert cells["extent"]["spatial"]["bbox"][0] == pytest.approx([102.70, 25.02, 102.78, 25.04])


def test_items_paging_bbox_datetime_and_scope(client: TestClient, city: SmallCity) -> None:
    made = _incidents(client, city)
    h = auth(city.tokens["commander"])
    r = client.get("/api/v1/ogc/collections/incidents/items", params={"limit": 4}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["numberMatched"] == 6 and fc["numberReturned"] == 4
    assert [link["rel"] for link in fc["links"]] == ["self", "alternate", "collection", "next"]
    assert "13812345678" not in r.text and "caller" not in r.text
    nxt = client.get(fc["links"][3]["href"].split("testserver")[1], headers=h).json()
    assert nxt["numberReturned"] == 2 and "prev" in [link["rel"] for link in nxt["links"]]
    r = client.get(
        "/api/v1/ogc/collections/incidents/items",
        params={"datetime": "2026-10-02T00:00:00Z/2026-10-03T23:59:59Z"},
        headers=h,
    )
    assert r.json()["numberMatched"] == 2
    r = client.get(
        "/api/v1/ogc/collections/incidents/items",
        params={"datetime": "../2026-10-01T23:00:00Z"},
        headers=h,
    )
    assert r.json()["numberMatched"] == 1
    lon, lat = city.cell_center(0)
    r = client.get(
        "/api/v1/ogc/collections/incidents/items",
        headers=h,
        params={"bbox": f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"},
    )
    assert r.json()["numberMatched"] == 1
    one = client.get(f"/api/v1/ogc/collections/incidents/items/{made[0]['id']}", headers=h)
    assert one.json()["geometry"]["type"] == "Point"
    chief1 = auth(city.tokens["chief1"])
    fc1 = client.get("/api/v1/ogc/collections/incidents/items", headers=chief1).json()
    assert fc1["numberMatched"] == 2  # cells 8 and 10 are station 1's
    r = client.get(f"/api/v1/ogc/collections/incidents/items/{made[0]['id']}", headers=chief1)
    assert r.status_code == 404
    cells = client.get("/api/v1/ogc/collections/grid-cells/items", headers=chief1).json()
    assert cells["numberMatched"] == 8
    assert cells["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"bbox": "1,2,3"}, "bbox: expected 4 numbers W,S,E,N, got 3"),
        ({"bbox": "a,b,c,d"}, "bbox: not numbers: 'a,b,c,d'"),
        ({"bbox": "0,95,1,96"}, "bbox: longitudes must be in [-180, 180], latitudes in [-90, 90]"),
        ({"datetime": "yesterday"}, "datetime: 'yesterday' is not an RFC 3339 date-time or date"),
        (
            {"datetime": "2026-10-05T00:00:00Z/2026-10-01T00:00:00Z"},
            "datetime: the interval ends before it starts",
        ),
    ],
)
def test_bad_parameters(
    client: TestClient, city: SmallCity, params: dict[str, str], message: str
) -> None:
    r = client.get(
        "/api/v1/ogc/collections/incidents/items", params=params, headers=auth(city.tokens["admin"])
    )
    assert r.status_code == 400  # OGC API Features: a bad value is a 400
    assert r.json()["error"]["message"].startswith(message)


def test_unknown_collection_and_time_on_untimed(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["admin"])
    r = client.get("/api/v1/ogc/collections/aliens/items", headers=h)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        "collection 'aliens' does not exist; see /api/v1/ogc/collections"
    )
    r = client.get(
        "/api/v1/ogc/collections/grid-cells/items", params={"datetime": "2026-01-01"}, headers=h
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "datetime: the collection 'grid-cells' has no time dimension"
    )
    assert client.get("/api/v1/ogc/collections").status_code == 401


def test_owslib_reads_the_service(tmp_path: Path) -> None:
    """OWSLib (what QGIS-like clients use) reads the collections and items as they are."""
    owslib_features = pytest.importorskip("owslib.ogcapi.features")
    from tests.serverutil import free_port, prepare_db, start_server

    url, city = prepare_db(tmp_path / "ogc.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    try:
        import httpx2 as httpx

        base = f"http://127.0.0.1:{port}"
        lon, lat = city.cell_center(1)
        httpx.post(
            f"{base}/api/v1/incidents",
            json={"subtype": "fire", "lon": lon, "lat": lat},
            headers=auth(city.tokens["dispatcher"]),
        ).raise_for_status()
        api = owslib_features.Features(f"{base}/api/v1/ogc", headers=auth(city.tokens["admin"]))
        ids = [c["id"] for c in api.collections()["collections"]]
        assert "incidents" in ids and "grid-cells" in ids
        fc = api.collection_items("incidents", limit=10)
        assert fc["numberMatched"] == 1 and fc["features"][0]["properties"]["subtype"] == "fire"
        cells = api.collection_items("grid-cells", bbox=[102.70, 25.02, 102.71, 25.03])
        assert cells["numberReturned"] >= 1
    finally:
        proc.terminate()
        proc.wait(10)
