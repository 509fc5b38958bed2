"""``pingan export parquet`` against a real SQLite file: the database's incidents in the
province layout (one city, by local month) with a manifest that ``pingan analyze --data``
reads, and an audit record of the export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from pingan.audit.models import AuditRecord
from pingan.auth.service import principal_for
from pingan.incidents import service as incidents
from pingan.incidents.schemas import IncidentCreate
from pingan.province import layout
from pingan.store.engine import unit_of_work
from tests.factories import build_small_city


def test_export_parquet_writes_the_layout(
    own_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, and on PostgreSQL when ``PINGAN_TEST_DATABASE_URL`` is set."""
    from pingan.cli import app
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    engine = own_engine
    url = engine.url.render_as_string(hide_password=False)
    with unit_of_work(engine) as s:
        city = build_small_city(s)
        s.commit()
    # 16:30 UTC on 30 September is already 1 October in Shanghai: the October partition
    at = dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC)
    with unit_of_work(engine) as s:
        p = principal_for(s, city.users["dispatcher"])
        for k in range(6):
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
    out = tmp_path / "prov"
    try:
        r = CliRunner().invoke(
            app,
            [
                "export",
                "parquet",
                "--out",
                str(out),
                "--since",
                "2026-09-01T00:00+08:00",
                "--until",
                "2026-11-01T00:00+08:00",
            ],
        )
        assert r.exit_code == 0, r.output
        assert "6 incidents in 1 monthly files" in r.output
        man = layout.read_manifest(out)
        (c,) = man.cities
        assert c.code == city.bureau.code
        assert set(c.stations) == {st.code for st in city.stations}
        parts = layout.partitions(out)
        assert [p.month for p in parts] == ["2026-10"]
        cols = layout.read_partition(parts[0].path)
        assert cols["subtype"].tolist() == ["burglary"] * 6
        assert set(cols["station"].tolist()) <= {st.code for st in city.stations}
        assert int(cols["reported_at"][0]) == int(at.timestamp())
        with unit_of_work(engine, write=False) as s:
            rec = s.scalar(
                select(AuditRecord).where(AuditRecord.action == "incidents.export_parquet")
            )
        assert rec is not None
        r = CliRunner().invoke(app, ["analyze", "trends", "--data", str(out)])
        assert r.exit_code == 0, r.output
        stored = json.loads((out / "results" / "trends.json").read_text(encoding="utf-8"))
        assert stored["cities"][0]["city"] == city.bureau.code
        r = CliRunner().invoke(app, ["export", "parquet", "--out", str(out), "--since", "x"])
        assert r.exit_code == 2 and "--since: expected a date" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
