"""``pingan posts``, ``pingan orders`` and ``pingan hazards`` on a small city (errors are one
line, exit 2), and the demo seeding of the key places."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from pingan.cli import app
from pingan.keyplaces.models import (
    InspectionResult,
    PostCheckin,
    RectificationOrder,
    SchoolPost,
)
from pingan.ratings.models import Hazard
from pingan.store.engine import unit_of_work
from tests.ratings.test_cli_jobs_demo import _city_with_premises


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
        r = run(app, ["posts", "add", "1", "--windows", "07:30-08:10,16:30-17:30"])
        assert r.exit_code == 0, r.output
        assert "07:30-08:10,16:30-17:30 on days 12345" in r.output
        r = run(app, ["posts", "add", "2"])  # a bank
        assert r.exit_code == 2 and "premises_id: premises 2 is a bank, not a school" in r.output
        r = run(app, ["posts", "add", "1", "--days", "89"])
        assert r.exit_code == 2 and r.output.startswith("error: --days:")
        r = run(app, ["posts", "list"])
        assert r.exit_code == 0 and "1 posts" in r.output
        r = run(app, ["posts", "compliance", "--day", "2026-12-05"])  # a Saturday
        assert r.exit_code == 0, r.output
        assert "2026-12-05: 0 of 0 duty windows staffed (-)" in r.output
        r = run(app, ["posts", "compliance", "--day", "2026-12-04"])  # a Friday, all missed
        assert "2026-12-04: 0 of 2 duty windows staffed (0%)" in r.output
        r = run(app, ["posts", "compliance", "--day", "12/04"])
        assert r.exit_code == 2 and "--day: '12/04' is not a date" in r.output
        r = run(app, ["posts", "rooms"])
        assert r.exit_code == 0 and "0 police rooms" in r.output
        r = run(
            app,
            [
                "hazards",
                "add",
                "--category",
                "traffic",
                "--title",
                "急弯视线遮挡",
                "--line",
                "[[102.70, 25.02], [102.703, 25.02]]",
                "--level",
                "district",
                "--deadline",
                "2026-01-01",
            ],
        )
        assert r.exit_code == 0, r.output
        assert "at district level" in r.output
        r = run(app, ["hazards", "add", "--category", "flood", "--title", "x", "--lon", "1"])
        assert r.exit_code == 2 and "--category" in r.output
        r = run(app, ["hazards", "escalate"])
        assert r.exit_code == 0 and "1 hazards escalated" in r.output
        r = run(app, ["hazards", "list", "--level", "city"])
        assert r.exit_code == 0 and "急弯视线遮挡" in r.output and "1 hazards" in r.output
        r = run(app, ["hazards", "list", "--level", "county"])
        assert r.exit_code == 2 and "--level: 'county' is not a level" in r.output
        r = run(app, ["hazards", "close", "1"])
        assert r.exit_code == 0 and "closed" in r.output
        r = run(app, ["hazards", "close", "1"])
        assert r.exit_code == 2
        r = run(app, ["orders", "list"])
        assert r.exit_code == 0 and "0 orders" in r.output
        r = run(app, ["orders", "list", "--state", "done"])
        assert r.exit_code == 2 and "--state: 'done' is not a state" in r.output
        r = run(app, ["orders", "escalate"])
        assert r.exit_code == 0 and "0 orders escalated" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()


def test_demo_seeds_key_places(own_engine: Engine) -> None:
    from pingan.demo.ratings import seed_ratings

    _city_with_premises(own_engine, n=40)
    line = seed_ratings(own_engine, seed=5)
    assert "school posts" in line and "inspections" in line
    with unit_of_work(own_engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(SchoolPost)) == 10
        assert (s.scalar(select(func.count()).select_from(PostCheckin)) or 0) > 0
        assert (s.scalar(select(func.count()).select_from(InspectionResult)) or 0) > 0
        assert set(s.scalars(select(RectificationOrder.state))), "no orders"
        assert None not in set(s.scalars(select(Hazard.deadline)))  # every hazard has one
