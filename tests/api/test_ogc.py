from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI
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
    assert "cursor=" in fc["links"][3]["href"]  # keyset paging: pingan.api.ogc_paging
    nxt = client.get(fc["links"][3]["href"].split("testserver")[1], headers=h).json()
    assert nxt["numberReturned"] == 2 and "next" not in [link["rel"] for link in nxt["links"]]
    by_offset = client.get(
        "/api/v1/ogc/collections/incidents/items", params={"limit": 4, "offset": 4}, headers=h
    ).json()
    assert by_offset["numberReturned"] == 2 and "prev" in [x["rel"] for x in by_offset["links"]]
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


def test_paging_links_are_url_encoded_and_follow(client: TestClient, city: SmallCity) -> None:
    """``datetime=…+08:00`` in a next link: the ``+`` must arrive as ``+``, not as a space."""
    _incidents(client, city)
    h = auth(city.tokens["commander"])
    when = "2026-10-02T08:00:00+08:00/.."
    fc = client.get(
        "/api/v1/ogc/collections/incidents/items", params={"datetime": when, "limit": 2}, headers=h
    ).json()
    assert fc["numberMatched"] == 5
    nxt = next(link["href"] for link in fc["links"] if link["rel"] == "next")
    assert "datetime=2026-10-02T08%3A00%3A00%2B08%3A00%2F.." in nxt
    page2 = client.get(nxt.split("testserver")[1], headers=h)
    assert page2.status_code == 200, page2.text
    assert page2.json()["numberMatched"] == 5 and page2.json()["numberReturned"] == 2


def test_limit_declares_its_maximum_and_larger_is_clamped(
    app: FastAPI, client: TestClient, city: SmallCity
) -> None:
    op = app.openapi()["paths"]["/api/v1/ogc/collections/{collection_id}/items"]["get"]
    limit = next(p for p in op["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000 and limit["schema"]["minimum"] == 1
    assert "400" in op["responses"]
    _incidents(client, city, n=1)
    r = client.get(
        "/api/v1/ogc/collections/incidents/items",
        params={"limit": 50_000},
        headers=auth(city.tokens["admin"]),
    )
    assert r.status_code == 200
    assert "limit=10000" in next(x["href"] for x in r.json()["links"] if x["rel"] == "self")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
            "crs: only CRS84 (WGS-84 longitude, latitude) is served; leave it out",
        ),
        ({"bbox-crs": "EPSG:4490"}, "bbox-crs: only CRS84"),
        (
            {"subtype": "fight"},
            "subtype: unknown query parameter; this resource takes bbox, cursor, datetime, f, "
            "limit, offset",
        ),
        ({"limit": "0"}, "limit: Input should be greater than or equal to 1"),
        ({"limit": "many"}, "limit: Input should be a valid integer"),
        ({"f": "xml"}, "f: Input should be 'json' or 'html'"),
        ({"datetime": "0001-01-01T00:00:00+14:00"}, "datetime: '0001-01-01T00:00:00+14:00' must"),
    ],
)
def test_unknown_and_invalid_parameters_are_400(
    client: TestClient, city: SmallCity, params: dict[str, str], message: str
) -> None:
    r = client.get(
        "/api/v1/ogc/collections/incidents/items", params=params, headers=auth(city.tokens["admin"])
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid"
    assert r.json()["error"]["message"].startswith(message)


def test_other_resources_refuse_unknown_parameters(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["admin"])
    for url in ("/api/v1/ogc", "/api/v1/ogc/collections", "/api/v1/ogc/collections/incidents"):
        r = client.get(url, params={"crs": "EPSG:3857"}, headers=h)
        assert r.status_code == 400 and r.json()["error"]["field"] == "crs"


def test_a_date_alone_matches_that_whole_day_in_the_bureau_zone(
    client: TestClient, city: SmallCity
) -> None:
    h = auth(city.tokens["admin"])
    lon, lat = city.cell_center(0)
    for at in ("2026-10-02T16:30:00Z", "2026-10-02T15:59:00Z", "2026-10-01T16:00:00Z"):
        r = client.post(
            "/api/v1/incidents",
            headers=auth(city.tokens["dispatcher"]),
            json={"subtype": "fight", "lon": lon, "lat": lat, "reported_at": at},
        )
        assert r.status_code == 201
    # 2026-10-02 in Asia/Shanghai is 2026-10-01T16:00Z .. 2026-10-02T15:59:59.999999Z
    day = client.get(
        "/api/v1/ogc/collections/incidents/items", params={"datetime": "2026-10-02"}, headers=h
    ).json()
    assert day["numberMatched"] == 2
    span = client.get(
        "/api/v1/ogc/collections/incidents/items",
        params={"datetime": "2026-10-02/2026-10-03"},
        headers=h,
    ).json()
    assert span["numberMatched"] == 3


def test_temporal_extent_queryables_and_html(client: TestClient, city: SmallCity) -> None:
    _incidents(client, city, n=3)
    h = auth(city.tokens["admin"])
    col = client.get("/api/v1/ogc/collections/incidents", headers=h).json()
    assert col["extent"]["temporal"]["interval"] == [
        ["2026-10-01T00:00:00+00:00", "2026-10-03T00:00:00+00:00"]
    ]
    assert (
        "temporal" not in client.get("/api/v1/ogc/collections/stations", headers=h).json()["extent"]
    )
    assert any(link["rel"].endswith("/queryables") for link in col["links"])
    q = client.get("/api/v1/ogc/collections/incidents/queryables", headers=h)
    assert q.status_code == 200 and q.headers["content-type"] == "application/schema+json"
    props = q.json()["properties"]
    assert props["geometry"] == {"format": "geometry-point"}
    assert props["priority"]["type"] == "integer"
    assert props["reported_at"] == {"title": "reported_at", "type": "string", "format": "date-time"}
    assert "caller_phone" not in props
    land = client.get("/api/v1/ogc", headers=h).json()
    desc = next(link for link in land["links"] if link["rel"] == "service-desc")
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.1"
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")
    page = client.get(
        "/api/v1/ogc/collections/incidents/items", params={"f": "html", "limit": 2}, headers=h
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<table>" in page.text and "fight" in page.text and "<script" not in page.text
    assert "2 of 3 features" in page.text and "f=html" in page.text
    for url in ("/api/v1/ogc", "/api/v1/ogc/collections", "/api/v1/ogc/conformance"):
        r = client.get(url, params={"f": "html"}, headers=h)
        assert r.status_code == 200 and r.text.startswith("<!doctype html>")


def test_polygons_are_counter_clockwise(client: TestClient, city: SmallCity) -> None:
    import shapely

    cells = client.get(
        "/api/v1/ogc/collections/grid-cells/items", headers=auth(city.tokens["admin"])
    ).json()
    assert cells["numberReturned"] == 16
    for f in cells["features"]:
        ring = shapely.LinearRing(f["geometry"]["coordinates"][0])
        assert ring.is_ccw, f["id"]


def test_owslib_pages_through_a_datetime_filter(tmp_path: Path) -> None:
    """OWSLib reads page 1 with a datetime filter carrying +08:00, and every next link, as
    given, reads the following page until the last (page 2 was a 422 before)."""
    from owslib.ogcapi.features import Features

    from tests.serverutil import free_port, prepare_db, start_server

    url, city = prepare_db(tmp_path / "pages.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    try:
        import httpx2 as httpx

        base = f"http://127.0.0.1:{port}"
        for i in range(7):
            lon, lat = city.cell_center(i)
            httpx.post(
                f"{base}/api/v1/incidents",
                json={
                    "subtype": "fight",
                    "lon": lon,
                    "lat": lat,
                    "reported_at": f"2026-10-0{1 + i}T10:00:00+08:00",
                },
                headers=auth(city.tokens["dispatcher"]),
            ).raise_for_status()
        api = Features(f"{base}/api/v1/ogc", headers=auth(city.tokens["admin"]))
        when = "2026-10-02T00:00:00+08:00/2026-10-06T23:59:59+08:00"
        fc = api.collection_items("incidents", datetime_=when, limit=2)
        seen = [f["id"] for f in fc["features"]]
        assert fc["numberMatched"] == 5
        pages = 1
        while nxt := next((x["href"] for x in fc["links"] if x["rel"] == "next"), None):
            fc = api._request(path=nxt.split("/api/v1/ogc/", 1)[1])
            seen += [f["id"] for f in fc["features"]]
            pages += 1
        assert pages == 3 and len(seen) == len(set(seen)) == 5
    finally:
        proc.terminate()
        proc.wait(10)


def test_past_the_count_cap_number_matched_is_left_out(
    client: TestClient, city: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's millions are not counted for a page: past the cap ``numberMatched`` (optional
    in OGC API Features) is left out, the pages and their next links go on, and the list API
    says its ``total`` is a lower bound."""
    from pingan.api import ogc
    from pingan.incidents import service

    _incidents(client, city)
    h = auth(city.tokens["commander"])
    monkeypatch.setattr(ogc, "COUNT_CAP", 3)
    fc = client.get("/api/v1/ogc/collections/incidents/items", params={"limit": 2}, headers=h)
    body = fc.json()
    assert "numberMatched" not in body and body["numberReturned"] == 2
    ids = [g["id"] for g in body["features"]]
    while nxt := next((k["href"] for k in body["links"] if k["rel"] == "next"), None):
        body = client.get(nxt.split("testserver")[1], headers=h).json()
        ids += [g["id"] for g in body["features"]]
    assert len(ids) == len(set(ids)) == 6  # every feature, once
    page = client.get("/api/v1/ogc/collections/incidents/items", params={"f": "html"}, headers=h)
    assert "more than 10,000" in page.text and "超过 10,000 个要素" in page.text
    monkeypatch.setattr(service, "COUNT_CAP", 4)
    lst = client.get("/api/v1/incidents", params={"limit": 2}, headers=h).json()
    assert (lst["total"], lst["total_exact"], len(lst["items"])) == (4, False, 2)
    monkeypatch.setattr(service, "COUNT_CAP", 10_000)
    lst = client.get("/api/v1/incidents", params={"limit": 2}, headers=h).json()
    assert (lst["total"], lst["total_exact"]) == (6, True)
