"""``pingan patrols …`` and ``pingan events …`` on the small city: a plan made and read, an
event created with its plan, its board and report (PDF); one-line errors with exit code 2."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from pingan.cli import app
from tests.commands.test_rapid_response_cli import _one_line_error, env  # noqa: F401


def test_patrols_cli(env: Path) -> None:  # noqa: F811
    day = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    # the small city's incidents fall 0-20 h before the time of day the test runs: the block
    # around 10 h before now (local time) holds most of them, whenever the suite runs
    local = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8 - 10)
    block = str(local.hour // 6)
    r = CliRunner().invoke(
        app,
        ["patrols", "generate", "--station", "T1-S0", "--day", day, "--block", block,
         "--time-limit", "0.3"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert r.output.startswith("plan 1: T1-S0") and " stops, " in r.output
    r = CliRunner().invoke(app, ["patrols", "list", "--station", "T1-S0"])
    assert r.exit_code == 0 and f"\t{day}\tblock {block}" in r.output
    r = CliRunner().invoke(app, ["patrols", "actual", "1"])
    assert r.exit_code == 0 and "stops visited" in r.output
    _one_line_error(
        CliRunner().invoke(app, ["patrols", "generate", "--station", "NOPE"]),
        "error: station NOPE does not exist or is outside your jurisdiction",
    )
    _one_line_error(
        CliRunner().invoke(app, ["patrols", "generate", "--station", "T1-S0", "--day", "x"]),
        "error: --day: 'x' is not a date; use YYYY-MM-DD",
    )
    _one_line_error(
        CliRunner().invoke(app, ["patrols", "card", "1", "--out", str(env / "card.txt")]),
        "error: --out: 'card.txt' must end in .pdf",
    )


def test_events_cli(env: Path) -> None:  # noqa: F811
    t0 = dt.datetime.now(dt.UTC) - dt.timedelta(hours=6)
    times = [(t0 + dt.timedelta(hours=h)).isoformat(timespec="minutes") for h in (0, 2, 4, 5)]
    args = ["events", "create", "--code", "M-1", "--name", "测试", "--key-area", "1",
            "--crowd", "8000", "--arrival", times[0], "--start", times[1], "--end", times[2],
            "--dispersal", times[3]]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("event 1 M-1 created")
    r = CliRunner().invoke(app, ["events", "list"])
    assert r.exit_code == 0 and "M-1\tmatch\tpast" in r.output
    r = CliRunner().invoke(app, ["events", "board", "1"])
    assert r.exit_code == 0 and "posts staffed 0/" in r.output
    r = CliRunner().invoke(app, ["events", "report", "1", "--out", str(env / "r.pdf")])
    assert r.exit_code == 0, r.output
    assert (env / "r.pdf").read_bytes()[:5] == b"%PDF-"
    _one_line_error(CliRunner().invoke(app, args), "error: an event with code 'M-1' exists")
    bad = [*args[:-2], "--dispersal", "2026-01-01T00:00"]
    _one_line_error(
        CliRunner().invoke(app, bad),
        "error: --dispersal: '2026-01-01T00:00' has no time zone; add +08:00",
    )
