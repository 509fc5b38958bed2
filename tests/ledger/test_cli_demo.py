"""``pingan ledger`` and ``pingan volunteers`` on a small city (errors are one line, exit 2),
and the demo seeding: a month of entries, teams with shifts, ``volunteer_01`` with a shift on
now that it can check in to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from pingan.auth.models import User
from pingan.auth.service import principal_for
from pingan.cli import app
from pingan.ledger.models import LedgerEntry
from pingan.ledger.service import summary
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work
from pingan.volunteers.models import VolunteerShift, VolunteerTeam
from pingan.volunteers.schemas import CheckIn
from pingan.volunteers.service import check, list_shifts
from tests.factories import build_small_city


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
        with unit_of_work(get_engine()) as s:
            city = build_small_city(s)
            lon, lat = city.cell_center(0)
            s.commit()
        pt = ["--lon", str(lon), "--lat", str(lat)]
        r = run(app, ["ledger", "add", "visit", *pt, "--minutes", "15", "--user", "officer0"])
        assert r.exit_code == 0, r.output
        assert "visit 15 min" in r.output and "网格0 of 社区00" in r.output
        r = run(app, ["ledger", "add", "arrest", *pt, "--minutes", "15", "--user", "officer0"])
        assert r.exit_code == 2 and r.output.startswith("error: KIND:")
        r = run(app, ["ledger", "add", "help", *pt, "--minutes", "0", "--user", "officer0"])
        assert r.exit_code == 2 and r.output.startswith("error: --minutes:")
        r = run(app, ["ledger", "add", "help", *pt, "--minutes", "5", "--user", "analyst"])
        assert r.exit_code == 2 and "may not record services in the ledger" in r.output
        r = run(app, ["ledger", "list"])
        assert r.exit_code == 0 and "1 of 1 entries" in r.output
        r = run(app, ["ledger", "list", "--kind", "bribe"])
        assert r.exit_code == 2 and "--kind: 'bribe' is not a kind" in r.output
        r = run(app, ["ledger", "summary", "--by", "community", "--period", "month"])
        assert r.exit_code == 0 and "1 entries, 15 minutes" in r.output
        r = run(app, ["ledger", "summary", "--by", "person"])
        assert r.exit_code == 2 and "--by: 'person'" in r.output
        r = run(app, ["ledger", "summary", "--since", "12/01"])
        assert r.exit_code == 2 and "--since: '12/01' is not a date" in r.output
        r = run(app, ["volunteers", "teams"])
        assert r.exit_code == 0 and "0 teams" in r.output
        r = run(app, ["volunteers", "members", "7"])
        assert r.exit_code == 2 and "team 7 does not exist" in r.output
        r = run(app, ["volunteers", "shifts"])
        assert r.exit_code == 0 and "0 shifts" in r.output
        r = run(app, ["volunteers", "shifts", "--user", "volunteer0"])
        assert r.exit_code == 0 and "0 shifts" in r.output
    finally:
        get_settings.cache_clear()
        reset_engine()


def test_demo_seeds_ledger_and_volunteers(own_engine: Engine) -> None:
    from pingan.demo.ledger import seed_ledger

    with unit_of_work(own_engine) as s:
        build_small_city(s)
        s.commit()
    line = seed_ledger(own_engine, seed=3, volunteer_password="volunteer-pass-1")
    assert "ledger:" in line and "teams" in line
    with unit_of_work(own_engine) as s:
        assert (s.scalar(select(func.count()).select_from(LedgerEntry)) or 0) >= 50
        assert s.scalar(select(func.count()).select_from(VolunteerTeam)) == 8
        assert (s.scalar(select(func.count()).select_from(VolunteerShift)) or 0) > 20
        vol = s.scalar(select(User).where(User.username == "volunteer_01"))
        assert vol is not None and vol.role == "volunteer"
        p = principal_for(s, vol)
        mine = list_shifts(s, principal=p, mine=True)
        on = [x for x in mine if x.starts_at <= utcnow() <= x.ends_at]
        assert on, mine
        out = check(
            s,
            principal=p,
            shift_id=on[0].id,
            data=CheckIn(at=utcnow(), lon=on[0].lon, lat=on[0].lat),
            out=False,
        )
        assert out.checked_in_at is not None
        chief = principal_for(s, s.scalars(select(User).where(User.username == "chief0")).one())
        got = summary(s, principal=chief, by="community", period="month")
        assert got.total_entries > 0
        since = (utcnow() - dt.timedelta(days=40)).date()
        assert summary(s, principal=chief, since=since).total_entries >= got.total_entries
