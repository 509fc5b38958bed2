"""The ledger feeds the community-officer scorecard: the source ``services_per_day`` counts an
officer's entries over the days of the period so far, and the rows behind the figure are the
entries (numerator) and the officer's roster row (denominator)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.evaluation import figures, scorecards
from pingan.evaluation.periods import parse_period
from pingan.ledger.schemas import EntryCreate
from pingan.ledger.service import create_entry
from tests.factories import SmallCity

NOW = dt.datetime(2026, 9, 10, 12, 0, tzinfo=dt.UTC)  # 9 days 20 hours into September (local)


def _spec() -> scorecards.CardSpec:
    ind = scorecards.IndicatorSpec(
        "services", "服务台账", "Services recorded", "services_per_day", 10, 5.0, "higher"
    )
    return dataclasses.replace(scorecards.default_spec(), indicators=(ind,))


def test_services_per_day_and_its_rows(session: Session, city: SmallCity) -> None:
    officer = principal_for(session, city.users["officer0"])
    chief = principal_for(session, city.users["chief0"])
    for k, (cell, who) in enumerate(((0, officer), (1, officer), (2, officer), (3, chief))):
        lon, lat = city.cell_center(cell)
        data = EntryCreate(
            kind="visit", at=NOW - dt.timedelta(days=k + 1), lon=lon, lat=lat, minutes=10
        )
        create_entry(session, principal=who, data=data, now=NOW)
    # one of August: outside the period
    lon, lat = city.cell_center(0)
    old = EntryCreate(
        kind="help", at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC), lon=lon, lat=lat, minutes=5
    )
    create_entry(session, principal=officer, data=old, now=NOW)
    session.flush()
    period = parse_period("2026-09")
    out = figures.compute(
        session, spec=_spec(), period=period, levels=("officer",), jpath="/", now=NOW
    )
    lr = out["officer"]
    e = lr.entities.index[city.users["officer0"].id]
    assert float(lr.numerator[e, 0]) == 3
    assert float(lr.denominator[e, 0]) == 10  # Sept 1 .. Sept 10 (local), days begun
    assert float(lr.value[e, 0]) == pytest.approx(0.3)
    rows = figures.source_rows(
        session,
        spec=_spec(),
        period=period,
        level="officer",
        entity_id=city.users["officer0"].id,
        indicator="services",
        part="numerator",
        jpath="/",
        now=NOW,
    )
    assert rows["total"] == 3 and {r["label"] for r in rows["items"]} == {"visit"}
    den = figures.source_rows(
        session,
        spec=_spec(),
        period=period,
        level="officer",
        entity_id=city.users["officer0"].id,
        indicator="services",
        part="denominator",
        jpath="/",
        now=NOW,
    )
    assert den["total"] == 1 and den["items"][0]["label"] == "roster: 10 days"
    assert den["items"][0]["denominator"] == 10
