"""``pingan evaluation compute``: bad input exits 2 with one line; files are written."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pingan.cli import app


@pytest.mark.parametrize(
    "args,line",
    [
        (["--period", "2026Q5"], "error: --period: '2026Q5' is not a period; use 2026Q3"),
        (
            ["--period", "2026-09-01..2026-08-01"],
            "error: --period: the end 2026-08-01 is before the start 2026-09-01",
        ),
        (
            ["--period", "2026Q3", "--level", "district"],
            "error: --level: 'district' is not a level; use officer, cell, community, station",
        ),
        (
            ["--period", "2026Q3", "--out", "x.docx"],
            "error: --out: 'x.docx' must end in .xlsx, .pdf or .csv",
        ),
        (["--period", "2026Q3", "--lang", "fr"], "error: --lang: 'fr' is not a language"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], line: str) -> None:
    r = CliRunner().invoke(app, ["evaluation", "compute", *args])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line)


def test_writes_excel_on_an_empty_database(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pingan.config import get_settings
    from pingan.store.engine import reset_engine

    monkeypatch.setenv("PINGAN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    reset_engine()
    out = tmp_path / "s.xlsx"
    try:
        r = CliRunner().invoke(
            app,
            [
                "evaluation",
                "compute",
                "--period",
                "2026Q3",
                "--level",
                "station",
                "--out",
                str(out),
            ],
        )
        assert r.exit_code == 0, r.output
        assert "0 station scorecards for 2026Q3 written to" in r.output
        assert load_workbook(out).sheetnames == ["得分", "指标明细", "评价方案"]
    finally:
        get_settings.cache_clear()
        reset_engine()
