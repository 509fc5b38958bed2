"""The province analyses as a service of the database (issue 25): the export merges into a
province already in the folder (same frame) and refuses another frame; the scheduler's job
``province`` exports and analyses; ``POST /api/v1/scheduler/province/run`` runs it for the
roles of ``province.run`` (403 for the others, 409 while a run is under way) and its runs are
read at ``GET /api/v1/scheduler/province/runs/{id}`` (404 for runs of other jobs)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from pingan.audit.service import Actor
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.province import layout
from pingan.province_jobs import export_incidents, province_job, run_analyses
from pingan.scheduler import service
from pingan.store.base import utcnow
from pingan.store.engine import make_engine, unit_of_work
from tests.conftest import auth
from tests.serverutil import prepare_db
from tests.web.test_province_demo_browser import _incidents

ADMIN = Principal(user_id=0, username="t", role="admin", jpath="/", jurisdiction_id=None)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The small city with 1,840 incidents (a surge at T1-S0 in the last hour)."""
    url, city = prepare_db(tmp_path_factory.mktemp("pj") / "pj.db")
    _incidents(url, NOW)
    yield url, city


def _other_city(folder: Path, lon0: float, lat0: float, code: str = "C09") -> None:
    """A second city of two incidents on the frame (lon0, lat0)."""
    t = int(NOW.timestamp())
    cols = {
        "id": np.array([1, 2]),
        "reported_at": np.array([t - 86_400, t - 3600]),
        "subtype": np.array(["burglary", "burglary"]),
        "klass": np.array(["criminal", "criminal"]),
        "priority": np.array([3, 3], dtype=np.int8),
        "station": np.array(["S1", "S1"]),
        "cell": np.array(["c1", "c1"]),
        "lon": np.array([lon0 + 0.6, lon0 + 0.6]),
        "lat": np.array([lat0, lat0]),
        "x_m": np.array([60_000.0, 60_010.0]),
        "y_m": np.array([0.0, 5.0]),
    }
    layout.write_city(folder, code, cols, utc_offset_s=8 * 3600)
    layout.write_manifest(
        folder,
        layout.Manifest(
            lon0=lon0,
            lat0=lat0,
            utc_offset_s=8 * 3600,
            cities=(
                layout.CityInfo(
                    code, "九城", "Nine", 9, (60_000.0, 0.0), (59e3, -1e3, 61e3, 1e3), ("S1",)
                ),
            ),
            made={"generator": "test", "end": NOW.isoformat()},
        ),
    )


def _export(url: str, folder: Path) -> Any:
    eng = make_engine(url)
    try:
        return export_incidents(
            folder,
            principal=ADMIN,
            actor=Actor.system("test"),
            since=NOW - dt.timedelta(days=730),
            until=NOW,
            engine=eng,
        )
    finally:
        eng.dispose()


def test_export_merges_into_a_province_on_the_same_frame(
    db: tuple[str, Any], tmp_path: Path
) -> None:
    url, _ = db
    alone = _export(url, tmp_path / "alone")
    man = layout.read_manifest(tmp_path / "alone")
    assert alone.rows == 1840 and alone.cities == 1 and [c.code for c in man.cities] == ["T0"]
    assert man.made["source"] == "pingan export parquet"

    folder = tmp_path / "merged"
    _other_city(folder, man.lon0, man.lat0)
    first = _export(url, folder)
    again = _export(url, folder)  # the city's partitions replaced, not added to
    assert first.cities == again.cities == 2 and again.files == first.files
    merged = layout.read_manifest(folder)
    assert [c.code for c in merged.cities] == ["T0", "C09"]
    assert merged.made["generator"] == "test" and merged.made["exported"]["city"] == "T0"
    assert len(layout.read_city(folder, "T0", ("id",))["id"]) == 1840
    assert len(layout.read_city(folder, "C09", ("id",))["id"]) == 2
    res = run_analyses(folder)
    assert res["cities"] == 2 and res["warnings"] >= 1

    other = tmp_path / "other"
    _other_city(other, man.lon0 + 1.0, man.lat0)
    with pytest.raises(Invalid) as exc:
        _export(url, other)
    assert exc.value.field == "out"
    assert [c.code for c in layout.read_manifest(other).cities] == ["C09"]  # left alone


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's own data folder; jobs started by hand run in a thread of this process."""
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PINGAN_SCHEDULER_PROCESS", "0")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_the_job_exports_and_analyses(db: tuple[str, Any], data_dir: Path) -> None:
    url, _ = db
    eng = make_engine(url)
    out = province_job(eng, NOW)
    eng.dispose()
    assert out["city"] == "T0" and out["incidents"] == 1840 and out["cities"] == 1
    assert out["engine"] == "local" and out["warnings"] >= 1
    for name in ("trends", "hotspots", "warnings"):
        assert (data_dir / "province" / "results" / f"{name}.json").is_file()


def test_the_button_runs_the_job_for_the_roles_that_may(
    db: tuple[str, Any], data_dir: Path
) -> None:
    from pingan.api.app import create_app

    url, city = db
    eng = make_engine(url)
    with TestClient(create_app(engine=eng)) as c:
        r = c.post("/api/v1/scheduler/province/run", headers=auth(city.tokens["commander"]))
        assert r.status_code == 403, r.text
        h = auth(city.tokens["analyst"])
        r = c.post("/api/v1/scheduler/province/run", headers=h)
        assert r.status_code == 202, r.text
        run = r.json()
        assert run["job"] == "province" and run["trigger"] == "manual"
        for _ in range(600):
            run = c.get(f"/api/v1/scheduler/province/runs/{run['id']}", headers=h).json()
            if run["status"] != "running":
                break
            time.sleep(0.1)
        assert run["status"] == "ok", run
        assert run["result"]["cities"] == 1 and run["result"]["warnings"] >= 1
        assert (data_dir / "province" / "results" / "warnings.json").is_file()

        with unit_of_work(eng) as s:  # another job's run is not found here
            other = service.start_run(
                s, job="escalate", slot_at=utcnow(), trigger="manual", started_by="t", now=utcnow()
            )
            assert other is not None
            other_id = other.id
            s.commit()
        r = c.get(f"/api/v1/scheduler/province/runs/{other_id}", headers=h)
        assert r.status_code == 404 and r.json()["error"]["field"] == "run_id"

        with unit_of_work(eng) as s:  # a run under way: a second press is refused
            busy = service.start_run(
                s, job="province", slot_at=utcnow(), trigger="manual", started_by="t", now=utcnow()
            )
            assert busy is not None
            s.commit()
        r = c.post("/api/v1/scheduler/province/run", headers=h)
        assert r.status_code == 409 and r.json()["error"]["field"] == "job", r.text
    eng.dispose()
