"""Forecasts: hit rate / PAI / PEI definitions, the three forecasters and the backtest."""

from __future__ import annotations

import numpy as np
import pytest

from pingan.analytics import (
    Grid,
    KDEForecaster,
    NaiveForecaster,
    SEPPForecaster,
    backtest,
    hit_rate_pai_pei,
)


def test_hit_rate_pai_pei_by_hand() -> None:
    scores = np.array([[5.0, 1.0], [3.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    actual = np.array([[1.0, 4.0], [2.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    res = hit_rate_pai_pei(scores, actual, coverages=(0.1, 0.2))
    hit, pai, pei = res[0.1]  # 1 of 10 cells flagged: the score-5 cell with 1 of 8 events
    assert hit == pytest.approx(1 / 8) and pai == pytest.approx(1.25)
    assert pei == pytest.approx(1 / 4)
    hit, pai, pei = res[0.2]  # cells (0,0) and (1,0): 3 events; best 2 cells hold 6
    assert hit == pytest.approx(3 / 8) and pai == pytest.approx(3 / 8 / 0.2)
    assert pei == pytest.approx(0.5)
    with pytest.raises(ValueError, match="coverages: each must be in"):
        hit_rate_pai_pei(scores, actual, coverages=(0.0,))


def _hawkes(
    seed: int, *, mu_per_day: float, theta: float, omega: float, sigma: float, days: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n0 = rng.poisson(mu_per_day * days)
    x = list(rng.uniform(0, 5000, n0))
    y = list(rng.uniform(0, 5000, n0))
    t = list(rng.uniform(0, days, n0))
    queue = list(range(n0))
    while queue:
        i = queue.pop()
        for _ in range(rng.poisson(theta)):
            tc = t[i] + rng.exponential(1 / omega)
            if tc < days:
                x.append(x[i] + rng.normal(0, sigma))
                y.append(y[i] + rng.normal(0, sigma))
                t.append(tc)
                queue.append(len(t) - 1)
    xa, ya, ta = np.array(x), np.array(y), np.array(t)
    keep = (xa > 0) & (xa < 5000) & (ya > 0) & (ya < 5000)
    return xa[keep], ya[keep], ta[keep]


def test_sepp_recovers_hawkes_parameters() -> None:
    x, y, t = _hawkes(1, mu_per_day=8, theta=0.4, omega=0.2, sigma=60, days=200)
    grid = Grid((0.0, 0.0, 5000.0, 5000.0), 100.0)
    m = SEPPForecaster(grid, window_days=200, background_bandwidth_m=800, max_trigger_m=400).fit(
        x, y, t, t_now=200.0
    )
    assert m.theta_ == pytest.approx(0.4, abs=0.1)
    assert m.omega_ == pytest.approx(0.2, rel=0.35)
    assert m.sigma_m_ == pytest.approx(60, rel=0.25)
    pred = m.predict(7.0)
    assert pred.shape == grid.shape and np.all(pred >= 0)
    # expected total over a week ~ background 8/day x 7 plus the triggered part
    assert 50 < pred.sum() < 110


def test_forecasters_and_backtest_on_hawkes_data() -> None:
    x, y, t = _hawkes(2, mu_per_day=6, theta=0.5, omega=0.3, sigma=50, days=150)
    grid = Grid((0.0, 0.0, 5000.0, 5000.0), 200.0)
    res = {}
    for name, f in {
        "naive": NaiveForecaster(grid, window_days=14),
        "kde": KDEForecaster(grid, bandwidth_m=150, time_scale_days=7, window_days=60),
        "sepp": SEPPForecaster(grid, window_days=100, max_trigger_m=300),
    }.items():
        r = backtest(
            f, x, y, t, grid=grid, start_day=120, end_day=150, step_days=3, coverages=(0.05,)
        )
        assert r.hit.shape == (10, 1)
        assert np.all((r.pei[np.isfinite(r.pei)] >= 0) & (r.pei[np.isfinite(r.pei)] <= 1))
        res[name] = r.mean_pai[0]
    assert res["sepp"] > 1.0 and res["kde"] > 1.0


def test_forecast_errors() -> None:
    grid = Grid((0.0, 0.0, 1000.0, 1000.0), 100.0)
    with pytest.raises(ValueError, match="t_days: no events before t_now"):
        NaiveForecaster(grid).fit([1.0], [1.0], [10.0], t_now=5.0)
    with pytest.raises(ValueError, match="NaiveForecaster: call fit before predict"):
        NaiveForecaster(grid).predict()
    with pytest.raises(ValueError, match="the point process needs at least 10 events, got 1"):
        SEPPForecaster(grid).fit([1.0], [1.0], [1.0], t_now=5.0)
    with pytest.raises(ValueError, match="t_days: empty selection"):
        backtest(NaiveForecaster(grid), [], [], [], grid=grid, start_day=0, end_day=1)
    with pytest.raises(ValueError, match="end_day: must be after start_day"):
        backtest(NaiveForecaster(grid), [1.0], [1.0], [1.0], grid=grid, start_day=2, end_day=1)
    with pytest.raises(ValueError, match="cell_m: must be > 0"):
        _ = Grid((0.0, 0.0, 1.0, 1.0), 0.0).shape
