"""Input checks of ``pingan analyze`` and ``pingan disputes``: structured input goes through the
API's own pydantic models, the caller through ``cli_principal``; every bad input exits 2 with
one line naming the option."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import SmallCity
from tests.serverutil import prepare_db


@pytest.fixture()
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, SmallCity]]:
    """A migrated SQLite file with the small city; the CLI pointed at it."""
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    url, city = prepare_db(tmp_path / "cli.db")
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["analyze", "warnings", "--by", "planet"],
            "error: --by: Input should be 'district', 'station' or 'community'",
        ),
        (
            ["analyze", "warnings", "--false-alarms-per-year", "0"],
            "error: --false-alarms-per-year: Input should be greater than 0",
        ),
        (
            ["analyze", "warnings", "--as-of", "soon"],
            "error: --as-of: expected a date or time like 2026-11-01 or 2026-11-01T08:00+08:00, "
            "got 'soon'",
        ),
        (
            ["analyze", "trends", "--since", "last week"],
            "error: --since: expected a date or time like 2026-11-01 or 2026-11-01T08:00+08:00, "
            "got 'last week'",
        ),
        (
            ["disputes", "list", "--state", "open"],
            "error: --state: 'open' is not a dispute state; use registered, mediating, resolved, "
            "referred, closed",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_option(args: list[str], message: str) -> None:
    code, out = run(*args)
    assert code == 2, out
    assert out.strip().splitlines() == [message]


def test_disputes_list_as_an_unknown_user(cli: tuple[str, SmallCity]) -> None:
    code, out = run("disputes", "list", "--user", "nobody")
    assert code == 2
    assert out.strip().splitlines() == ["error: --user: no user 'nobody'"]


def test_disputes_list_in_a_users_scope_and_the_bureaus(cli: tuple[str, SmallCity]) -> None:
    code, out = run("disputes", "list", "--user", "chief0")
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "0 of 0 disputes shown"
    code, out = run("disputes", "list")
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "0 of 0 disputes shown"


def test_analyze_trends_in_an_area_outside_the_bureau(cli: tuple[str, SmallCity]) -> None:
    """A domain error raised below the command reaches ``pingan.cli.main``: one line, exit 2."""
    r = subprocess.run(
        [sys.executable, "-m", "pingan.cli", "analyze", "trends", "--area", "NOPE"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == ["error: area: no jurisdiction 'NOPE' in your scope"]
