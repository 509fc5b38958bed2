"""The scorecards' incident count (``preventable_incidents_yoy``) read from the cell × day
counts (``incident_cell_days``) gives exactly the figures of the incidents' query, for whole
and running periods and scopes, and moves when an incident is written or cancelled."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy.orm import Session

from pingan.aggregates import service as agg
from pingan.aggregates.flows import aggregates_rebuild_flow
from pingan.audit.service import Actor
from pingan.auth.service import principal_for
from pingan.evaluation import figures, geography, scorecards
from pingan.evaluation.periods import Period, parse_period
from pingan.evaluation.sources import SOURCES
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from tests.factories import SmallCity

UTC = dt.UTC
# a "now" at an odd local hour, so that the running period and last year's cut end mid-day
NOW = dt.datetime(2026, 11, 17, 5, 37, 12, tzinfo=UTC)
SUBTYPES = ["burglary", "pickpocketing", "robbery", "fight", "traffic_accident"]
PERIODS = [
    "2026Q3",
    "2026Q4",
    "2026-11",
    "2026",
    "2025-10-15..2026-11-20",
    "2026-11-17..2026-11-17",
]


def _create(session: Session, city: SmallCity, at: dt.datetime, cell: int, subtype: str) -> int:
    p = principal_for(session, city.users["dispatcher"])
    lon, lat = city.cell_center(cell)
    inc, _ = incidents.create(
        session,
        principal=p,
        data=IncidentCreate(subtype=subtype, lon=lon, lat=lat, reported_at=at, source="call_110"),
    )
    return int(inc.id)


def _fill(session: Session, city: SmallCity, n: int = 500, seed: int = 5) -> list[int]:
    """``n`` incidents at random instants of the 700 days before NOW, plus some on the local
    midnights (16:00 UTC) and a hair before them."""
    rng = np.random.default_rng(seed)
    ids = []
    for _ in range(n):
        at = NOW - dt.timedelta(seconds=float(rng.uniform(0, 700 * 86_400)))
        cell = int(rng.integers(len(city.cells)))
        ids.append(_create(session, city, at, cell, SUBTYPES[int(rng.integers(len(SUBTYPES)))]))
    midnights = (
        dt.datetime(2026, 10, 1, 16, tzinfo=UTC),
        dt.datetime(2025, 11, 16, 16, tzinfo=UTC),
    )
    for day in midnights:
        edges = (day, day - dt.timedelta(microseconds=500_000), day + dt.timedelta(hours=13))
        for k, at in enumerate(edges):  # apart, so that none is taken for a repeat call
            ids.append(_create(session, city, at, k, "burglary"))
    session.flush()
    return ids


def _compute(session: Session, period: Period, jpath: str = "/") -> dict[str, figures.LevelResult]:
    return figures.compute(
        session,
        spec=scorecards.default_spec(),
        period=period,
        levels=geography.LEVELS,
        jpath=jpath,
        now=NOW,
    )


def _same(a: dict[str, figures.LevelResult], b: dict[str, figures.LevelResult]) -> None:
    for lv in geography.LEVELS:
        x, y = a[lv], b[lv]
        assert x.entities.ids == y.entities.ids
        for name in ("value", "numerator", "denominator", "score", "coverage", "rank"):
            got, want = getattr(x, name), getattr(y, name)
            np.testing.assert_array_equal(got, want, err_msg=f"{lv} {name}")
        assert x.reasons == y.reasons


def _old(
    session: Session, monkeypatch: pytest.MonkeyPatch, period: Period, jpath: str = "/"
) -> dict[str, figures.LevelResult]:
    """The figures of the incidents' query (the counts not read)."""
    with monkeypatch.context() as m:
        m.setattr(figures, "USE_COUNTS", False)
        return _compute(session, period, jpath)


def _preventable(lr: figures.LevelResult, entity_id: int) -> tuple[float, float]:
    e = lr.entities.index[entity_id]
    j = [i.source for i in scorecards.default_spec().indicators].index("preventable_incidents_yoy")
    return float(lr.numerator[e, j]), float(lr.denominator[e, j])


def test_counts_give_the_incidents_figures(
    session: Session, city: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _fill(session, city)
    p = principal_for(session, city.users["dispatcher"])
    for i in ids[:7]:  # cancelled before the rebuild: never counted
        incidents.transition(session, principal=p, incident_id=i, to_state="cancelled")
    assert aggregates_rebuild_flow(session, actor=Actor.system("test")).incidents > 400
    for i in ids[7:12]:  # cancelled after it: leave the counts through the write hook
        incidents.transition(session, principal=p, incident_id=i, to_state="cancelled")
    session.flush()
    assert agg.is_built(session)
    src = SOURCES["preventable_incidents_yoy"]
    station = city.stations[0].path
    for label in PERIODS:
        period = parse_period(label)
        ctx = figures.make_ctx(session, period, jpath="/", now=NOW)
        assert src.counts is not None and src.counts(session, ctx) is not None  # the fast path
        _same(_compute(session, period), _old(session, monkeypatch, period))
        _same(_compute(session, period, station), _old(session, monkeypatch, period, station))

    # a new preventable incident on a whole day of this period moves the count of its cell
    # (written by the incidents' write hook) and the numerator of its figure by one
    q4 = parse_period("2026Q4")
    cell0 = city.cells[0]
    day = dt.date(2026, 11, 14)

    def stored() -> int:
        got = agg.cell_counts(
            session, first_day=day, end_day=day + dt.timedelta(days=1), subtypes=["snatching"]
        )
        return got.get(cell0.path, 0)

    before, n0 = _preventable(_compute(session, q4)["cell"], cell0.id), stored()
    _create(session, city, dt.datetime(2026, 11, 14, 3, 21, tzinfo=UTC), 0, "snatching")
    session.flush()
    assert stored() == n0 + 1
    after = _preventable(_compute(session, q4)["cell"], cell0.id)
    assert after == (before[0] + 1, before[1])
    _same(_compute(session, q4), _old(session, monkeypatch, q4))


def test_not_built_reads_the_incidents(session: Session, city: SmallCity) -> None:
    _fill(session, city, n=40)
    assert not agg.is_built(session)
    ctx = figures.make_ctx(session, parse_period("2026Q4"), jpath="/", now=NOW)
    counts = SOURCES["preventable_incidents_yoy"].counts
    assert counts is not None and counts(session, ctx) is None
