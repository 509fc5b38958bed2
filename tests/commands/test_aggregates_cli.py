"""``pingan aggregates rebuild`` against a real SQLite file: it counts the incidents, says how
many, and the counts then answer the trends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pingan.aggregates.models import IncidentDayCount
from pingan.auth.service import principal_for
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from pingan.store.engine import make_engine, unit_of_work
from tests.serverutil import prepare_db


def test_rebuild_counts_the_incidents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    url, city = prepare_db(tmp_path / "agg.db")
    engine = make_engine(url)
    at = dt.datetime(2026, 10, 1, 2, tzinfo=dt.UTC)
    with unit_of_work(engine) as s:
        p = principal_for(s, city.users["dispatcher"])
        for k in range(7):
            lon, lat = city.cell_center(k % len(city.cells))
            incidents.create(
                s,
                principal=p,
                data=IncidentCreate(
                    subtype="burglary", lon=lon, lat=lat, reported_at=at + dt.timedelta(days=k)
                ),
            )
        s.commit()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    get_settings.cache_clear()
    reset_engine()
    try:
        r = CliRunner().invoke(app, ["aggregates", "rebuild"])
        assert r.exit_code == 0, r.output
        assert "7 incidents counted in" in r.output
        with unit_of_work(engine, write=False) as s:
            total = s.scalar(
                select(func.sum(IncidentDayCount.n)).where(IncidentDayCount.level == 0)
            )
        assert total == 7
    finally:
        engine.dispose()
        get_settings.cache_clear()
        reset_engine()
