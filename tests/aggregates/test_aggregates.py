"""The precomputed incident counts answer exactly as the incidents do (trends, CompStat, the
hour × weekday map, Gi*; KDE within 5%), stay in step as incidents are written, cancelled and
imported, and are rebuilt by the flow, the job and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.aggregates import service as agg
from pingan.aggregates.flows import aggregates_rebuild_flow
from pingan.aggregates.models import IncidentCellDay, IncidentDayCount, IncidentGridCount
from pingan.audit.models import AuditRecord
from pingan.audit.service import Actor
from pingan.auth.service import Principal, principal_for
from pingan.crime_analysis import data, precomputed, service
from pingan.crime_analysis.flows import as_of_of
from pingan.crime_analysis.schemas import Selection
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from tests.conftest import auth
from tests.factories import SmallCity

END = dt.datetime(2026, 11, 1, 16, tzinfo=dt.UTC)  # local midnight (Asia/Shanghai)
SUBTYPES = ["pickpocketing", "burglary", "fight", "traffic_accident", "robbery"]


def _fill(session: Session, city: SmallCity, *, n_days: int, seed: int = 3) -> list[int]:
    """Incidents over ``n_days`` before END in every cell, some drill, some repeat calls."""
    rng = np.random.default_rng(seed)
    p = principal_for(session, city.users["dispatcher"])
    ids = []
    for d in range(n_days):
        day = END - dt.timedelta(days=n_days - d)
        for _ in range(int(rng.poisson(3))):
            lon, lat = city.cell_center(int(rng.integers(len(city.cells))))
            inc, _ = incidents.create(
                session,
                principal=p,
                data=IncidentCreate(
                    subtype=SUBTYPES[int(rng.integers(len(SUBTYPES)))],
                    lon=lon + rng.normal(0, 0.0005),
                    lat=lat + rng.normal(0, 0.0005),
                    reported_at=day + dt.timedelta(hours=float(rng.uniform(0, 24))),
                    source="drill" if rng.random() < 0.1 else "call_110",
                ),
            )
            ids.append(inc.id)
    session.flush()
    return ids


def _frame_trends(session: Session, p: Principal, sel: Selection, **kw: Any) -> dict[str, Any]:
    frame = data.load(session, p, sel, default_days=731)
    return service.trends(session, frame, as_of=as_of_of(frame), **kw)


def _frame_hotspots(session: Session, p: Principal, sel: Selection) -> dict[str, Any]:
    return service.hotspots(session, data.load(session, p, sel, default_days=28))


def _rebuild(session: Session) -> int:
    return aggregates_rebuild_flow(session, actor=Actor.system("test")).incidents


def _kde(out: dict[str, Any]) -> dict[str, float]:
    return {
        json.dumps(f["geometry"]["coordinates"]): f["properties"]["density_per_km2"]
        for f in out["kde"]["features"]
    }


SELECTIONS = [
    {},
    {"klass": "criminal"},
    {"group": "two_robberies_one_theft"},
    {"subtype": "burglary"},
    {"include_drill": True},
    {"area": "T1-S0"},
]


@pytest.mark.slow
def test_counts_answer_as_the_incidents(session: Session, city: SmallCity) -> None:
    _fill(session, city, n_days=420)
    # a cancelled incident leaves the counts; a repeat call is never in them
    p = principal_for(session, city.users["dispatcher"])
    first = session.scalar(select(func.min(incidents.Incident.id)))
    incidents.transition(session, principal=p, incident_id=int(first), to_state="cancelled")
    assert _rebuild(session) > 1000
    admin = principal_for(session, city.users["admin"])
    chief = principal_for(session, city.users["chief0"])
    officer = principal_for(session, city.users["officer0"])
    windows = [
        (END - dt.timedelta(days=400), END),  # whole local days
        (END - dt.timedelta(days=400, hours=5), END - dt.timedelta(hours=7)),  # partial edges
        (END - dt.timedelta(hours=20), END - dt.timedelta(hours=2)),  # no whole day at all
    ]
    for who in (admin, chief, officer):
        for since, until in windows:
            for extra in SELECTIONS:
                if "area" in extra and who is officer:
                    continue
                sel = Selection(since=since, until=until, **extra)
                for by in ("class", "subtype", "group", "station", "district", "cell"):
                    try:
                        want = _frame_trends(session, who, sel, period="month", by=by)
                    except Exception as exc:
                        with pytest.raises(type(exc)):
                            precomputed.trends(session, who, sel, period="month", by=by)
                        continue
                    got = precomputed.trends(session, who, sel, period="month", by=by)
                    assert got == want, (who.username, since, until, extra, by)
    sel = Selection(since=END - dt.timedelta(days=90), until=END)
    for who in (admin, chief, officer):
        for cell_m in (250.0, 100.0):
            got = precomputed.hotspots(session, who, sel, cell_m=cell_m)
            want = service.hotspots(
                session, data.load(session, who, sel, default_days=28), cell_m=cell_m
            )
            assert got["gi_star"] == want["gi_star"]
            assert got["n_incidents"] == want["n_incidents"]
            a, b = _kde(got), _kde(want)
            common = set(a) & set(b)
            assert len(common) >= 0.97 * max(len(a), len(b))
            for k in common:
                assert a[k] == pytest.approx(b[k], rel=0.05, abs=1e-3)


def test_writes_keep_the_counts_in_step(session: Session, city: SmallCity) -> None:
    _fill(session, city, n_days=30)
    _rebuild(session)
    ids = _fill(session, city, n_days=20, seed=9)  # through the write path, counted as written
    p = principal_for(session, city.users["dispatcher"])
    for i in ids[:5]:
        incidents.transition(session, principal=p, incident_id=i, to_state="cancelled")
    session.flush()

    def snapshot() -> tuple[list[Any], list[Any], list[Any]]:
        day = session.execute(select(IncidentDayCount).where(IncidentDayCount.n != 0)).scalars()
        grid = session.execute(select(IncidentGridCount).where(IncidentGridCount.n != 0)).scalars()
        cell = session.execute(select(IncidentCellDay).where(IncidentCellDay.n != 0)).scalars()
        keep = lambda o: {c.key: getattr(o, c.key) for c in o.__table__.columns}  # noqa: E731
        return (
            sorted(map(json.dumps, map(keep, day))),
            sorted(map(json.dumps, map(keep, grid))),
            sorted(map(json.dumps, map(keep, cell))),
        )

    kept = snapshot()
    _rebuild(session)
    assert snapshot() == kept
    assert session.scalar(select(func.count()).select_from(IncidentDayCount)) > 0
    assert kept[2]  # the cell × day counts too (migration 0030_cell_days)


def test_not_built_reads_the_incidents(session: Session, city: SmallCity) -> None:
    _fill(session, city, n_days=40)
    assert not agg.is_built(session)
    admin = principal_for(session, city.users["admin"])
    sel = Selection(since=END - dt.timedelta(days=40), until=END)
    got = precomputed.trends(session, admin, sel, period="week", by="class")
    assert got == _frame_trends(session, admin, sel, period="week", by="class")
    assert session.scalar(select(func.count()).select_from(IncidentDayCount)) == 0


def test_rebuild_is_audited_and_the_api_reads_the_counts(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    _fill(session, city, n_days=60)
    n = _rebuild(session)
    rec = session.scalars(select(AuditRecord).where(AuditRecord.entity == "incident_counts")).one()
    assert rec.action == "rebuild" and json.loads(rec.detail)["incidents"] == n
    h = auth(city.tokens["analyst"])
    params = {"since": (END - dt.timedelta(days=60)).isoformat(), "until": END.isoformat()}
    r = client.get("/api/v1/analysis/trends", params=params | {"by": "station"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["n_incidents"] > 0
    r2 = client.get("/api/v1/analysis/trends", params=params | {"by": "station"}, headers=h)
    assert r2.json() == r.json()  # kept
    r = client.get("/api/v1/analysis/trends", params=params | {"by": "nope"}, headers=h)
    assert r.status_code == 422 and "'nope': use class" in r.text
    r = client.get("/api/v1/analysis/hotspots", params=params, headers=h)
    assert r.status_code == 200 and r.json()["gi_star"]["type"] == "FeatureCollection"


def test_the_job_is_listed() -> None:
    from pingan.scheduler.jobs import get_job

    job = get_job("aggregates")
    assert job is not None and job.label("zh-CN") == "警情统计重建"


def test_level_paths() -> None:
    assert agg.level_paths("/1/4/17/90/300/") == ["/1/", "/1/4/", "/1/4/17/"]
    assert agg.level_paths("/1/4/") == ["/1/", "/1/4/", "/1/4/"]
