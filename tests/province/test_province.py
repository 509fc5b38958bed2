"""The synthetic province on Parquet and its analyses on both engines (issue 25).

One small province (2 cities, scale 0.02, one year) is built once; the same seed gives the same
files, and every analysis gives the same numbers with ``--engine local`` and ``--engine dask``
(a 2-worker LocalCluster)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pingan.demo.province import build_province, city_offsets
from pingan.province import layout
from pingan.province.engine import Params, dask_client, run
from pingan.province.results import province_summary

END = dt.datetime(2026, 12, 7, 4, tzinfo=dt.UTC)
ARGS: dict[str, Any] = {"cities": 2, "scale": 0.02, "seed": 11, "end": END, "years": 1.0}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small province; its two cities share one road network (one ``build_city``, the
    slow part) but not their incidents (each city's own seed). The slow test below builds
    the real thing."""
    import pingan.demo.province as dp

    out = tmp_path_factory.mktemp("province")
    one = dp.build_city(seed=ARGS["seed"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dp, "build_city", lambda seed: one)
        build_province(out, **ARGS)
    return out


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dask_client(2) as c:
        yield c


def test_layout_is_partitioned_by_city_and_month(province: Path) -> None:
    man = layout.read_manifest(province)
    assert [c.code for c in man.cities] == ["C01", "C02"]
    parts = layout.partitions(province)
    assert {p.city for p in parts} == {"C01", "C02"}
    assert len({p.month for p in parts}) in (12, 13)
    for p in parts[:3]:
        cols = layout.read_partition(p.path)
        assert set(cols) == set(layout.COLUMNS)
        months = (
            layout.local_day(cols["reported_at"], man.utc_offset_s).astype("datetime64[D]")
        ).astype("datetime64[M]")
        assert {str(m) for m in months} == {p.month}
    # the two cities sit apart on the one frame
    a, b = (layout.read_city(province, c, ("x_m",))["x_m"] for c in ("C01", "C02"))
    assert a.max() < b.min()
    assert city_offsets(4, 10.0) == [(-5.0, 5.0), (5.0, 5.0), (-5.0, -5.0), (5.0, -5.0)]


def test_same_arrays_same_bytes(province: Path, tmp_path: Path) -> None:
    """Writing is deterministic: one city's tables rewritten give byte-identical files."""
    man = layout.read_manifest(province)
    cols = layout.read_city(province, "C01")
    written = layout.write_city(tmp_path, "C01", cols, utc_offset_s=man.utc_offset_s)
    for path in written:
        rel = path.relative_to(tmp_path)
        assert path.read_bytes() == (province / rel).read_bytes()
    assert len(written) == len(layout.partitions(province, ["C01"]))


@pytest.mark.slow
def test_same_seed_same_files(tmp_path: Path) -> None:
    """The whole build twice from the same seed: the same files, byte for byte (~30 s)."""
    province = tmp_path / "a"
    build_province(province, **ARGS)
    tmp_path = tmp_path / "b"
    build_province(tmp_path, **ARGS)
    mine = sorted(p.relative_to(province) for p in (province / "incidents").rglob("*.parquet"))
    again = sorted(p.relative_to(tmp_path) for p in (tmp_path / "incidents").rglob("*.parquet"))
    assert mine == again
    for rel in mine:
        assert pq.read_table(province / rel).equals(pq.read_table(tmp_path / rel))
        assert (province / rel).read_bytes() == (tmp_path / rel).read_bytes()
    assert (province / "province.json").read_bytes() == (tmp_path / "province.json").read_bytes()


def _close(a: Any, b: Any) -> None:
    """Equal structures, floats to 1e-9 relative."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
    else:
        assert a == b


@pytest.mark.parametrize("analysis", ["hotspots", "warnings", "trends", "forecast", "backtest"])
def test_both_engines_give_the_same_numbers(province: Path, client: Any, analysis: str) -> None:
    p = Params(
        start=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 15, tzinfo=dt.UTC),
    )
    local = run(analysis, province, engine="local", params=p)
    dask = run(analysis, province, engine="dask", params=p, client=client)
    assert local["as_of"] == dask["as_of"] == "2026-12-07"
    assert len(local["cities"]) == 2
    _close(local["cities"], dask["cities"])
    if analysis == "hotspots":
        assert all(c["hot_cells"] > 0 for c in local["cities"])
        # the dask run read one partition a task and reduced them
        assert dask["timing"]["tasks"] > local["timing"]["tasks"]


def test_hotspot_counts_match_the_raw_points(province: Path) -> None:
    out = run("hotspots", province, params=Params(days=28))
    man = layout.read_manifest(province)
    end_s = int(END.timestamp())
    for c in out["cities"]:
        cols = layout.read_city(province, c["city"], ("reported_at", "x_m", "y_m"))
        t = cols["reported_at"]
        n = int(((t >= end_s - 28 * 86_400) & (t < end_s)).sum())
        assert c["n_incidents"] == n
        assert sum(f["properties"]["count"] for f in c["features"]) == n
        assert man.city(c["city"]).code == c["city"]


def test_cli_hotspots_json_and_summary(province: Path, tmp_path: Path) -> None:
    from pingan.cli import app

    out = tmp_path / "hot.json"
    argv = ["analyze", "hotspots", "--data", str(province), "--json", str(out)]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0, r.output
    fc = json.loads(out.read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection"
    props = fc["features"][0]["properties"]
    assert {"city", "cell", "z", "p", "hot"} <= set(props)
    assert {f["properties"]["city"] for f in fc["features"]} == {"C01", "C02"}
    assert any(f["properties"]["hot"] for f in fc["features"])
    for name in ("trends", "warnings"):
        r = CliRunner().invoke(app, ["analyze", name, "--data", str(province)])
        assert r.exit_code == 0, r.output
    summary = province_summary(province)
    assert summary["ready"]
    assert [c["rank"] for c in summary["cities"]] == [1, 2]
    assert all(c["hot_cells"] for c in summary["cities"])
    assert set(summary["runs"]) == {"trends", "hotspots", "warnings"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["analyze", "hotspots", "--engine", "dask"], "--data: the dask engine reads"),
        (["analyze", "hotspots", "--engine", "spark", "--data", "x"], "--engine: 'spark'"),
        (["analyze", "trends", "--data", "/nonexistent"], "--data: /nonexistent has no"),
        (["province", "build", "--cities", "0", "--out", "x"], "--cities: must be 1..64"),
        (["province", "build", "--scale", "-1", "--out", "x"], "--scale: must be in"),
    ],
)
def test_cli_bad_input_exits_2(argv: list[str], message: str) -> None:
    from pingan.cli import app

    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_local_day_is_the_bureau_day() -> None:
    t = np.array([16 * 3600 - 1, 16 * 3600], dtype=np.int64)  # 23:59:59 and 00:00 in Shanghai
    assert layout.local_day(t, 8 * 3600).tolist() == [0, 1]


@pytest.mark.parametrize(("size", "radius"), [(7, 1), (5, 2), (64, 1)])
def test_gi_star_by_tiles_with_a_halo_is_exact(size: int, radius: int) -> None:
    from pingan.analytics import getis_ord_gi_star
    from pingan.province.analysis import gi_star_moments, gi_star_tile, tiles

    rng = np.random.default_rng(4)
    counts = rng.poisson(rng.gamma(0.5, 2.0, (23, 31))).astype(np.int64)
    whole = getis_ord_gi_star(counts.astype(float), radius_cells=radius)
    z = np.full(counts.shape, np.nan)
    m = gi_star_moments(counts)
    for rows, cols in tiles(*counts.shape, size):
        z[rows[0] : rows[1], cols[0] : cols[1]] = gi_star_tile(
            counts, rows, cols, m, radius_cells=radius
        )
    np.testing.assert_allclose(z, whole, rtol=1e-10, atol=1e-12)


def test_an_existing_scheduler_is_used(province: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``PINGAN_DASK_SCHEDULER`` names a running scheduler: the run goes there (and leaves it
    running)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        monkeypatch.setenv("PINGAN_DASK_SCHEDULER", cluster.scheduler_address)
        out = run("trends", province, engine="dask")
        assert cluster.scheduler.status.name == "running"
        assert cluster.scheduler.transition_counter > 0  # the tasks ran there
    assert out["engine"] == "dask" and len(out["cities"]) == 2


def test_a_quiet_city_has_no_hot_spot() -> None:
    """No incident in the window (Gi* undefined): z = 0 everywhere, no hot cell, on both the
    whole-grid and the tiled path."""
    from pingan.province.analysis import (
        CityGrid,
        gi_star_moments,
        gi_star_tile,
        hotspot_city,
    )

    city = layout.CityInfo("C09", "x", "x", 0, (0.0, 0.0), (0.0, 0.0, 1000.0, 1000.0))
    grid = CityGrid.of(city, 250.0)
    zero = np.zeros((grid.ny, grid.nx), dtype=np.int64)
    out = hotspot_city(city, zero, grid)
    assert out["hot_cells"] == 0 and out["n_incidents"] == 0
    z = gi_star_tile(zero, (0, 2), (0, 4), gi_star_moments(zero))
    assert z.shape == (2, 4) and not z.any()


def test_a_change_against_a_period_before_the_data_is_not_shown() -> None:
    """One year of data: year-to-date and year-on-year compare against a period the data does
    not hold (it showed "+50,000 %"); those windows carry no change, the others keep theirs."""
    from pingan.province.analysis import _short_windows

    as_of = int(np.datetime64("2026-12-06", "D").astype(np.int64))
    year_of_data = as_of - 364
    assert _short_windows(year_of_data, as_of) == {"ytd", "yoy_28d"}
    assert _short_windows(as_of - 30, as_of) == {"ytd", "yoy_28d", "days28"}
    assert _short_windows(as_of - 800, as_of) == set()
