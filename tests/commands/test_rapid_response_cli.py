"""``pingan coverage report|optimise`` and ``pingan roads import``: output files and one-line
errors with exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.cli import app
from tests.rapid_response.city import build


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from pingan.config import get_settings
    from pingan.rapid_response.data import clear_network_cache
    from pingan.store.engine import make_engine, migrate, reset_engine
    from tests.factories import build_small_city

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    migrate(eng)
    with Session(eng) as s:
        build(s, build_small_city(s), tmp_path)
        s.commit()
    eng.dispose()
    monkeypatch.setenv("PINGAN_DATABASE_URL", url)
    monkeypatch.setenv("PINGAN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    reset_engine()
    clear_network_cache()
    try:
        yield tmp_path
    finally:
        get_settings.cache_clear()
        reset_engine()
        clear_network_cache()


def _one_line_error(r: object, text: str) -> None:
    out = r.output.strip().splitlines()  # type: ignore[attr-defined]
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    assert out[-1] == text


def test_report_table_json_and_csv(env: Path) -> None:
    r = CliRunner().invoke(
        app,
        [
            "coverage",
            "report",
            "--standard",
            "60,180,300",
            "--at",
            "18:00",
            "--mode",
            "car",
            "--json",
            str(env / "r.json"),
            "--csv",
            str(env / "r.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "key_areas" in r.output and "incidents" in r.output
    out = json.loads((env / "r.json").read_text(encoding="utf-8"))
    assert out["standards_s"] == [60, 180, 300] and out["at"] == "18:00"
    lines = (env / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "layer,count,standard_s,covered,covered_share,outside"
    assert any(line.startswith("key_areas,2,60.0,1,0.5,1") for line in lines)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--standard", "0"], "error: --standard: must be > 0 seconds, got 0"),
        (["--standard", "60,x"], "error: --standard: 'x' is not a number of seconds"),
        (["--at", "25:00"], "error: --at: expected a time of day HH:MM such as 18:00, got '25:00'"),
        (
            ["--mode", "boat"],
            "error: --mode: 'boat' is not a travel mode; use one of car, motorcycle, foot",
        ),
        (["--from", "nobody"], "error: --from: 'nobody'; use posts or units"),
    ],
)
def test_report_bad_input_exits_2(env: Path, args: list[str], error: str) -> None:
    _one_line_error(CliRunner().invoke(app, ["coverage", "report", *args]), error)


def test_optimise_writes_the_plan(env: Path) -> None:
    out = env / "plan.geojson"
    r = CliRunner().invoke(
        app,
        [
            "coverage",
            "optimise",
            "--posts",
            "3",
            "--standard",
            "180",
            "--keep-existing",
            "2",
            "--out",
            str(out),
            "--spacing",
            "500",
            "--method",
            "exact",
            "--time-limit",
            "30",
        ],
    )
    assert r.exit_code == 0, r.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert len(plan["features"]) == 3
    assert sum(f["properties"]["kept"] for f in plan["features"]) == 2
    props = plan["properties"]
    assert props["posts"] == 3 and props["model"]["status"] == "optimal"
    rows = {row["layer"]: row for row in props["before_after"]}
    assert rows["grid_cells"]["after_share"] >= rows["grid_cells"]["before_share"]
    sites = env / "sites.csv"
    sites.write_text("lon,lat,name\n102.72,25.03,A\n102.74,25.03,B\n", encoding="utf-8")
    r = CliRunner().invoke(
        app,
        ["coverage", "optimise", "--posts", "2", "--candidates", str(sites), "--out", str(out)],
    )
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--posts", "2", "--standard", "-1"], "error: --standard: must be > 0 seconds, got -1"),
        (["--posts", "0"], "error: --posts: must be >= 1, got 0"),
        (
            ["--posts", "2", "--keep-existing", "3"],
            "error: --keep-existing: 3 is more than posts 2",
        ),
        (
            ["--posts", "3", "--keep-existing", "3"],
            "error: --keep-existing: 3 asked but there are only 2 posts today",
        ),
        (
            ["--posts", "900", "--spacing", "5000"],
            "error: --posts: 900 posts asked but there are only 10 candidate sites (8 new, 2 of "
            "today's posts); lower --posts or add candidates",
        ),
        (["--posts", "2", "--method", "magic"], "error: --method: 'magic'; use exact or heuristic"),
        (
            ["--posts", "2", "--candidates", "nowhere.csv"],
            "error: --candidates: road_nodes, premises or a file of sites; nowhere.csv not found",
        ),
    ],
)
def test_optimise_bad_input_exits_2(env: Path, args: list[str], error: str) -> None:
    r = CliRunner().invoke(app, ["coverage", "optimise", *args, "--out", str(env / "p.json")])
    _one_line_error(r, error)


def test_roads_import_saves_where_the_app_loads(env: Path, shared_data: Path) -> None:
    from pingan.rapid_response.data import load_network

    pbf = shared_data / "osm" / "test.osm.pbf"
    if not pbf.is_file():
        pytest.skip(f"{pbf} not found")
    r = CliRunner().invoke(app, ["roads", "import", str(pbf)])
    assert r.exit_code == 0, r.output
    assert "road network saved" in r.output
    assert load_network(env).n_nodes > 1000
    r = CliRunner().invoke(app, ["roads", "import", str(pbf), "--bbox", "0,0,1,1"])
    _one_line_error(
        r,
        "error: FILE: test.osm.pbf has no roads (no ways with a known highway tag inside the bbox)",
    )


def test_roads_import_without_roads_exits_2(env: Path) -> None:
    osm = env / "empty.osm"
    osm.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="25.0" lon="102.7" version="1"/></osm>',
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["roads", "import", str(osm)])
    _one_line_error(r, "error: FILE: empty.osm has no roads (no ways with a known highway tag)")
    r = CliRunner().invoke(app, ["roads", "import", str(env / "missing.pbf")])
    assert r.exit_code == 2 and "FILE: not found" in r.output
