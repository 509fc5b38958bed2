"""The weekly briefing's year-to-date comparison reaches back to 1 January of last year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.incidents.models import Incident
from pingan.store.engine import make_engine, migrate, reset_engine
from tests.factories import build_small_city


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'weekly.db'}")
    migrate(eng)
    reset_engine(eng)
    yield eng
    reset_engine(None)
    eng.dispose()


def _add(s: Session, cell, lon: float, lat: float, at: dt.datetime, n: int, tag: str) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        s.add(
            Incident(
                code=f"JQ-WK-{tag}-{i:03d}",
                subtype="pickpocketing",
                klass="criminal",
                priority=3,
                source="call_110",
                state="closed",
                lon=lon,
                lat=lat,
                input_crs="WGS84",
                input_lon=lon,
                input_lat=lat,
                jurisdiction_id=cell.id,
                jpath=cell.path,
                reported_at=at + dt.timedelta(minutes=i),
            )
        )


def test_year_to_date_compares_with_the_whole_of_last_years_period(engine: Engine) -> None:
    from pingan.crime_analysis.report import weekly_briefing

    until = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with Session(engine) as s:
        city = build_small_city(s)
        cell = city.cells[0]
        lon, lat = city.cell_center(0)
        # February is more than 400 days before the briefing for last year's incidents
        _add(s, cell, lon, lat, dt.datetime(2025, 2, 3, 10, tzinfo=dt.UTC), 10, "prev")
        _add(s, cell, lon, lat, dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC), 20, "this")
        _add(s, cell, lon, lat, dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), 3, "week")
        s.commit()
    admin = Principal(user_id=0, username="t", role="admin", jpath="/", jurisdiction_id=None)
    page = weekly_briefing(admin, until=until)
    # 23 this year to date against 10 in last year's same period: +130.0%
    assert "<td>23</td><td class='up sig'>+130.0%" in page
