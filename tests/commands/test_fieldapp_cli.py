"""``pingan field link|purge-keys`` against a real SQLite file; bad input exits 2 with one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.auth.models import User
from pingan.auth.service import principal_for
from pingan.fieldapp.models import FieldUnit
from pingan.resources import service as resources
from pingan.resources.schemas import ResourceCreate
from pingan.store.engine import make_engine, unit_of_work
from tests.factories import SmallCity
from tests.serverutil import prepare_db


@pytest.fixture()
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SmallCity]]:
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    url, city = prepare_db(tmp_path / "field.db")
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        chief = principal_for(s, s.get_one(User, city.users["chief0"].id))
        data = ResourceCreate(code="FT-9", kind="foot_team", name_zh="警务队", station_code="T1-S0")
        resources.create(s, principal=chief, data=data)
        s.commit()
    engine.dispose()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    get_settings.cache_clear()
    reset_engine()
    try:
        yield url, city
    finally:
        get_settings.cache_clear()
        reset_engine()


def run(*args: str) -> tuple[int, str]:
    from pingan.cli import app

    r = CliRunner().invoke(app, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.output


def test_link_and_purge(cli: tuple[str, SmallCity]) -> None:
    url, city = cli
    code, out = run("field", "link", "--officer", "officer0", "--unit", "FT-9", "--user", "chief0")
    assert code == 0 and out.strip() == "officer0 → FT-9"
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        link = s.scalar(select(FieldUnit).where(FieldUnit.user_id == city.users["officer0"].id))
        assert link is not None and link.on_duty is False
    engine.dispose()
    assert run("field", "purge-keys") == (0, "0 keys forgotten\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--officer", "nobody", "--unit", "FT-9"],
            "error: username: no user 'nobody' in your jurisdiction",
        ),
        (
            ["--officer", "officer0", "--unit", "NOPE"],
            "error: unit_code: no unit 'NOPE' in your jurisdiction",
        ),
        (
            ["--officer", "officer0", "--unit", "FT-9", "--user", "officer0"],
            "error: --user: role 'community_officer' may not change resources (resource.write); "
            "allowed: admin, commander, dispatcher, station_chief",
        ),
    ],
)
def test_bad_input_is_one_line(cli: tuple[str, SmallCity], args: list[str], message: str) -> None:
    code, out = run("field", "link", *args)
    assert code == 2, out
    assert out.strip().splitlines() == [message]
