"""Building footprints, the occlusion layer: the GeoJSON import with its reject report, the
figures and the siting that use them (a building between a camera and an incident hides it),
and ``pingan import footprints``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.auth.service import principal_for
from pingan.cameras import figures, footprints
from pingan.cameras.flows import footprints_import_flow
from pingan.cameras.models import BuildingFootprint, Camera
from pingan.geo.crs import LocalProjection
from tests.conftest import auth
from tests.factories import LAT0, LON0, SmallCity
from tests.rapid_response.city import CoverageCity, build


def _fc(*geoms: Any, props: list[dict[str, Any]] | None = None) -> bytes:
    feats = [
        {"type": "Feature", "geometry": g, "properties": (props or [{}] * len(geoms))[k]}
        for k, g in enumerate(geoms)
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def _house(lon: float, lat: float, half_m: float) -> dict[str, Any]:
    proj = LocalProjection(lon, lat)
    lo, la = proj.inverse(np.array([-half_m, half_m]), np.array([-half_m, half_m]))
    return shapely.geometry.mapping(shapely.box(lo[0], la[0], lo[1], la[1]))


def test_parse_rejects_name_the_field() -> None:
    ok = _house(LON0 + 0.01, LAT0 + 0.01, 10)
    two = {
        "type": "MultiPolygon",
        "coordinates": [ok["coordinates"], _house(LON0, LAT0, 8)["coordinates"]],
    }
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    tiny = _house(LON0, LAT0, 0.5)
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    parsed = footprints.parse_geojson(
        _fc(
            ok,
            two,
            bow,
            tiny,
            line,
            ok,
            props=[{"code": "B-1", "height_m": 24}, {}, {}, {}, {}, {"height_m": -3}],
        ),
    )
    assert parsed.rows == 6 and len(parsed.polygons) == 3  # ok + the two parts
    assert parsed.codes[0] == "B-1" and parsed.heights[0] == 24
    reasons = {(r.row, r.field): r.reason for r in parsed.rejects}
    assert reasons[(3, "geometry")].startswith("not a valid polygon: Self-intersection")
    assert reasons[(4, "geometry")].startswith("area 1 m² outside [4, 500000]")
    assert reasons[(5, "geometry")] == "expected a Polygon or MultiPolygon, got LineString"
    assert reasons[(6, "height_m")] == "expected metres in (0, 1000], got -3"
    bad = footprints.parse_geojson(b"{nope")
    assert bad.rejects[0].field == "file" and bad.rejects[0].reason.startswith("not JSON")
    bad = footprints.parse_geojson(b'{"type": "Feature"}')
    assert bad.rejects[0].reason == "expected a GeoJSON FeatureCollection with a features list"


def test_a_building_hides_incidents_from_a_camera(
    client: TestClient, app: Any, session: Session, city: SmallCity, tmp_path: Path
) -> None:
    """A dome camera beside the incidents sees them all; a building loaded between them hides
    those behind it in the figures, and the siting's before figures say the same."""
    figures.clear_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    cov: CoverageCity = build(session, city, tmp_path, n_incidents=60)
    admin = principal_for(session, city.users["admin"])
    snap = figures.snapshot(session, principal=admin, data_dir=cov.data_dir)
    # a dome at the incident with most others within 300 m, seeing 300 m around
    d = np.hypot(*(snap.inc_xy[:, None, :] - snap.inc_xy[None, :, :]).transpose(2, 0, 1))
    x0, y0 = snap.inc_xy[int(np.argmax((d <= 300).sum(axis=1)))]
    clon, clat = snap.proj.inverse(np.array([x0]), np.array([y0]))
    session.add(Camera(code="DOME", lon=float(clon[0]), lat=float(clat[0]), heading_deg=0,
                       fov_deg=360, range_m=300, status="online", jpath="/"))  # fmt: skip
    session.flush()
    h = auth(city.tokens["analyst"])
    before = client.get("/api/v1/cameras/figures", headers=h).json()["total"]
    assert before["incidents_seen"] >= 2
    # eight houses 18-42 m around the camera: nearly every line out is cut
    houses = []
    for a in np.radians(np.arange(0, 360, 45)):
        dx, dy = 30 * np.sin(a), 30 * np.cos(a)
        lo, la = snap.proj.inverse(np.array([x0 + dx]), np.array([y0 + dy]))
        houses.append(_house(float(lo[0]), float(la[0]), 12))
    rep = footprints_import_flow(session, principal=admin, content=_fc(*houses))
    assert (rep.created, rep.rejected) == (8, 0)
    assert session.scalar(select(AuditRecord.action).order_by(AuditRecord.id.desc())) == (
        "footprints.import"
    )
    after = client.get("/api/v1/cameras/figures", headers=h).json()
    # by hand: the occluded kernel on the incidents against that one camera
    from pingan.coverage import camera_coverage_occluded

    snap2 = figures.snapshot(session, principal=admin, data_dir=cov.data_dir)
    assert len(snap2.footprints) == 8
    want = camera_coverage_occluded(snap2.inc_xy, [[x0, y0]], 0, 360, 300, snap2.footprints)
    assert after["total"]["incidents_seen"] == int((want > 0).sum())
    assert after["total"]["incidents_seen"] < before["incidents_seen"]
    assert after["total"]["road_seen_m"] < before["road_seen_m"]
    assert "8 building footprints are loaded" in after["explanation"]["incidents_seen_share"]
    body = {"n_cameras": 2, "headings": 4, "fov_deg": 90, "range_m": 100, "time_limit_s": 5}
    plan = client.post("/api/v1/cameras/siting", json=body, headers=h).json()
    assert plan["before"]["incidents_seen"] == after["total"]["incidents_seen"]
    assert "Line of sight through 8 building footprints" in plan["explanation"]
    # replace with none: back to the open view
    rep = footprints_import_flow(session, principal=admin, content=_fc(), replace=True)
    assert session.scalar(select(BuildingFootprint.id)) is None
    again = client.get("/api/v1/cameras/figures", headers=h).json()["total"]
    assert again["incidents_seen"] == before["incidents_seen"]


def test_cli_import_footprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import make_engine, migrate, reset_engine
    from tests.factories import build_small_city

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    migrate(eng)
    with Session(eng) as s:
        build_small_city(s)
        s.commit()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    reset_engine()
    try:
        f = tmp_path / "b.geojson"
        line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        f.write_bytes(_fc(_house(LON0 + 0.01, LAT0 + 0.01, 10), line))
        r = CliRunner().invoke(app, ["import", "footprints", str(f)])
        assert r.exit_code == 0, r.output
        assert "2 features: 1 footprints loaded, 1 rejected" in r.output
        assert "feature 2 : geometry: expected a Polygon or MultiPolygon" in r.output
        r = CliRunner().invoke(app, ["import", "footprints", str(tmp_path / "none.geojson")])
        assert r.exit_code == 2 and r.output.strip().splitlines()[-1].startswith("error: FILE: ")
        r = CliRunner().invoke(app, ["import", "footprints", str(f), "--crs", "UTM"])
        assert r.exit_code == 2 and "--crs: 'UTM'; use WGS84, GCJ02 or BD09" in r.output
        with Session(eng) as s:
            assert s.scalar(select(BuildingFootprint.code).limit(1)) is None
            assert len(s.scalars(select(BuildingFootprint)).all()) == 1
    finally:
        get_settings.cache_clear()
        reset_engine()
        eng.dispose()


def test_a_stale_snapshot_is_answered_while_a_fresh_one_loads(
    app: Any, session: Session, city: SmallCity, tmp_path: Path, monkeypatch: Any
) -> None:
    """Past its 60 s the snapshot is answered at once and a fresh one (figures computed) is
    loaded in a thread; the next call gets the fresh one. A camera change still reloads at
    once (its stamp is part of the key)."""
    import threading

    figures.clear_cache()
    cov: CoverageCity = build(session, city, tmp_path, n_incidents=20)
    admin = principal_for(session, city.users["admin"])
    monkeypatch.setattr(figures, "_TTL_S", 0.0)

    def settle() -> None:
        for t in threading.enumerate():
            if t.name == "camera-snapshot":
                t.join(timeout=60)

    first = figures.snapshot(session, principal=admin, data_dir=cov.data_dir)
    stale = figures.snapshot(session, principal=admin, data_dir=cov.data_dir)
    assert stale is first
    settle()
    fresh = figures.snapshot(session, principal=admin, data_dir=cov.data_dir)
    assert fresh is not first and ("figures", "zh-CN") in fresh.memo
    settle()
    figures.clear_cache()
