"""Scores computed from the work records of ``conftest.py`` by hand; scope; figure sources."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.errors import Invalid, NotFound
from pingan.evaluation import figures, geography, scorecards, service
from pingan.evaluation.periods import parse_period
from pingan.evaluation.sources import SOURCES, unavailable_reason
from tests.evaluation.conftest import NOW, Records

Q3 = parse_period("2026Q3")


def _fig(lr: figures.LevelResult, entity_id: int, code: str) -> tuple[float, float, float]:
    e = lr.entities.index[entity_id]
    j = [i.code for i in scorecards.default_spec().indicators].index(code)
    return float(lr.value[e, j]), float(lr.numerator[e, j]), float(lr.denominator[e, j])


def _compute(session: Session, jpath: str = "/", **kw: object) -> dict[str, figures.LevelResult]:
    return figures.compute(
        session,
        spec=scorecards.default_spec(),
        period=Q3,
        levels=geography.LEVELS,
        jpath=jpath,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_figures_by_hand(session: Session, records: Records) -> None:
    city = records.city
    out = _compute(session)
    cell0 = city.cells[0].id
    cell = out["cell"]
    assert _fig(cell, cell0, "sign_on_time") == pytest.approx((1 / 3, 1, 3))
    assert _fig(cell, cell0, "complete_on_time") == pytest.approx((1 / 3, 1, 3))
    assert _fig(cell, cell0, "checklist") == pytest.approx((2 / 3, 2, 3))
    assert _fig(cell, cell0, "disputes") == pytest.approx((1 / 3, 1, 3))
    assert _fig(cell, cell0, "preventable") == pytest.approx((0.5, 2, 4))
    assert _fig(cell, cell0, "response_median")[0] == pytest.approx(200)
    assert _fig(cell, cell0, "response_p90")[0] == pytest.approx(520)
    assert _fig(cell, cell0, "inspections") == pytest.approx((0.5, 1, 2))
    assert _fig(cell, cell0, "satisfaction") == pytest.approx((0.9, 36, 40))
    # the score is the kernel's over those values: hand-computed achievements, capped at 1.2
    ach = [
        (1 / 3) / 0.95, (1 / 3) / 0.9, (2 / 3) / 0.95, (1 / 3) / 0.9, min(1.2, 0.95 / 0.5),
        min(1.2, 420 / 200), min(1.2, 900 / 520), 0.5 / 0.8, 0.9 / 0.9,
    ]  # fmt: skip
    w = [15, 15, 15, 15, 15, 5, 5, 5, 10]
    e = cell.entities.index[cell0]
    assert cell.score[e] == pytest.approx(100 * np.dot(w, ach) / sum(w))
    # a cell without place records still shows its owner's work, and has partial coverage
    e1 = cell.entities.index[city.cells[1].id]
    assert _fig(cell, city.cells[1].id, "sign_on_time")[0] == pytest.approx(1 / 3)
    assert cell.coverage[e1] == pytest.approx(45 / 100)
    assert cell.reasons[e1][3] == "no records in the period"
    # ... and is scored but not ranked: less than half of the card's weight has data
    assert np.isfinite(cell.score[e1]) and cell.rank[e1] == 0 and cell.rank[e] == 1


def test_officer_community_station_levels(session: Session, records: Records) -> None:
    city = records.city
    out = _compute(session)
    off0, off1 = city.users["officer0"].id, records.officer1.id
    assert _fig(out["officer"], off0, "sign_on_time") == pytest.approx((1 / 3, 1, 3))
    assert _fig(out["officer"], off1, "sign_on_time") == pytest.approx((1.0, 1, 1))
    # place records reach the officer through the cells he owns
    assert _fig(out["officer"], off0, "satisfaction") == pytest.approx((0.9, 36, 40))
    assert np.isnan(_fig(out["officer"], off1, "satisfaction")[0])
    # officer work reaches a community and a station through the officer's own jurisdiction
    com0, com2 = city.communities[0].id, city.communities[2].id
    assert _fig(out["community"], com0, "checklist") == pytest.approx((2 / 3, 2, 3))
    assert _fig(out["community"], com2, "sign_on_time") == pytest.approx((1.0, 1, 1))
    st0, st1 = city.stations[0].id, city.stations[1].id
    assert _fig(out["station"], st0, "preventable") == pytest.approx((0.5, 2, 4))
    assert _fig(out["station"], st1, "sign_on_time") == pytest.approx((1.0, 1, 1))
    # station 1 has data for 30 % of the weight (two instruction indicators): not ranked
    st = out["station"]
    assert st.rank[st.entities.index[st0]] == 1 and st.rank[st.entities.index[st1]] == 0
    assert st.coverage[st.entities.index[st1]] == pytest.approx(0.3)


def test_scope_keeps_the_other_station_out(session: Session, records: Records) -> None:
    city = records.city
    chief1 = principal_for(session, city.users["chief1"])
    ev = service.evaluate(session, principal=chief1, period=Q3, level="cell", now=NOW)
    assert set(ev.result.entities.ids) == {c.id for c in city.cells[8:]}
    assert all(not np.isfinite(ev.result.value[:, 4]).any() for _ in [0])  # no burglaries there
    with pytest.raises(NotFound, match="outside your jurisdiction"):
        service.evaluate(
            session, principal=chief1, period=Q3, level="cell", scope=city.stations[0].id
        )
    # a community officer sees his own officer card only
    me = principal_for(session, city.users["officer0"])
    ev = service.evaluate(session, principal=me, period=Q3, level="officer", now=NOW)
    assert ev.result.entities.ids == [city.users["officer0"].id]
    # his duty list is filed at the station, above his own scope, and still counts
    j = [i.code for i in ev.spec.indicators].index("checklist")
    assert ev.result.value[0, j] == pytest.approx(2 / 3)
    rows = figures.source_rows(
        session, spec=ev.spec, period=Q3, level="officer", entity_id=me.user_id,
        indicator="checklist", part="shortfall", jpath=me.jpath, officer_id=me.user_id, now=NOW,
    )  # fmt: skip
    assert rows["total"] == 1 and rows["items"][0]["label"] == "t-visit"


def test_sources_list_the_rows_behind_a_figure(session: Session, records: Records) -> None:
    city = records.city
    kw = {
        "spec": scorecards.default_spec(),
        "period": Q3,
        "jpath": "/",
        "now": NOW,
    }
    late = figures.source_rows(
        session,
        level="officer",
        entity_id=city.users["officer0"].id,
        indicator="sign_on_time",
        part="shortfall",
        **kw,  # type: ignore[arg-type]
    )
    assert late["total"] == 2 and {r["id"] for r in late["items"]} == set(records.late_recipients)
    assert late["items"][0]["link"].startswith("/api/v1/instructions/")
    ok = figures.source_rows(
        session, level="cell", entity_id=city.cells[0].id, indicator="sign_on_time",
        part="numerator", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    assert [r["id"] for r in ok["items"]] == [records.ontime_recipient]
    slow = figures.source_rows(
        session, level="station", entity_id=city.stations[0].id, indicator="response_p90",
        part="all", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    assert [r["value"] for r in slow["items"]] == [600.0, 200.0, 100.0]
    rec = figures.source_rows(
        session, level="cell", entity_id=city.cells[0].id, indicator="disputes",
        part="shortfall", **kw,  # type: ignore[arg-type]
    )  # fmt: skip
    assert [r["label"] for r in rec["items"]] == ["JF-3", "JF-2"]
    with pytest.raises(Invalid, match="indicator: 'nope' is not an indicator of scorecard"):
        figures.source_rows(
            session, level="cell", entity_id=city.cells[0].id, indicator="nope", part="all",
            **kw,  # type: ignore[arg-type]
        )  # fmt: skip


def test_a_source_whose_module_is_missing_reports_no_data(
    session: Session, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = SOURCES["checklist_completion"]
    fake = dataclasses.replace(src, module="pingan.not_built_yet")
    assert unavailable_reason(fake) == "source tables of pingan.not_built_yet are not installed yet"
    monkeypatch.setitem(SOURCES, "checklist_completion", fake)
    out = _compute(session)
    e = out["officer"].entities.index[records.city.users["officer0"].id]
    assert np.isnan(out["officer"].value[e, 2])
    assert (
        out["officer"].reasons[e][2]
        == "source tables of pingan.not_built_yet are not installed yet"
    )


def test_trend_over_quarters(session: Session, records: Records) -> None:
    city = records.city
    pts = figures.trend(
        session,
        spec=scorecards.default_spec(),
        period=Q3,
        periods=3,
        level="cell",
        jpath="/",
        entity_id=city.cells[0].id,
        now=NOW,
    )
    assert [p["period"] for p in pts] == ["2026Q1", "2026Q2", "2026Q3"]
    assert pts[-1]["values"]["satisfaction"] == pytest.approx(0.9)
    # in 2026Q1 only the premises exist, none inspected: that is a 0, not "no data"
    assert pts[0]["values"]["inspections"] == 0 and pts[0]["values"]["satisfaction"] is None
    assert pts[0]["score"] == 0
    with pytest.raises(Invalid, match="periods: must be between 1 and 24"):
        figures.trend(
            session, spec=scorecards.default_spec(), period=Q3, periods=0, level="cell",
            jpath="/", entity_id=None,
        )  # fmt: skip


@pytest.mark.parametrize(
    "change,match",
    [
        ({"weight": 0}, "indicators: the weights must sum to more than 0"),
        ({"target": 0}, r"indicators\[0\].target: must be a number > 0"),
        ({"source": "x"}, r"indicators\[0\].source: 'x' is not an indicator source"),
        ({"direction": "up"}, r"indicators\[0\].direction: use 'higher' or 'lower'"),
    ],
)
def test_card_validation_names_the_field(change: dict[str, object], match: str) -> None:
    ind = {"code": "a", "source": "resident_satisfaction", "weight": 1, "target": 0.9}
    ind |= {"direction": "higher"} | change
    with pytest.raises(Invalid, match=match):
        scorecards.validate_spec(period_kind="quarter", achievement_cap=1.2, indicators=[ind])
