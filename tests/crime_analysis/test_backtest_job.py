"""``POST /api/v1/analysis/backtest``: the walk-forward backtest as a background job."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import auth


@pytest.fixture()
def live(tmp_path: Path) -> Any:
    """A committed database in a file with a persistent cluster (the job's thread opens its
    own sessions)."""
    from pingan.api.app import create_app
    from pingan.incidents.models import Incident
    from pingan.store.engine import make_engine, migrate
    from tests.factories import build_small_city

    eng = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    migrate(eng)
    rng = np.random.default_rng(3)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with Session(eng) as s:
        city = build_small_city(s)
        cell = city.cells[0]
        lon0, lat0 = city.cell_center(0)
        lon1, lat1 = city.cell_center(2)
        for i in range(400):
            hot = i % 2 == 0
            lon, lat = (lon0, lat0) if hot else (lon1, lat1)
            at = end - dt.timedelta(days=float(rng.uniform(1, 120)))
            s.add(
                Incident(
                    code=f"JQ-BT-{i:04d}",
                    subtype="pickpocketing",
                    klass="criminal",
                    priority=3,
                    source="call_110",
                    state="closed",
                    lon=lon + float(rng.normal(0, 0.0004 if hot else 0.004)),
                    lat=lat + float(rng.normal(0, 0.0004 if hot else 0.004)),
                    input_crs="WGS84",
                    input_lon=lon,
                    input_lat=lat,
                    jurisdiction_id=cell.id,
                    jpath=cell.path,
                    reported_at=at,
                )
            )
        s.commit()
        tokens = dict(city.tokens)
    app = create_app(engine=eng)
    with TestClient(app) as c:
        yield c, tokens, end
    eng.dispose()


def _wait(c: TestClient, h: dict[str, str], job: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(1200):
        out = c.get(f"/api/v1/jobs/{job}", headers=h).json()
        if out["status"] in ("done", "failed"):
            return out
        time.sleep(0.05)
    raise AssertionError(f"job did not finish: {out}")


def test_backtest_job_reports_pai_per_method(live: Any) -> None:
    c, tokens, end = live
    h = auth(tokens["analyst"])
    start = (end - dt.timedelta(days=28)).date()
    r = c.post(
        "/api/v1/analysis/backtest",
        json={
            "start": start.isoformat(),
            "end": (end - dt.timedelta(days=2)).date().isoformat(),
            "methods": ["naive", "kde"],
            "step_days": 7,
            "cell_m": 200,
        },
        headers=h,
    )
    assert r.status_code == 202, r.text
    out = _wait(c, h, r.json()["job_id"])
    assert out["status"] == "done", out
    res = out["result"]
    assert set(res["methods"]) == {"naive", "kde"}
    assert "walk-forward" in res["how"] and "PAI" in res["how_zh"]
    for m in ("naive", "kde"):
        assert res["methods"][m]["summary"]


def test_backtest_bad_input_is_422(live: Any) -> None:
    c, tokens, end = live
    h = auth(tokens["analyst"])
    day = end.date().isoformat()
    r = c.post("/api/v1/analysis/backtest", json={"start": day, "end": day}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "end"
    assert "must be after start" in r.json()["error"]["message"]
    r = c.post(
        "/api/v1/analysis/backtest",
        json={"start": day, "end": day, "methods": ["magic"]},
        headers=h,
    )
    assert r.status_code == 422
    officer = c.post(
        "/api/v1/analysis/backtest",
        json={"start": "2026-01-01", "end": "2026-02-01"},
        headers=auth(tokens["officer0"]),
    )
    assert officer.status_code == 403


def test_other_job_endpoints_do_not_wait_on_their_own_write_lock(live: Any) -> None:
    """A POST holds SQLite's write lock from its first statement; the job row is written in
    that same unit of work, so submitting never waits on the request's own lock."""
    c, tokens, _end = live
    h = auth(tokens["analyst"])
    r = c.post("/api/v1/analysis/warnings/run", json={"replications": 99}, headers=h)
    assert r.status_code == 202, r.text
    assert _wait(c, h, r.json()["job_id"])["status"] in ("done", "failed")
    r = c.post(
        "/api/v1/analysis/scan",
        json={"study_days": 30, "max_window_days": 3, "replications": 99},
        headers=h,
    )
    assert r.status_code == 202, r.text
    assert _wait(c, h, r.json()["job_id"])["status"] == "done"
