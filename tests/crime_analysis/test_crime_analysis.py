from __future__ import annotations

import datetime as dt

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.crime_analysis import data, service
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from tests.conftest import auth
from tests.factories import SmallCity

END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _fill(session: Session, city: SmallCity, n_days: int = 120, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    p = principal_for(session, city.users["dispatcher"])
    for d in range(n_days):
        day = END - dt.timedelta(days=n_days - d)
        k = rng.poisson(4) + (12 if d >= n_days - 2 else 0)  # a burst in the last two days
        for _ in range(int(k)):
            cell = 0 if d >= n_days - 2 else int(rng.integers(len(city.cells)))
            lon, lat = city.cell_center(cell)
            sub = ["pickpocketing", "burglary", "fight", "traffic_accident"][int(rng.integers(4))]
            if d >= n_days - 2:
                sub = "burglary"
            incidents.create(
                session,
                principal=p,
                data=IncidentCreate(
                    subtype=sub,
                    lon=lon + rng.normal(0, 0.001),
                    lat=lat + rng.normal(0, 0.001),
                    reported_at=day + dt.timedelta(hours=float(rng.uniform(0, 23))),
                ),
            )
    session.flush()


def test_trends_and_hotspots_endpoints(
    client: TestClient, session: Session, city: SmallCity
) -> None:
    _fill(session, city, n_days=60)
    h = auth(city.tokens["analyst"])
    since, until = (END - dt.timedelta(days=60)).isoformat(), END.isoformat()
    r = client.get(
        "/api/v1/analysis/trends",
        params={"since": since, "until": until, "period": "week", "by": "class"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert sum(map(sum, out["counts"])) == out["n_incidents"] > 0
    assert len(out["hour_by_weekday"]) in (7, 24)
    assert "exact conditional Poisson" in out["how"]
    r = client.get(
        "/api/v1/analysis/hotspots",
        params={"since": since, "until": until, "cell_m": 200},
        headers=h,
    )
    assert r.status_code == 200, r.text
    hs = r.json()
    assert hs["kde"]["type"] == "FeatureCollection" and hs["kde"]["features"]
    r = client.get(
        "/api/v1/analysis/hotspots",
        params={"since": since, "until": until, "cell_m": 0.01},
        headers=h,
    )
    assert r.status_code == 422
    r = client.get(
        "/api/v1/analysis/hotspots",
        params={"since": since, "until": until, "cell_m": 0.5},
        headers=h,
    )
    assert r.status_code == 422 and "the limit is 4,000,000 (use a larger cell)" in r.text
    r = client.get("/api/v1/analysis/trends", params={"group": "nope"}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("group: unknown group 'nope'; use one of")
    r = client.get("/api/v1/analysis/trends", headers=auth(city.tokens["officer0"]))
    assert r.status_code == 403


def test_empty_selection_is_a_clear_error(client: TestClient, city: SmallCity) -> None:
    r = client.get("/api/v1/analysis/hotspots", headers=auth(city.tokens["analyst"]))
    assert r.status_code == 422
    assert r.json()["error"]["message"] == (
        "selection: 0 incidents selected; at least 3 needed (widen the period, area or categories)"
    )


def test_warnings_find_the_burst(session: Session, city: SmallCity) -> None:
    _fill(session, city, n_days=120)
    p = principal_for(session, city.users["analyst"])
    frame = data.load_incidents(session, principal=p, since=END - dt.timedelta(days=130), until=END)
    new = service.warnings_for(
        session, frame, as_of=(END - dt.timedelta(days=1)).date(), by="station", replications=199
    )
    kinds = {(w.kind, w.category) for w in new}
    assert ("cusum", "two_robberies_one_theft") in kinds
    burst = [w for w in new if w.kind == "cusum"]
    assert burst[0].jpath == city.stations[0].path
    assert "expected from the seasonal baseline" in burst[0].explanation_en
    w = burst[0]
    as_of = (END - dt.timedelta(days=1)).date()
    # the local day (Asia/Shanghai) ends at 16:00 UTC, not at UTC midnight
    assert w.window_end == dt.datetime.combine(as_of, dt.time(16), dt.UTC)
    assert w.window_end - w.window_start == dt.timedelta(days=w.detail["run_days"])
    # named by its station; the explanation's figures are those of the warning
    assert w.explanation_zh.startswith(f"{city.stations[0].name_zh} ")
    assert w.explanation_en.startswith(f"{city.stations[0].name_en}, ")
    assert f"共发生 {w.observed:.0f} 起" in w.explanation_zh
    assert f"累计超出 {w.observed - w.expected:.1f} 起" in w.explanation_zh
    assert f"accumulated excess of {w.observed - w.expected:.1f}" in w.explanation_en
    # a daily target is the whole bureau's: its warning names the bureau
    target = [w for w in new if w.kind == "target_exceeded"]
    assert target, kinds
    assert target[0].explanation_zh.startswith(f"{city.bureau.name_zh} ")
    assert target[0].explanation_en.startswith(f"{city.bureau.name_en}, ")


def test_cusum_alarm_is_explained_as_accumulated_excess() -> None:
    """A CUSUM alarm on a quiet day: the text says the excess of the days before it has not
    run out, with figures that add up (before: 'N on the day against M expected' read
    backwards when N < M)."""
    import numpy as np

    stat = np.array([0.0, 0.4, 0.0, 1.2, 3.5, 6.0, 5.1])
    assert service.run_length(stat, method="cusum") == 4
    assert service.run_length(stat, method="ewma") == 7
    assert service.run_length(np.array([1.0, 2.0]), method="cusum") == 2
    zh, en = service.alarm_text(
        "cusum",
        n=4,
        since=dt.date(2026, 12, 3),
        as_of=dt.date(2026, 12, 6),
        run_obs=21,
        run_exp=9.5,
        obs=1,
        exp=2.4,
        statistic=5.1,
        threshold=4.2,
        per_year=1.0,
    )
    assert zh == (
        "自 2026-12-03 起 4 天共发生 21 起，季节基线预期 9.5 起，累计超出 11.5 起"
        "（2026-12-06 当日 1 起，预期 2.4 起）；累积和（CUSUM）统计量 5.10 超过阈值 4.20"
        "（设定误报率 每年 1.0 次）。"
    )
    assert en.startswith("21 incidents in the 4 days since 2026-12-03 against 9.5 expected")
    assert service.p_text(1.52e-116) == ("p<0.001", "p<0.001")
    assert service.p_text(0.0123) == ("p=0.012", "p=0.012")
    assert service.local_midnight(dt.date(2026, 12, 6)) == dt.datetime(
        2026, 12, 5, 16, tzinfo=dt.UTC
    )
