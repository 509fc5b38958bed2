"""Early warning: seasonal baseline, EWMA/CUSUM with a calibrated false-alarm rate."""

from __future__ import annotations

import numpy as np
import pytest

from pingan.analytics import (
    SeasonalBaseline,
    calibrate_threshold,
    detect,
    poisson_cusum,
    poisson_ewma,
)

DAYS = np.arange(np.datetime64("2022-01-01"), np.datetime64("2024-01-01"))
HOLIDAYS = (np.datetime64("2022-10-01"), np.datetime64("2023-10-01"), np.datetime64("2023-01-22"))


def _series(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dow = (DAYS - np.datetime64("1970-01-05")).astype(int) % 7
    yrs = (DAYS - DAYS[0]).astype(float) / 365.25
    mu = 6.0 * np.where(dow >= 5, 1.5, 1.0) * np.exp(0.1 * yrs)
    mu *= 1 + 0.2 * np.sin(2 * np.pi * yrs)
    mu = np.where(np.isin(DAYS, np.array(HOLIDAYS)), mu * 2.5, mu)
    return rng.poisson(mu).astype(float), mu


def test_seasonal_baseline_recovers_expected_counts() -> None:
    y, mu = _series()
    b = SeasonalBaseline(holidays=HOLIDAYS).fit(DAYS, y)
    pred = b.predict(DAYS)
    assert np.abs(pred / mu - 1).mean() < 0.06
    hol = np.isin(DAYS, np.array(HOLIDAYS))
    assert pred[hol].mean() > 2 * pred[~hol].mean()
    assert b.coef_ is not None and b.n_iter_ < 50
    hourly = b.predict_hourly(DAYS[:3])
    np.testing.assert_allclose(hourly.sum(axis=1), pred[:3])


def test_baseline_errors() -> None:
    with pytest.raises(ValueError, match="dates: the baseline needs at least 14 days, got 5"):
        SeasonalBaseline().fit(DAYS[:5], np.ones(5))
    with pytest.raises(ValueError, match="counts: all zero"):
        SeasonalBaseline().fit(DAYS[:20], np.zeros(20))
    with pytest.raises(ValueError, match="SeasonalBaseline: call fit before predict"):
        SeasonalBaseline().predict(DAYS[:3])
    with pytest.raises(ValueError, match="hour_counts: must be 7 x 24"):
        SeasonalBaseline().fit(DAYS[:20], np.ones(20), hour_counts=np.ones((24,)))


@pytest.mark.parametrize("method", ["ewma", "cusum"])
def test_false_alarm_rate_holds_on_fresh_null_data(method: str) -> None:
    mu = np.full(400, 4.0)
    h = calibrate_threshold(mu, method=method, false_alarm_rate=0.01, n_sim=1000, seed=1)  # type: ignore[arg-type]
    rng = np.random.default_rng(99)
    sims = rng.poisson(mu, size=(1000, 400)).astype(float)
    stat = (
        poisson_ewma(sims, np.broadcast_to(mu, sims.shape))
        if method == "ewma"
        else poisson_cusum(sims, np.broadcast_to(mu, sims.shape))
    )
    rate = float((stat[:, 28:] > h).mean())
    assert 0.005 < rate <= 0.013


def test_detect_flags_an_outbreak() -> None:
    y, mu = _series(3)
    y = y.copy()
    y[-10:] += 10  # outbreak in the last 10 days
    for method in ("ewma", "cusum"):
        res = detect(y, mu, method=method, false_alarm_rate=1 / 365, n_sim=500)  # type: ignore[arg-type]
        assert res.alarm[-5:].all()
        assert res.alarm[:-10].mean() < 0.02
    with pytest.raises(ValueError, match="expected: must be finite and > 0"):
        detect(y, np.zeros_like(y))
    with pytest.raises(ValueError, match="false_alarm_rate: must be in"):
        detect(y, mu, false_alarm_rate=0.9)
