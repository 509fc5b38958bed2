"""Coverage API: recommendations (ranking against a brute force, routes), the report's numbers,
the OGC coverage collections, pinned error messages, and the siting job's lifecycle."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.sparse.csgraph import dijkstra
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.errors import Invalid
from pingan.geo.crs import haversine_m
from pingan.rapid_response import data, service
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import ISLAND, CoverageCity, build


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def _brute_eta(cc: CoverageCity, lon: float, lat: float, forces: data.Forces) -> dict[str, float]:
    """ETA of every available unit by a plain all-pairs Dijkstra (car/foot by kind)."""
    net = cc.network
    tgt = net.snap([lon], [lat])
    out = {}
    for i in range(len(forces)):
        if forces.status[i] != "available" or forces.kind[i] == "drone_base":
            continue
        mode = data.KIND_MODE[str(forces.kind[i])]
        if mode == "drone":
            d = float(haversine_m(forces.lon[i], forces.lat[i], lon, lat))
            out[forces.code[i]] = d / (60 / 3.6) + service.DRONE_TAKEOFF_S
            continue
        s = net.snap([forces.lon[i]], [forces.lat[i]])
        d = dijkstra(net.graph(mode, None), indices=int(s.node[0]))[int(tgt.node[0])]
        out[forces.code[i]] = float(d + s.walk_s[0] + tgt.walk_s[0])
    return out


def test_recommendations_rank_like_brute_force_with_routes(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    inc = cov.incident_ids[0]
    r = client.post(
        f"/api/v1/incidents/{inc}/recommendations",
        json={"k": 5, "at": None},
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    units = out["units"]
    assert [u["rank"] for u in units] == list(range(1, len(units) + 1))
    assert len(units) == 5
    from pingan.incidents.models import Incident

    row = session.get(Incident, inc)
    assert row is not None
    p = principal_for(session, city.users["admin"])
    brute = _brute_eta(cov, row.lon, row.lat, data.load_forces(session, principal=p))
    # r.json has at=None → the incident's local time; the grid is residential: compare free
    # flow against a free-flow request
    r = client.post(
        f"/api/v1/incidents/{inc}/recommendations",
        json={"k": 5, "at": "12:00"},
        headers=auth(city.tokens["dispatcher"]),
    )
    units = r.json()["units"]
    assert [u["code"] for u in units] == sorted(brute, key=lambda c: brute[c])
    for u in units:
        assert u["eta_s"] == pytest.approx(brute[u["code"]], abs=0.1)
        line = u["route"]
        assert line["type"] == "LineString" and len(line["coordinates"]) >= 2
        assert line["coordinates"][-1] == [round(row.lon, 6), round(row.lat, 6)]
        assert u["distance_m"] > 0
    drone = next(u for u in units if u["kind"] == "drone")
    assert drone["mode"] == "drone" and len(drone["route"]["coordinates"]) == 2
    car = next(u for u in units if u["kind"] == "patrol_car")
    assert car["mode"] == "car" and len(car["route"]["coordinates"]) > 3


def test_recommendation_errors_are_pinned(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["dispatcher"])
    r = client.post("/api/v1/incidents/999999/recommendations", json={}, headers=h)
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/incidents/{cov.incident_ids[0]}/recommendations", json={"k": 0}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "k"
    r = client.post(
        f"/api/v1/incidents/{cov.incident_ids[0]}/recommendations",
        json={"at": "25:99"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "at"
    r = client.post(
        f"/api/v1/incidents/{cov.incident_ids[0]}/recommendations",
        json={"k": 3},
        headers=auth(city.tokens["officer0"]),
    )
    assert r.status_code == 403
    net = cov.network
    p = principal_for(session, city.users["admin"])
    forces = data.load_forces(session, principal=p)
    with pytest.raises(
        Invalid,
        match=r"^location: \(102\.720000, 25\.100000\) is 6\d{3} m from the nearest road, "
        r"more than max_snap_m=500; correct the location or raise max_snap_m$",
    ):
        service.recommend(net, forces, (LON0 + 0.02, 25.10))
    with pytest.raises(
        Invalid,
        match=r"^units: no available unit with a position in your jurisdiction "
        r"\(0 units, 0 available\)$",
    ):
        service.recommend(net, forces.subset(np.zeros(len(forces), dtype=bool)), (LON0, LAT0))
    ground = forces.subset(forces.kind != "drone")
    with pytest.raises(
        Invalid,
        match=r"^location: no available unit can reach the incident: its road belongs to a "
        r"component of 3 nodes",
    ):
        service.recommend(net, ground, ISLAND)


def test_report_numbers_match_a_brute_force(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    h = auth(city.tokens["analyst"])
    r = client.get("/api/v1/coverage/report", params={"standard": "60,180,300"}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["sources"]["count"] == 2 and out["standards_s"] == [60, 180, 300]
    layers = {row["layer"]: row for row in out["layers"]}
    assert set(layers) >= {
        "key_areas",
        "premises",
        "premises:school",
        "premises:hospital",
        "grid_cells",
        "incidents",
    }
    net = cov.network
    p = principal_for(session, city.users["admin"])
    forces = data.load_forces(session, principal=p)
    posts = forces.subset(np.isin(forces.kind, data.POST_KINDS))
    ps = net.snap(posts.lon, posts.lat)
    full = dijkstra(net.graph("car", None), indices=ps.node)
    field = (full + ps.walk_s[:, None]).min(axis=0)
    for layer, pts in (
        ("key_areas", data.load_key_areas(session, principal=p)),
        ("premises", data.load_premises(session, principal=p)),
        ("grid_cells", data.load_cells(session, principal=p)),
        ("incidents", data.load_incidents(session, principal=p)),
    ):
        s = net.snap(pts.lon, pts.lat)
        t = field[s.node] + s.walk_s
        for lv in layers[layer]["levels"]:
            expect = pts.weight[t <= lv["standard_s"]].sum() / pts.weight.sum()
            assert lv["covered_share"] == pytest.approx(expect), (layer, lv["standard_s"])
    ka = layers["key_areas"]
    assert ka["levels"][0]["n_outside"] == 1 and ka["levels"][0]["outside"][0]["code"] == "KA-far"
    assert ka["own_standard"]["covered"] >= 1
    assert layers["grid_cells"]["total_weight"] == len(cov.incident_ids)
    # 18:00 is never faster than 03:00
    r18 = client.get(
        "/api/v1/coverage/report", params={"standard": "240", "at": "18:00"}, headers=h
    )
    r03 = client.get(
        "/api/v1/coverage/report", params={"standard": "240", "at": "03:00"}, headers=h
    )
    s18 = {x["layer"]: x["levels"][0]["covered_share"] for x in r18.json()["layers"]}
    s03 = {x["layer"]: x["levels"][0]["covered_share"] for x in r03.json()["layers"]}
    assert all(s18[k] <= s03[k] for k in s18) and s18["incidents"] < s03["incidents"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"standard": "0,60"}, "standard", "standard: must be > 0 seconds, got 0"),
        ({"standard": "-5"}, "standard", "standard: must be > 0 seconds, got -5"),
        ({"standard": "abc"}, "standard", "standard: 'abc' is not a number of seconds"),
        ({"at": "7pm"}, "at", "at: expected a time of day HH:MM such as 18:00, got '7pm'"),
        (
            {"mode": "plane"},
            "mode",
            "mode: 'plane' is not a travel mode; use one of car, motorcycle, foot",
        ),
        ({"sources": "x"}, "sources", "sources: 'x'; use posts or units"),
    ],
)
def test_report_bad_input_is_422_naming_the_field(
    client: TestClient,
    city: SmallCity,
    cov: CoverageCity,
    params: dict[str, str],
    field: str,
    message: str,
) -> None:
    r = client.get("/api/v1/coverage/report", params=params, headers=auth(city.tokens["analyst"]))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field and r.json()["error"]["message"] == message


def test_missing_network_is_a_clear_conflict(
    client: TestClient, app: Any, city: SmallCity, tmp_path: Path
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path / "none"})
    r = client.get("/api/v1/coverage/report", headers=auth(city.tokens["analyst"]))
    assert r.status_code == 409
    assert "no road network at" in r.json()["error"]["message"]
    assert "pingan roads import FILE.osm.pbf" in r.json()["error"]["message"]


def test_ogc_coverage_collections(client: TestClient, city: SmallCity, cov: CoverageCity) -> None:
    h = auth(city.tokens["analyst"])
    r = client.get("/api/v1/ogc/collections", headers=h)
    ids = [c["id"] for c in r.json()["collections"]]
    assert "coverage-isochrones" in ids and "coverage-cells" in ids and "incidents" in ids
    base = "/api/v1/ogc/collections/coverage-isochrones"
    assert client.get(base, headers=h).json()["id"] == "coverage-isochrones"
    r = client.get(f"{base}/items", params={"standard": "60,180,300", "mode": "car"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["numberMatched"] == 3
    props = [f["properties"] for f in fc["features"]]
    assert [p["standard_s"] for p in props] == [300, 180, 60]
    assert props[0]["area_km2"] > props[1]["area_km2"] > props[2]["area_km2"] > 0
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in fc["features"])
    r = client.get(f"{base}/items/60", headers=h)
    assert r.status_code == 200 and r.json()["properties"]["minutes"] == 1
    night = client.get(f"{base}/items", params={"standard": "240", "at": "03:00"}, headers=h)
    peak = client.get(f"{base}/items", params={"standard": "240", "at": "18:00"}, headers=h)
    a03 = night.json()["features"][0]["properties"]["area_km2"]
    a18 = peak.json()["features"][0]["properties"]["area_km2"]
    assert a18 < a03
    r = client.get(f"{base}/items", params={"standard": "0"}, headers=h)
    assert (
        r.status_code == 400  # OGC API Features: a bad value is a 400
        and r.json()["error"]["message"] == "standard: must be > 0 seconds, got 0"
    )
    r = client.get(f"{base}/items", params={"datetime": "2026-01-01T00:00:00Z"}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "datetime"
    cells = client.get(
        "/api/v1/ogc/collections/coverage-cells/items", params={"limit": 5}, headers=h
    ).json()
    assert cells["numberMatched"] == len(city.cells) and cells["numberReturned"] == 5
    assert any(link["rel"] == "next" for link in cells["links"])
    p = cells["features"][0]["properties"]
    assert {"best_time_s", "incidents", "outside_standard", "within_s"} <= set(p)
    bbox = f"{LON0},{LAT0},{LON0 + 0.015},{LAT0 + 0.02}"
    inside = client.get(
        "/api/v1/ogc/collections/coverage-cells/items", params={"bbox": bbox}, headers=h
    ).json()
    assert 0 < inside["numberMatched"] < len(city.cells)
    # a page of the cached cells is encoded once and kept: the same answer again, equal to the
    # features oriented and encoded on the request (a bbox around everything takes that path)
    again = client.get(
        "/api/v1/ogc/collections/coverage-cells/items", params={"limit": 5}, headers=h
    ).json()
    assert again["features"] == cells["features"]
    everything = client.get(
        "/api/v1/ogc/collections/coverage-cells/items",
        params={"limit": 5, "bbox": "-180,-90,180,90"},
        headers=h,
    ).json()
    assert everything["features"] == cells["features"]
    ring = cells["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4  # the outline left out collinear vertices only


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    ops = {
        op["operationId"]
        for path in client.get("/api/v1/openapi.json").json()["paths"].values()
        for op in path.values()
    }
    assert {"recommend_units_for_incident", "coverage_report", "coverage_optimise"} <= ops


def test_optimise_bad_input_is_422(client: TestClient, city: SmallCity, cov: CoverageCity) -> None:
    h = auth(city.tokens["analyst"])
    r = client.post("/api/v1/coverage/optimise", json={"posts": 2, "standard_s": 0}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "standard_s"
    r = client.post(
        "/api/v1/coverage/optimise",
        json={"posts": 2, "standard_s": 180, "keep_existing": 3},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "keep_existing: 3 is more than posts 2"


# ------------------------------------------------------------------ the job, end to end
@pytest.fixture()
def live(tmp_path: Path) -> Any:
    """A committed database in a file (the job's thread opens its own sessions)."""
    from pingan.api.app import create_app
    from pingan.config import get_settings
    from pingan.store.engine import make_engine, migrate
    from tests.factories import build_small_city

    eng = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    migrate(eng)
    with Session(eng) as s:
        city = build_small_city(s)
        cc = build(s, city, tmp_path / "data")
        s.commit()
        tokens = dict(city.tokens)
    data.clear_network_cache()
    settings = get_settings().model_copy(update={"data_dir": tmp_path / "data"})
    app = create_app(settings=settings, engine=eng)
    with TestClient(app) as c:
        yield c, tokens, cc
    eng.dispose()


def _wait(c: TestClient, h: dict[str, str], job: str) -> dict[str, Any]:
    for _ in range(600):
        out: dict[str, Any] = c.get(f"/api/v1/jobs/{job}", headers=h).json()
        if out["status"] in ("done", "failed"):
            return out
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_optimise_job_lifecycle(live: Any) -> None:
    c, tokens, _cc = live
    h = auth(tokens["analyst"])
    r = c.post(
        "/api/v1/coverage/optimise",
        json={"posts": 3, "standard_s": 120, "keep_existing": 1, "spacing_m": 500},
        headers=h,
    )
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert r.json()["status_url"] == f"/api/v1/jobs/{job}"
    out = _wait(c, h, job)
    assert out["status"] == "done", out
    plan = out["result"]
    assert len(plan["proposed"]) == 3 and plan["existing_kept"] >= 1
    assert sum(p["kept"] for p in plan["proposed"]) == 1
    ba = {row["layer"]: row for row in plan["before_after"]}
    assert ba["grid_cells"]["after_share"] >= ba["grid_cells"]["before_share"]
    assert plan["model"]["status"] == "optimal" and plan["model"]["gap"] == 0
    gj = plan["geojson"]
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 3
    assert gj["properties"]["before_after"] == plan["before_after"]
    # more posts than candidates: the job fails with the reason
    r = c.post(
        "/api/v1/coverage/optimise",
        json={"posts": 500, "standard_s": 120, "spacing_m": 5000},
        headers=h,
    )
    out = _wait(c, h, r.json()["job_id"])
    assert out["status"] == "failed"
    assert out["error"].startswith("posts: 500 posts asked but there are only ")
    assert out["error"].endswith("lower --posts or add candidates")
