"""Camera siting as a background job: progress, the plan as the synchronous answer gives it,
the plan files from the finished job, and the refusals (unfinished job, another kind, role)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.cameras import figures
from tests.cameras.test_cameras_api import _add_cameras
from tests.conftest import auth
from tests.rapid_response.city import build


@pytest.fixture()
def live(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A committed database in a file (the job's thread opens its own sessions)."""
    from pingan.api.app import create_app
    from pingan.config import get_settings
    from pingan.store.engine import make_engine, migrate
    from tests.factories import build_small_city

    eng = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    migrate(eng)
    with Session(eng) as s:
        city = build_small_city(s)
        build(s, city, tmp_path / "data", n_incidents=60)
        _add_cameras(s)
        s.commit()
        tokens = dict(city.tokens)
    figures.clear_cache()
    settings = get_settings().model_copy(update={"data_dir": tmp_path / "data"})
    app = create_app(settings=settings, engine=eng)
    with TestClient(app) as c:
        yield c, tokens
    eng.dispose()


def _wait(c: TestClient, h: dict[str, str], job: str) -> dict[str, Any]:
    for _ in range(1200):
        out: dict[str, Any] = c.get(f"/api/v1/jobs/{job}", headers=h).json()
        if out["status"] in ("done", "failed"):
            return out
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_siting_job_lifecycle_and_plan_files(live: Any) -> None:
    c, tokens = live
    h = auth(tokens["analyst"])
    body = {"n_cameras": 4, "headings": 8, "fov_deg": 90, "range_m": 120, "time_limit_s": 5}
    r = c.post("/api/v1/cameras/siting/jobs", json=body, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()["job_id"]
    assert r.json()["status_url"] == f"/api/v1/jobs/{job}"
    out = _wait(c, h, job)
    assert out["status"] == "done", out
    assert out["kind"] == "camera_siting" and out["progress"] == 1.0
    assert out["message"] == "4 cameras placed"
    plan = out["result"]
    sync = c.post("/api/v1/cameras/siting", json=body, headers=h).json()
    assert [(p["lon"], p["lat"], p["heading_deg"]) for p in plan["cameras"]] == [
        (p["lon"], p["lat"], p["heading_deg"]) for p in sync["cameras"]
    ]
    assert plan["after"]["incidents_seen"] > plan["before"]["incidents_seen"]
    r = c.get(f"/api/v1/cameras/siting/jobs/{job}/plan?format=geojson", headers=h)
    assert r.headers["content-type"].startswith("application/geo+json")
    assert len(r.json()["features"]) == 8  # a point and a sector per camera
    r = c.get(f"/api/v1/cameras/siting/jobs/{job}/plan?format=xlsx", headers=h)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(f"/api/v1/cameras/siting/jobs/{job}/plan?format=pdf", headers=h)
    assert r.status_code == 422
    # a job of another kind is not a siting; an unknown job is a 404; roles hold
    r = c.post("/api/v1/coverage/optimise", json={"posts": 1, "standard_s": 120}, headers=h).json()
    r = c.get(f"/api/v1/cameras/siting/jobs/{r['job_id']}/plan", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "job_id"
    assert "is a coverage_optimise job, not a camera siting" in r.json()["error"]["message"]
    r = c.get("/api/v1/cameras/siting/jobs/nope/plan", headers=h)
    assert r.status_code == 404
    d = auth(tokens["dispatcher"])
    assert c.post("/api/v1/cameras/siting/jobs", json=body, headers=d).status_code == 403
    r = c.post("/api/v1/cameras/siting/jobs", json=body | {"headings": 0}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "headings"


def test_siting_job_without_roads_fails_with_the_reason(live: Any, tmp_path: Path) -> None:
    c, tokens = live
    h = auth(tokens["analyst"])
    c.app.state.settings = c.app.state.settings.model_copy(update={"data_dir": tmp_path / "x"})  # type: ignore[attr-defined]
    figures.clear_cache()
    r = c.post("/api/v1/cameras/siting/jobs", json={"n_cameras": 2}, headers=h)
    out = _wait(c, h, r.json()["job_id"])
    assert out["status"] == "failed" and out["error"].startswith("no road network")
