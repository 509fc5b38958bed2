"""``pingan ratings`` (compute, awards, sign, phone), the nightly re-rating job and the demo's
seeding, on databases of their own (they commit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from pingan.cli import app
from pingan.ratings.models import PremisesFeature, Rating, StationPhone
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work
from tests.factories import build_small_city


def _city_with_premises(engine: Engine, n: int = 24) -> None:
    from pingan.places.models import Premises

    with unit_of_work(engine) as s:
        city = build_small_city(s)
        kinds = ("school", "bank", "hotel", "rental_house")
        for k in range(n):
            cell = city.cells[k % len(city.cells)]
            lon, lat = city.cell_center(k % len(city.cells))
            s.add(
                Premises(
                    code=f"P{k:03d}",
                    kind=kinds[k % 4],
                    name=f"单位{k}",
                    lon=lon,
                    lat=lat + k * 1e-5,
                    jurisdiction_id=cell.id,
                    jpath=cell.path,
                )
            )
        s.commit()


def test_demo_seeding_and_the_nightly_job(own_engine: Engine) -> None:
    from pingan.demo.ratings import seed_ratings
    from pingan.scheduler.jobs import get_job

    _city_with_premises(own_engine)
    line = seed_ratings(own_engine, seed=3)
    assert line.startswith("24 premises rated (1★ ")
    job = get_job("ratings")
    assert job is not None
    out = job.run(own_engine, utcnow())
    assert out["rated"] == 24 and out["criteria_version"] == "2026.2"
    with unit_of_work(own_engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Rating)) == 48
        assert s.scalar(select(func.count()).where(Rating.current.is_(True))) == 24
        assert s.scalar(select(func.count()).select_from(PremisesFeature)) == 24 * 5
        assert s.scalar(select(func.count()).select_from(StationPhone)) == 2
        assert len(set(s.scalars(select(Rating.stars)).all())) >= 2  # a spread of stars


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.config import get_settings
    from pingan.store.engine import get_engine, migrate, reset_engine

    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    reset_engine()
    run = CliRunner().invoke
    try:
        migrate(get_engine())
        _city_with_premises(get_engine())
        r = run(app, ["ratings", "compute", "--station", "T1-S0"])
        assert r.exit_code == 0, r.output
        assert "rated 16 premises with criteria 2026.2" in r.output
        r = run(app, ["ratings", "compute", "--station", "NOPE"])
        assert r.exit_code == 2
        assert "station: no station with code 'NOPE' in your jurisdiction" in r.output
        r = run(app, ["ratings", "phone", "T1-S0", "0871-110"])
        assert r.exit_code == 0, r.output
        year = utcnow().year
        out = tmp_path / "awards.xlsx"
        r = run(app, ["ratings", "awards", "--year", str(year), "--xlsx", str(out)])
        assert r.exit_code == 0, r.output
        assert f"five-star premises of {year} written to" in r.output
        assert load_workbook(out).sheetnames == [f"{year}年度五星单位"]
        r = run(app, ["ratings", "awards", "--year", str(year), "--xlsx", "x.csv"])
        assert r.exit_code == 2 and "error: --xlsx: 'x.csv' must end in .xlsx" in r.output
        r = run(app, ["ratings", "sign", "1", "--out", str(tmp_path / "s.pdf"), "--size", "B5"])
        assert r.exit_code == 2 and "error: --size: 'B5' is not a sign size" in r.output
        r = run(app, ["ratings", "sign", "9", "--out", str(tmp_path / "s.pdf")])
        assert r.exit_code == 2 and "premises 9 has no rating yet" in r.output  # station 1
        if shutil.which("chromium"):
            r = run(app, ["ratings", "sign", "1", "--out", str(tmp_path / "s.pdf"), "--size", "A3"])
            assert r.exit_code == 0, r.output
            assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
            assert "/v/" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()
