"""Early warning: a seasonal Poisson baseline per series and EWMA / CUSUM alarms with a stated
false-alarm rate.

A series is the daily count of one category in one area. :class:`SeasonalBaseline` gives the
expected count of each day; :func:`poisson_ewma` and :func:`poisson_cusum` turn observed vs
expected into a statistic; :func:`calibrate_threshold` finds the threshold whose per-day false
alarm probability under the baseline (counts ~ Poisson(expected)) equals the rate you state,
e.g. ``1/365`` = about one false alarm per series per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AlarmResult",
    "SeasonalBaseline",
    "calibrate_threshold",
    "detect",
    "poisson_cusum",
    "poisson_ewma",
]

FloatArray = NDArray[np.float64]
_MONDAY = np.datetime64("1970-01-05", "D")


def _as_days(dates: ArrayLike) -> NDArray[np.datetime64]:
    d = np.asarray(dates)
    if d.size == 0:
        raise ValueError("dates: empty selection")
    if not np.issubdtype(d.dtype, np.datetime64):
        raise TypeError(f"dates: must be datetime64 values, got dtype {d.dtype}")
    return d.astype("datetime64[D]").ravel()


@dataclass
class SeasonalBaseline:
    """Poisson log-linear baseline of daily counts, fitted by IRLS (Newton) with a small ridge.

    ``log E[y_d] = b0 + day-of-week effect + trend (per year) + annual harmonics
    (``n_harmonics`` sine/cosine pairs) + holiday effect``; a day is a holiday when it is in
    ``holidays``. ``hour_profile_`` (7 x 24 shares, rows Monday..Sunday) spreads a day's
    expected count over hours when hourly counts are given to ``fit``.

    Fitted attributes: ``coef_``, ``origin_``, ``hour_profile_``, ``n_iter_``.
    Time O(iterations x n p^2) for n days and p <= 12 terms, memory O(n p).
    """

    holidays: tuple[np.datetime64, ...] = ()
    trend: bool = True
    n_harmonics: int = 1
    ridge: float = 1e-6
    max_iter: int = 50
    coef_: FloatArray | None = field(default=None, init=False, repr=False)
    origin_: np.datetime64 = field(default=np.datetime64("1970-01-01", "D"), init=False)
    hour_profile_: FloatArray | None = field(default=None, init=False, repr=False)
    n_iter_: int = field(default=0, init=False)

    def _design(self, d: NDArray[np.datetime64]) -> FloatArray:
        dow = (d - _MONDAY).astype(np.int64) % 7
        cols = [np.ones(d.size)]
        cols += [(dow == k).astype(np.float64) for k in range(1, 7)]
        years = (d - self.origin_).astype(np.float64) / 365.25
        if self.trend:
            cols.append(years)
        for k in range(1, self.n_harmonics + 1):
            cols.append(np.sin(2 * np.pi * k * years))
            cols.append(np.cos(2 * np.pi * k * years))
        if self.holidays:
            hol = np.asarray(self.holidays, dtype="datetime64[D]")
            cols.append(np.isin(d, hol).astype(np.float64))
        return np.column_stack(cols)

    def fit(
        self, dates: ArrayLike, counts: ArrayLike, *, hour_counts: ArrayLike | None = None
    ) -> SeasonalBaseline:
        """Fit on daily ``counts`` at ``dates`` (one value per day; zeros must be present).

        ``hour_counts``: optional (7, 24) counts by weekday x hour for the hour profile.
        """
        d = _as_days(dates)
        y = np.asarray(counts, dtype=np.float64).ravel()
        if y.size != d.size:
            raise ValueError(f"counts: length {y.size} does not match {d.size} dates")
        if np.any(y < 0) or not np.all(np.isfinite(y)):
            raise ValueError("counts: must be finite and >= 0")
        if d.size < 14:
            raise ValueError(f"dates: the baseline needs at least 14 days, got {d.size}")
        if y.sum() == 0:
            raise ValueError("counts: all zero, no baseline can be estimated")
        self.origin_ = d.min()
        x = self._design(d)
        p = x.shape[1]
        beta = np.zeros(p)
        beta[0] = np.log(max(y.mean(), 1e-9))
        it = 0
        for it in range(1, self.max_iter + 1):  # noqa: B007 - Newton iterations
            eta = np.clip(x @ beta, -30, 30)
            mu = np.exp(eta)
            grad = x.T @ (y - mu) - self.ridge * beta
            hess = (x * mu[:, None]).T @ x + self.ridge * np.eye(p)
            step = np.linalg.solve(hess, grad)
            beta = beta + step
            if np.max(np.abs(step)) < 1e-9:
                break
        self.coef_ = beta
        self.n_iter_ = it
        if hour_counts is not None:
            h = np.asarray(hour_counts, dtype=np.float64)
            if h.shape != (7, 24):
                raise ValueError(f"hour_counts: must be 7 x 24, got {h.shape}")
            rs = h.sum(axis=1, keepdims=True)
            self.hour_profile_ = np.where(rs > 0, h / np.where(rs > 0, rs, 1), 1 / 24)
        return self

    def predict(self, dates: ArrayLike) -> FloatArray:
        """Expected count of each day. O(n p)."""
        if self.coef_ is None:
            raise ValueError("SeasonalBaseline: call fit before predict")
        d = _as_days(dates)
        return np.asarray(np.exp(np.clip(self._design(d) @ self.coef_, -30, 30)), np.float64)

    def predict_hourly(self, dates: ArrayLike) -> FloatArray:
        """Expected counts by hour, shape (days, 24): the daily expectation times the weekday's
        hour shares (uniform when no hour profile was fitted). O(24 n)."""
        d = _as_days(dates)
        daily = self.predict(d)
        prof = self.hour_profile_ if self.hour_profile_ is not None else np.full((7, 24), 1 / 24)
        dow = (d - _MONDAY).astype(np.int64) % 7
        return np.asarray(daily[:, None] * prof[dow], dtype=np.float64)


def _check_series(counts: ArrayLike, expected: ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(counts, dtype=np.float64)
    mu = np.asarray(expected, dtype=np.float64)
    if y.shape != mu.shape:
        raise ValueError(f"counts, expected: shapes differ ({y.shape} and {mu.shape})")
    if y.size == 0:
        raise ValueError("counts: empty series")
    if np.any(mu <= 0) or not np.all(np.isfinite(mu)):
        raise ValueError("expected: must be finite and > 0")
    return y, mu


def poisson_ewma(counts: ArrayLike, expected: ArrayLike, *, lam: float = 0.2) -> FloatArray:
    """Standardised Poisson EWMA along the last axis.

    ``Z_t = lam y_t + (1 - lam) Z_{t-1}``, with its null mean ``E_t`` and variance
    ``V_t = lam^2 mu_t + (1 - lam)^2 V_{t-1}`` (Z_0 = E_0 = 0, V_0 = 0); returns
    ``(Z_t - E_t) / sqrt(V_t)``. Works on (..., T) arrays (e.g. simulations). O(T) steps.
    """
    y, mu = _check_series(counts, expected)
    if not 0 < lam <= 1:
        raise ValueError(f"lam: must be in (0, 1], got {lam}")
    z = np.zeros(y.shape[:-1])
    e = np.zeros(y.shape[:-1])
    v = np.zeros(y.shape[:-1])
    out = np.empty(y.shape)
    for t in range(y.shape[-1]):
        z = lam * y[..., t] + (1 - lam) * z
        e = lam * mu[..., t] + (1 - lam) * e
        v = lam * lam * mu[..., t] + (1 - lam) ** 2 * v
        out[..., t] = (z - e) / np.sqrt(v)
    return out


def poisson_cusum(counts: ArrayLike, expected: ArrayLike, *, shift: float = 1.5) -> FloatArray:
    """Poisson CUSUM for an increase of the rate by the factor ``shift``, along the last axis.

    ``S_t = max(0, S_{t-1} + y_t ln(shift) - mu_t (shift - 1))`` (the log-likelihood ratio of
    rate ``shift mu_t`` against ``mu_t``), S_0 = 0, no restart. O(T) steps.
    """
    y, mu = _check_series(counts, expected)
    if not shift > 1:
        raise ValueError(f"shift: must be > 1, got {shift}")
    s = np.zeros(y.shape[:-1])
    out = np.empty(y.shape)
    ls = np.log(shift)
    for t in range(y.shape[-1]):
        s = np.maximum(0.0, s + y[..., t] * ls - mu[..., t] * (shift - 1))
        out[..., t] = s
    return out


def calibrate_threshold(
    expected: ArrayLike,
    *,
    method: Literal["ewma", "cusum"],
    false_alarm_rate: float = 1 / 365,
    lam: float = 0.2,
    shift: float = 1.5,
    n_sim: int = 2000,
    burn_in: int = 28,
    seed: int = 0,
) -> float:
    """Threshold whose per-day alarm probability under the null equals ``false_alarm_rate``.

    Simulates ``n_sim`` series ``y ~ Poisson(expected)``, runs the statistic and returns the
    ``1 - false_alarm_rate`` quantile of its values after ``burn_in`` days (so an in-control
    day alarms with that probability; 1/365 ~ one false alarm per series per year). Discrete
    counts make the realised rate at most the stated one. Time O(n_sim T), memory O(n_sim T).
    """
    mu = np.asarray(expected, dtype=np.float64).ravel()
    if not 0 < false_alarm_rate < 0.5:
        raise ValueError(f"false_alarm_rate: must be in (0, 0.5), got {false_alarm_rate}")
    if mu.size <= burn_in:
        raise ValueError(f"expected: need more than burn_in={burn_in} days, got {mu.size}")
    if n_sim * (mu.size - burn_in) * false_alarm_rate < 20:
        raise ValueError(
            f"n_sim: {n_sim} simulations give fewer than 20 exceedances at rate "
            f"{false_alarm_rate:g}; raise n_sim"
        )
    rng = np.random.default_rng(seed)
    sims = rng.poisson(np.broadcast_to(mu, (n_sim, mu.size))).astype(np.float64)
    mus = np.broadcast_to(mu, sims.shape)
    if method == "ewma":
        stat = poisson_ewma(sims, mus, lam=lam)
    elif method == "cusum":
        stat = poisson_cusum(sims, mus, shift=shift)
    else:
        raise ValueError(f"method: must be 'ewma' or 'cusum', got {method!r}")
    vals = stat[:, burn_in:].ravel()
    return float(np.quantile(vals, 1 - false_alarm_rate, method="higher")) + 1e-9


@dataclass(frozen=True)
class AlarmResult:
    """Alarm series: ``statistic`` per day, ``threshold``, ``alarm`` (statistic > threshold),
    the stated ``false_alarm_rate`` and ``method``."""

    statistic: FloatArray
    threshold: float
    alarm: NDArray[np.bool_]
    false_alarm_rate: float
    method: str


def detect(
    counts: ArrayLike,
    expected: ArrayLike,
    *,
    method: Literal["ewma", "cusum"] = "cusum",
    false_alarm_rate: float = 1 / 365,
    lam: float = 0.2,
    shift: float = 1.5,
    n_sim: int = 2000,
    seed: int = 0,
) -> AlarmResult:
    """Run EWMA or CUSUM on one series with a threshold calibrated to ``false_alarm_rate``.

    O(n_sim T) for the calibration, O(T) for the statistic.
    """
    y, mu = _check_series(counts, expected)
    stat = poisson_ewma(y, mu, lam=lam) if method == "ewma" else poisson_cusum(y, mu, shift=shift)
    burn = min(28, max(0, mu.size // 4))
    h = calibrate_threshold(
        mu,
        method=method,
        false_alarm_rate=false_alarm_rate,
        lam=lam,
        shift=shift,
        n_sim=n_sim,
        burn_in=burn,
        seed=seed,
    )
    return AlarmResult(stat, h, stat > h, false_alarm_rate, method)
