"""Evaluation: hot-spot forecasts (naive, prospective KDE, self-exciting point process) on real
data, walked forward; prints PAI at 1% (and hit rate / PEI) per method.

* Chicago aggravated assaults: fit on events up to the end of 2018, walk forward weekly through
  2019 (52 one-week forecasts), 150 m cells.
* Portland calls for service (NIJ 2016): walk forward daily through September 2016 (30 one-day
  forecasts, history from August), 150 m cells.

KDE appears twice: with fixed defaults (200 m, 30-day decay) and with bandwidth and decay chosen
on the periods just BEFORE the test period (8 weeks of late 2018; 16 days of late August 2016),
so the test period is never used to choose them.

Study area = the cells that hold at least one event in the file (stand-in for the city polygon).
Coordinates are projected with ``pingan.geo.crs.LocalProjection`` (metres). There is no external
reference tool to time against here: the check is whether KDE and SEPP beat the naive baseline.

    .venv/bin/python benchmarks/bench_analytics_forecast.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import time
from pathlib import Path

import numpy as np

from pingan.analytics.forecast import (
    Grid,
    KDEForecaster,
    NaiveForecaster,
    SEPPForecaster,
    backtest,
)
from pingan.geo.crs import LocalProjection

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COVERAGES = (0.01, 0.02, 0.05)


def load_chicago() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.datetime64]:
    with gzip.open(DATA / "chicago" / "chicago_aggravated_assaults.csv.gz", "rt") as f:
        rows = list(csv.DictReader(f))
    lon = np.array([float(r["longitude"] or "nan") for r in rows])
    lat = np.array([float(r["latitude"] or "nan") for r in rows])
    when = np.array([r["date"].replace(" ", "T") for r in rows], dtype="datetime64[m]")
    ok = (lon > -88.0) & (lon < -87.5) & (lat > 41.6) & (lat < 42.1)
    origin = np.datetime64("2010-01-01T00:00", "m")
    t = (when[ok] - origin).astype(np.float64) / 1440.0
    x, y = LocalProjection(-87.68, 41.84).forward(lon[ok], lat[ok])
    return x, y, t, np.datetime64("2010-01-01")


def load_portland() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.datetime64]:
    with open(DATA / "portland_nij" / "portland_cfs_2016_aug_sep.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    lon = np.array([float(r["lon"] or "nan") for r in rows])
    lat = np.array([float(r["lat"] or "nan") for r in rows])
    when = np.array([r["occ_date"] for r in rows], dtype="datetime64[D]")
    # a few rows carry placeholder coordinates far outside the city: keep the Portland box
    ok = (lon > -123.0) & (lon < -122.3) & (lat > 45.3) & (lat < 45.8)
    origin = np.datetime64("2016-08-01")
    t = (when[ok] - origin).astype(np.float64)
    x, y = LocalProjection(-122.62, 45.53).forward(lon[ok], lat[ok])
    return x, y, t, origin


def make_grid(x: np.ndarray, y: np.ndarray, cell_m: float) -> Grid:
    bounds = (float(x.min()) - 1, float(y.min()) - 1, float(x.max()) + 1, float(y.max()) + 1)
    g = Grid(bounds, cell_m)
    mask = g.counts(x, y) > 0
    return Grid(bounds, cell_m, mask)


def tune_kde(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    *,
    start: float,
    step: float,
    n_steps: int,
) -> tuple[float, float]:
    """Pick the KDE bandwidth and decay on the n_steps periods BEFORE the test period."""
    best = (-1.0, 200.0, 30.0)
    for bw in (50.0, 100.0, 200.0):
        for ts in (7.0, 30.0):
            f = KDEForecaster(grid, bandwidth_m=bw, time_scale_days=ts, window_days=365.0)
            r = backtest(
                f,
                x,
                y,
                t,
                grid=grid,
                start_day=start - n_steps * step,
                end_day=start,
                step_days=step,
                coverages=(0.01,),
            )
            best = max(best, (float(r.mean_pai[0]), bw, ts))
    return best[1], best[2]


def run(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    t: np.ndarray,
    *,
    start: float,
    end: float,
    step: float,
    window_naive: float,
    quick: bool,
    tune_steps: int,
) -> None:
    grid = make_grid(x, y, 150.0)
    if quick:
        end = min(end, start + 4 * step)
        tune_steps = 2
    bw, ts = tune_kde(grid, x, y, t, start=start, step=step, n_steps=tune_steps)
    methods = {
        f"naive (last {window_naive:g} d)": NaiveForecaster(grid, window_days=window_naive),
        "KDE (200 m, 30 d decay)": KDEForecaster(
            grid, bandwidth_m=200.0, time_scale_days=30.0, window_days=365.0
        ),
        f"KDE tuned ({bw:g} m, {ts:g} d)": KDEForecaster(
            grid, bandwidth_m=bw, time_scale_days=ts, window_days=365.0
        ),
        "SEPP (EM, 1 y history)": SEPPForecaster(grid, window_days=365.0),
    }
    n_cells = int(grid.mask.sum()) if grid.mask is not None else 0
    print(
        f"\n{name}: {n_cells:,} study cells of 150 m, steps of {step:g} d, "
        f"{int((end - start) / step)} forecasts"
    )
    print(
        f"{'method':>26s} {'PAI@1%':>7s} {'PAI@2%':>7s} {'PAI@5%':>7s} {'hit@1%':>7s} "
        f"{'PEI@1%':>7s} {'pooled PAI@1%':>14s} {'s':>6s}"
    )
    base = None
    for label, m in methods.items():
        t0 = time.perf_counter()
        r = backtest(
            m, x, y, t, grid=grid, start_day=start, end_day=end, step_days=step, coverages=COVERAGES
        )
        dt = time.perf_counter() - t0
        pai = r.mean_pai
        print(
            f"{label:>26s} {pai[0]:7.2f} {pai[1]:7.2f} {pai[2]:7.2f} {r.mean_hit[0]:7.3f} "
            f"{r.mean_pei[0]:7.3f} {r.pai_pooled[0]:14.2f} {dt:6.1f}"
        )
        if base is None:
            base = pai[0]
        else:
            verdict = "beats" if pai[0] > base else "FAILS to beat"
            print(
                f"{'':>26s} -> {verdict} naive by {pai[0] - base:+.2f} PAI@1% "
                f"({(pai[0] / base - 1) * 100:+.1f}%)"
            )
        if isinstance(m, SEPPForecaster):
            print(
                f"{'':>26s}    last fit: theta {m.theta_:.3f}, omega {m.omega_:.3f}/d, "
                f"sigma {m.sigma_m_:.0f} m, {m.n_iter_} EM iterations"
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is absent")
    x, y, t, origin = load_chicago()
    d2019 = float((np.datetime64("2019-01-01") - origin).astype(np.float64))
    d2020 = float((np.datetime64("2020-01-01") - origin).astype(np.float64))
    run(
        "Chicago aggravated assaults 2019",
        x,
        y,
        t,
        start=d2019,
        end=d2020 - 6,
        step=7.0,
        window_naive=28.0,
        quick=ns.quick,
        tune_steps=8,
    )
    x, y, t, origin = load_portland()
    s = float((np.datetime64("2016-09-01") - origin).astype(np.float64))
    run(
        "Portland calls for service, September 2016",
        x,
        y,
        t,
        start=s,
        end=s + 30,
        step=1.0,
        window_naive=7.0,
        quick=ns.quick,
        tune_steps=16,
    )


if __name__ == "__main__":
    main()
