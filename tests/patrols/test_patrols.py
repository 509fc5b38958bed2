"""Patrol plans over the SmallCity: generation, budgets, assignment, planned vs actual, API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.patrols import service, tracking
from pingan.patrols.flows import patrol_plan_generate_flow
from pingan.patrols.models import PatrolPlan
from pingan.resources.models import ResourcePosition
from tests.conftest import auth
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build


@pytest.fixture()
def cov(session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    return build(session, city, tmp_path, n_incidents=90)


@pytest.fixture()
def patrol_app(app: Any, tmp_path: Path) -> Any:
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return app


def _busiest_block(session: Session) -> tuple[dt.date, int]:
    """A block of tomorrow for which the past 91 days hold incidents (the test city's): they
    fall 0-20 h before the hour the test runs, so the block around 10 h before now (local time)
    holds most of them whatever the hour (a fixed block came out empty at midday)."""
    local = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8 - 10)
    return dt.date.today() + dt.timedelta(days=1), local.hour // 6


def _plan(session: Session, city: SmallCity, cov: CoverageCity) -> PatrolPlan:
    admin = principal_for(session, city.users["admin"])
    day, block = _busiest_block(session)
    return patrol_plan_generate_flow(
        session,
        principal=admin,
        station="T1-S0",
        day=day,
        block=block,
        data_dir=cov.data_dir,
        time_limit_s=0.3,
    )


def test_block_window_is_local_hours() -> None:
    start, end = service.block_window(dt.date(2026, 5, 1), 3)
    assert start == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)  # 18:00 Asia/Shanghai
    assert end - start == dt.timedelta(hours=6)
    with pytest.raises(Exception, match=r"block: 4: use 0 \(00-06\)"):
        service.block_window(dt.date(2026, 5, 1), 4)


def test_generate_makes_points_lines_areas_within_budget(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    plan = _plan(session, city, cov)
    items = service.items_of(session, plan_id=plan.id)
    kinds = {(i.kind, i.mode) for i in items}
    assert ("point", "foot") in kinds  # the fixed post of T1-S0
    assert ("line", "foot") in kinds and ("line", "car") in kinds
    assert any(i.kind == "area" for i in items)
    cells = json.loads(plan.hot_cells)
    assert cells and all(c["prize"] > 0 for c in cells)
    for it in items:
        if it.kind != "line":
            continue
        stops = json.loads(it.stops)
        budget = service.BUDGET_S.get(it.mode, 1e9)
        assert it.duration_s <= budget + 1e-6
        arrive = [s["arrive_s"] for s in stops]
        assert arrive == sorted(arrive)
        assert all(s["dwell_s"] == service.DWELL_S[it.mode] for s in stops)
        assert json.loads(it.geometry)["type"] == "LineString"
    # a cell is on at most one ground route
    ground = [s["cell"] for i in items if i.kind == "line" and i.mode != "drone"
              for s in json.loads(i.stops)]  # fmt: skip
    assert len(ground) == len(set(ground))
    assert plan.prize > 0 and plan.bound >= plan.prize - 1e-6


def test_regenerate_replaces_a_draft_and_refuses_a_published_plan(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    plan = _plan(session, city, cov)
    again = _plan(session, city, cov)
    assert again.id == plan.id
    admin = principal_for(session, city.users["admin"])
    service.publish(session, principal=admin, plan=plan, published=True)
    with pytest.raises(Exception, match="is published; unpublish it"):
        _plan(session, city, cov)


def test_planned_vs_actual_from_tracks(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    plan = _plan(session, city, cov)
    admin = principal_for(session, city.users["admin"])
    line = next(
        i
        for i in service.items_of(session, plan_id=plan.id)
        if i.kind == "line" and i.mode == "foot"
    )
    stops = json.loads(line.stops)
    assert stops
    # the unit is at every other stop on time, and nowhere near the others
    for k, s in enumerate(stops):
        if k % 2:
            continue
        at = plan.starts_at + dt.timedelta(seconds=s["arrive_s"] + 60)
        for m in range(0, int(s["dwell_s"]), 60):
            session.add(
                ResourcePosition(
                    resource_id=line.resource_id,
                    at=at + dt.timedelta(seconds=m),
                    lon=s["lon"],
                    lat=s["lat"],
                )
            )
    session.flush()
    rows = service.planned_vs_actual(session, principal=admin, plan=plan)
    mine = next(r for r in rows if r.item_id == line.id)
    assert mine.visited == [k % 2 == 0 for k in range(len(stops))]
    # positions a minute apart through the dwell; the last holds until the next (5 min at most)
    want_hot = sum(s["dwell_s"] - 60 + 300 for k, s in enumerate(stops) if k % 2 == 0)
    assert mine.hot_cell_s == pytest.approx(want_hot)
    tr = service.tracks(session, principal=admin, plan=plan)
    assert tr["features"] and tr["features"][0]["properties"]["resource_id"] == line.resource_id


def test_tracking_kernels_against_brute_force() -> None:
    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 3600, 400))
    xy = rng.uniform(0, 2000, (400, 2))
    stops = rng.uniform(0, 2000, (30, 2))
    win = np.sort(rng.uniform(0, 3600, (30, 2)), axis=1)
    got = tracking.visited(stops, win, t, xy, radius_m=150)
    want = [
        any(
            win[k, 0] <= t[i] <= win[k, 1] and np.hypot(*(xy[i] - stops[k])) <= 150
            for i in range(t.size)
        )
        for k in range(30)
    ]
    assert got.tolist() == want
    cells = np.array([[0.0, 0.0], [250.0, 500.0]])
    held = np.minimum(np.append(np.diff(t), 0.0), 300)
    inside = [
        any(c[0] <= p[0] < c[0] + 250 and c[1] <= p[1] < c[1] + 250 for c in cells) for p in xy
    ]
    want_s = float(held[np.array(inside)].sum())
    assert tracking.time_in_cells_s(t, xy, cells, cell_m=250) == pytest.approx(want_s)


def test_api_generate_read_assign_publish_card(
    client: TestClient, patrol_app: Any, city: SmallCity, cov: CoverageCity, session: Session
) -> None:
    chief = auth(city.tokens["chief0"]) if "chief0" in city.tokens else auth(city.tokens["admin"])
    day, block = _busiest_block(session)
    st = next(s for s in city.stations if s.code == "T1-S0")
    r = client.post(
        "/api/v1/patrols/plans/generate",
        json={"station_id": st.id, "day": day.isoformat(), "block": block, "time_limit_s": 0.3},
        headers=chief,
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["items"] and plan["hot_cells"] and plan["how"]
    listed = client.get(f"/api/v1/patrols/plans?station_id={st.id}", headers=chief).json()
    assert [p["id"] for p in listed] == [plan["id"]]
    line = next(i for i in plan["items"] if i["kind"] == "line")
    officer = city.users["officer0"]
    r = client.patch(
        f"/api/v1/patrols/items/{line['id']}", json={"officer_id": officer.id}, headers=chief
    )
    assert r.status_code == 200 and r.json()["officer_id"] == officer.id
    r = client.patch(f"/api/v1/patrols/items/{line['id']}", json={}, headers=chief)
    assert r.status_code == 422 and "nothing to change" in r.json()["error"]["message"]
    a = client.get(f"/api/v1/patrols/plans/{plan['id']}/actual", headers=chief).json()
    assert a["stops_visited"] == 0 and a["stops_planned"] > 0
    r = client.post(
        f"/api/v1/patrols/plans/{plan['id']}/publish", json={"published": True}, headers=chief
    )
    assert r.json()["status"] == "published"
    r = client.delete(f"/api/v1/patrols/plans/{plan['id']}", headers=chief)
    assert r.status_code == 409
    # an analyst reads but may not plan
    an = auth(city.tokens["analyst"])
    assert client.get(f"/api/v1/patrols/plans/{plan['id']}", headers=an).status_code == 200
    r = client.post(
        "/api/v1/patrols/plans/generate",
        json={"station_id": st.id, "day": day.isoformat(), "block": block},
        headers=an,
    )
    assert r.status_code == 403 and "patrol.plan" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"station_id": 1, "day": "2026-01-01", "block": 4}, "block"),
        ({"station_id": 1, "day": "not a day", "block": 1}, "day"),
        ({"station_id": 1, "day": "2026-01-01", "block": 1, "time_limit_s": 0}, "time_limit_s"),
        ({"station_id": 1, "day": "2026-01-01", "block": 1, "extra": 1}, "extra"),
    ],
)
def test_generate_bad_input_names_the_field(
    client: TestClient, city: SmallCity, body: dict[str, Any], field: str
) -> None:
    r = client.post("/api/v1/patrols/plans/generate", json=body, headers=auth(city.tokens["admin"]))
    assert r.status_code == 422
    assert field in json.dumps(r.json()["error"])


def test_out_of_scope_plan_is_404(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    plan = _plan(session, city, cov)
    other = [u for u in city.tokens if u.startswith("chief")]
    r = client.get(f"/api/v1/patrols/plans/{plan.id + 999}", headers=auth(city.tokens["admin"]))
    assert r.status_code == 404 and "does not exist" in r.json()["error"]["message"]
    assert other is not None


def test_card_pdf(client: TestClient, session: Session, city: SmallCity, cov: CoverageCity) -> None:
    plan = _plan(session, city, cov)
    line = next(i for i in service.items_of(session, plan_id=plan.id) if i.kind == "line")
    from pingan.patrols.card import card_html

    page = card_html(session, line, plan)
    assert "巡逻卡" in page and "到达" in page
    r = client.get(f"/api/v1/patrols/items/{line.id}/card.pdf", headers=auth(city.tokens["admin"]))
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"


def test_day_memo_gives_the_same_hot_cells_for_every_block(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    """The nightly job reads a station's incidents once for the day's four blocks and cuts them
    per block: the hot cells must be those of a plan made alone."""
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.patrols import planner

    admin = principal_for(session, city.users["admin"])
    st = session.query(Jurisdiction).filter_by(code="T1-S0").one()
    day, _ = _busiest_block(session)
    memo = planner.PlanMemo()
    seen = 0
    for block in range(4):
        alone = planner.hot_cells(session, principal=admin, station=st, day=day, block=block)
        shared = planner.hot_cells(
            session, principal=admin, station=st, day=day, block=block, memo=memo
        )
        assert shared.n_incidents == alone.n_incidents
        np.testing.assert_allclose(shared.prize, alone.prize)
        np.testing.assert_array_equal(shared.x0, alone.x0)
        seen += alone.n_incidents
    assert seen > 0 and len(memo.frames) == 1
