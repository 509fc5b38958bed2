"""``pingan cameras …``: add, list, edit, retire, import, figures, blind spots and siting with
its plan files; one-line errors with exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.cli import app
from tests.factories import LAT0, LON0
from tests.rapid_response.city import build


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from pingan.cameras.figures import clear_cache
    from pingan.config import get_settings
    from pingan.store.engine import make_engine, migrate, reset_engine
    from tests.factories import build_small_city

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    migrate(eng)
    with Session(eng) as s:
        build(s, build_small_city(s), tmp_path, n_incidents=40)
        s.commit()
    eng.dispose()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    reset_engine()
    clear_cache()
    try:
        yield tmp_path
    finally:
        get_settings.cache_clear()
        reset_engine()
        clear_cache()


def _run(*args: str) -> object:
    return CliRunner().invoke(app, ["cameras", *args])


def _error(r: object, text: str) -> None:
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    assert r.output.strip().splitlines()[-1] == text  # type: ignore[attr-defined]


def test_registry_commands(env: Path) -> None:
    pos = ["--lon", str(LON0 + 0.011), "--lat", str(LAT0 + 0.009)]
    r = _run("add", *pos, "--heading", "90", "--fov", "90", "--range", "100", "--code", "K-1")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "K-1 registered" in r.output  # type: ignore[attr-defined]
    r = _run("list", "--json")
    rows = [json.loads(x) for x in r.output.splitlines()]  # type: ignore[attr-defined]
    assert [c["code"] for c in rows] == ["K-1"]
    cid = str(rows[0]["id"])
    r = _run("edit", cid, "--status", "offline")
    assert r.exit_code == 0 and "status changed" in r.output  # type: ignore[attr-defined]
    assert "1 of 1 cameras" in _run("list", "--status", "offline").output  # type: ignore[attr-defined]
    r = _run("retire", cid, "--reason", "拆除")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "0 of 0 cameras" in _run("list").output  # type: ignore[attr-defined]
    _error(
        _run("add", *pos, "--heading", "400", "--fov", "90", "--range", "100"),
        "error: --heading: Input should be less than 360",
    )
    _error(_run("list", "--bbox", "1,2"), "error: --bbox: expected 4 numbers W,S,E,N, got 2")
    _error(
        _run("list", "--status", "broken"),
        "error: --status: 'broken' is not a camera status; use online, offline, maintenance, "
        "retired",
    )
    _error(
        _run("edit", "999", "--status", "online"),
        "error: camera 999 does not exist or is outside your jurisdiction",
    )
    _error(
        _run("edit", cid),
        "error: nothing to change: give at least one of --heading, --fov, --range, --status, …",
    )


def test_import_figures_blind_spots_and_siting(env: Path) -> None:
    lines = ["code,lon,lat,heading_deg,fov_deg,range_m,status"]
    for i in range(12):
        lines.append(
            f"M-{i},{LON0 + 0.005 + 0.006 * i},{LAT0 + 0.01},{30 * i},90,150,"
            + ("offline" if i == 0 else "online")
        )
    lines.append(f"M-bad,{LON0 + 0.01},{LAT0 + 0.01},10,0,150,online")
    f = env / "cams.csv"
    f.write_text("\n".join(lines) + "\n")
    r = _run("import", str(f), "--rejects", str(env / "rej.csv"))
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "13 rows: 12 created, 0 updated, 1 rejected" in r.output  # type: ignore[attr-defined]
    assert "row 14 M-bad: fov_deg:" in r.output  # type: ignore[attr-defined]
    assert (env / "rej.csv").read_text().startswith("row,code,field,reason")
    r = _run("figures")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    out = r.output.splitlines()  # type: ignore[attr-defined]
    assert out[0].split() == ["area", "cameras", "down", "incidents", "seen", "road", "seen"]
    assert out[1].split()[:3] == ["全部", "12", "1"]
    assert [x.split()[0] for x in out[2:4]] == ["第1派出所", "第2派出所"]
    r = _run("blind-spots", "--out", str(env / "bs.geojson"))
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert json.loads((env / "bs.geojson").read_text())["type"] == "FeatureCollection"
    r = _run(
        "site", "--n", "4", "--range", "120", "--time-limit-s", "5", "--out", str(env / "p.xlsx")
    )
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "4 new cameras" in r.output and (env / "p.xlsx").read_bytes()[:2] == b"PK"  # type: ignore[attr-defined]
    r = _run("site", "--n", "2", "--out", str(env / "p.geojson"), "--station", "T1-S1")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert len(json.loads((env / "p.geojson").read_text())["features"]) == 4
    _error(
        _run("site", "--out", str(env / "p.pdf")),
        "error: --out: 'p.pdf' must end in .geojson or .xlsx",
    )
    _error(_run("site", "--station", "XX"), "error: --station: no station 'XX'")
    _error(_run("import", str(env / "none.csv")), f"error: FILE: {env / 'none.csv'} does not exist")
