"""Hot-spot forecasts of grid cells and their walk-forward backtest (hit rate, PAI, PEI).

Three forecasters share one interface (scikit-learn style: ``__init__`` stores parameters,
``fit(x_m, y_m, t_days, *, t_now)`` uses events strictly before ``t_now`` and returns self,
``predict(horizon_days)`` returns a (rows = y, columns = x) grid of scores; larger = riskier):

* :class:`NaiveForecaster` - counts per cell over the last ``window_days``.
* :class:`KDEForecaster` - prospective KDE: Gaussian kernel in space (``bandwidth_m``) times
  ``exp(-age / time_scale_days)`` in time, over the last ``window_days``.
* :class:`SEPPForecaster` - self-exciting point process (Mohler et al. 2011) with intensity
  ``lambda(x, t) = mu(x) + sum_{t_i < t} theta omega exp(-omega (t - t_i)) N(x - x_i; sigma)``,
  background ``mu`` a Gaussian-smoothed grid, fitted by EM (stochastic declustering in
  expectation); the forecast is the expected number of events in each cell over
  ``[t_now, t_now + horizon]``.

The backtest follows open_cp's definitions: with the cells of the study area ranked by the
forecast, the top ``ceil(coverage * N)`` cells (ties by cell order) are flagged; **hit rate** =
share of the next period's events in flagged cells; **PAI** = hit rate / area share flagged;
**PEI** = hits / the most events any set of that many cells could have caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pingan.analytics.hotspots import _check_grid, kde_grid

__all__ = [
    "BacktestResult",
    "Forecaster",
    "Grid",
    "KDEForecaster",
    "NaiveForecaster",
    "SEPPForecaster",
    "backtest",
    "hit_rate_pai_pei",
]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """A metric grid: ``bounds = (xmin, ymin, xmax, ymax)`` in metres, square ``cell_m`` cells.

    ``mask`` (rows = y, columns = x) marks the cells of the study area (all cells if None).
    """

    bounds: tuple[float, float, float, float]
    cell_m: float
    mask: NDArray[np.bool_] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) = (ny, nx)."""
        return _check_grid(1.0, self.cell_m, self.bounds)

    def cell_index(self, x_m: FloatArray, y_m: FloatArray) -> NDArray[np.int64]:
        """Flat cell index (row-major) of each point, -1 outside the bounds."""
        ny, nx = self.shape
        x0, y0, _, _ = self.bounds
        ix = np.floor((x_m - x0) / self.cell_m).astype(np.int64)
        iy = np.floor((y_m - y0) / self.cell_m).astype(np.int64)
        ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        return np.where(ok, iy * nx + ix, -1)

    def counts(self, x_m: FloatArray, y_m: FloatArray) -> FloatArray:
        """Events per cell, (ny, nx)."""
        ny, nx = self.shape
        c = self.cell_index(x_m, y_m)
        return np.bincount(c[c >= 0], minlength=ny * nx).reshape(ny, nx).astype(np.float64)


class Forecaster(Protocol):
    """What :func:`backtest` needs from a forecaster."""

    def fit(
        self, x_m: FloatArray, y_m: FloatArray, t_days: FloatArray, *, t_now: float
    ) -> Forecaster: ...

    def predict(self, horizon_days: float) -> FloatArray: ...


def _prep(
    x_m: ArrayLike, y_m: ArrayLike, t_days: ArrayLike, t_now: float, window_days: float | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    t = np.asarray(t_days, dtype=np.float64).ravel()
    if not (x.size == y.size == t.size):
        raise ValueError("x_m, y_m, t_days: must have the same length")
    keep = t < t_now
    if window_days is not None:
        keep &= t >= t_now - window_days
    if not keep.any():
        raise ValueError(
            f"t_days: no events before t_now={t_now} in the last {window_days} days; "
            "nothing to forecast from"
        )
    return x[keep], y[keep], t[keep]


@dataclass
class NaiveForecaster:
    """Last-period counts: the score of a cell is its number of events in the ``window_days``
    before ``t_now``. O(n + cells)."""

    grid: Grid
    window_days: float = 7.0
    counts_: FloatArray | None = field(default=None, init=False, repr=False)

    def fit(
        self, x_m: ArrayLike, y_m: ArrayLike, t_days: ArrayLike, *, t_now: float
    ) -> NaiveForecaster:
        x, y, _ = _prep(x_m, y_m, t_days, t_now, self.window_days)
        self.counts_ = self.grid.counts(x, y)
        return self

    def predict(self, horizon_days: float = 1.0) -> FloatArray:
        if self.counts_ is None:
            raise ValueError("NaiveForecaster: call fit before predict")
        return self.counts_


@dataclass
class KDEForecaster:
    """Prospective KDE with time decay: ``score(c) = sum_i exp(-(t_now - t_i) / time_scale_days)
    K_h(c - x_i)`` over events of the last ``window_days`` (Gaussian K, h = ``bandwidth_m``),
    computed by :func:`~pingan.analytics.hotspots.kde_grid` with at most 4x internal
    oversampling (a ranking needs no better), times the cell area. O(n + G log G)."""

    grid: Grid
    bandwidth_m: float = 200.0
    time_scale_days: float = 30.0
    window_days: float = 365.0
    surface_: FloatArray | None = field(default=None, init=False, repr=False)

    def fit(
        self, x_m: ArrayLike, y_m: ArrayLike, t_days: ArrayLike, *, t_now: float
    ) -> KDEForecaster:
        if not self.time_scale_days > 0:
            raise ValueError(f"time_scale_days: must be > 0, got {self.time_scale_days}")
        x, y, t = _prep(x_m, y_m, t_days, t_now, self.window_days)
        w = np.exp(-(t_now - t) / self.time_scale_days)
        if not self.bandwidth_m > 0:
            raise ValueError(f"bandwidth_m: must be > 0, got {self.bandwidth_m}")
        self.surface_ = _smooth_counts(self.grid, x, y, w, self.bandwidth_m)
        return self

    def predict(self, horizon_days: float = 1.0) -> FloatArray:
        if self.surface_ is None:
            raise ValueError("KDEForecaster: call fit before predict")
        return self.surface_


@dataclass
class SEPPForecaster:
    """Self-exciting point process (Mohler et al. 2011), fitted by EM on the last
    ``window_days`` of events.

    Model: ``lambda(x, t) = mu(x) + sum_{t_i < t} theta omega e^{-omega (t - t_i)}
    N(x - x_i; sigma^2 I)``. E-step: each event j splits its unit weight over "background"
    (``mu(x_j)``) and every earlier event i within ``max_trigger_days`` and
    ``max_trigger_m`` (``theta omega e^{-omega dt} N(dx; sigma)``), normalised. M-step:
    ``theta = sum p_ij / n``; ``omega = sum p_ij / sum p_ij dt``;
    ``sigma^2 = sum p_ij |dx|^2 / (2 sum p_ij)``; ``mu`` = Gaussian-smoothed grid
    (``background_bandwidth_m``) of the background weights ``p_jj`` divided by the span.
    Fitted attributes: ``theta_``, ``omega_`` (per day), ``sigma_m_``, ``background_``
    (events per day per cell), ``n_iter_``.

    Forecast for ``[t_now, t_now + H]``: ``mu_c H + sum_i theta (e^{-omega a_i} -
    e^{-omega (a_i + H)}) P_c(x_i)`` with ``a_i = t_now - t_i`` and ``P_c`` the Gaussian mass
    in cell c (approximated by density x cell area). Time O(iterations x pairs + G log G),
    memory O(pairs + G).
    """

    grid: Grid
    window_days: float = 365.0
    background_bandwidth_m: float = 300.0
    max_trigger_days: float = 60.0
    max_trigger_m: float = 750.0
    max_iter: int = 50
    tol: float = 1e-5
    theta_: float = field(default=0.0, init=False)
    omega_: float = field(default=0.0, init=False)
    sigma_m_: float = field(default=0.0, init=False)
    n_iter_: int = field(default=0, init=False)
    background_: FloatArray | None = field(default=None, init=False, repr=False)
    _events: tuple[FloatArray, FloatArray, FloatArray] | None = field(
        default=None, init=False, repr=False
    )
    _t_now: float = field(default=0.0, init=False, repr=False)

    def fit(
        self, x_m: ArrayLike, y_m: ArrayLike, t_days: ArrayLike, *, t_now: float
    ) -> SEPPForecaster:
        from scipy.spatial import cKDTree

        x, y, t = _prep(x_m, y_m, t_days, t_now, self.window_days)
        n = x.size
        if n < 10:
            raise ValueError(f"t_days: the point process needs at least 10 events, got {n}")
        span = float(min(self.window_days, t_now - t.min()))
        span = max(span, 1.0)
        pairs = cKDTree(np.column_stack([x, y])).query_pairs(
            self.max_trigger_m, output_type="ndarray"
        )
        i, j = pairs[:, 0], pairs[:, 1]
        swap = t[i] > t[j]
        i, j = np.where(swap, j, i), np.where(swap, i, j)  # i is the earlier event
        dt = t[j] - t[i]
        ok = (dt > 0) & (dt <= self.max_trigger_days)
        i, j, dt = i[ok], j[ok], dt[ok]
        d2 = (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2
        ny, nx = self.grid.shape
        cells = self.grid.cell_index(x, y)
        cell_area = self.grid.cell_m**2
        theta, omega, sigma = 0.2, 0.1, 100.0
        pb = np.full(n, 1.0)
        mu_grid = np.zeros((ny, nx))
        it = 0
        for it in range(1, self.max_iter + 1):  # noqa: B007 - loop over EM iterations
            mu_grid = _smooth_counts(self.grid, x, y, pb, self.background_bandwidth_m) / (
                span * cell_area
            )  # events per m^2 per day
            mu_ev = np.where(cells >= 0, mu_grid.ravel()[np.maximum(cells, 0)], 0.0)
            mu_ev = np.maximum(mu_ev, 1e-12)
            g = (
                theta
                * omega
                * np.exp(-omega * dt)
                * np.exp(-d2 / (2 * sigma**2))
                / (2 * np.pi * sigma**2)
            )
            denom = mu_ev + np.bincount(j, weights=g, minlength=n)
            p = g / denom[j]
            new_pb = mu_ev / denom
            sp = float(p.sum())
            new_theta = sp / n
            new_omega = sp / max(float((p * dt).sum()), 1e-12)
            new_sigma = float(np.sqrt((p * d2).sum() / max(2 * sp, 1e-12)))
            new_sigma = min(max(new_sigma, 1.0), self.max_trigger_m)
            delta = abs(new_theta - theta) + abs(new_omega - omega) / max(omega, 1e-9) * 1e-2
            theta, omega, sigma, pb = new_theta, new_omega, new_sigma, new_pb
            if delta < self.tol:
                break
        self.theta_, self.omega_, self.sigma_m_, self.n_iter_ = theta, omega, sigma, it
        self.background_ = mu_grid * cell_area
        self._events = (x, y, t)
        self._t_now = float(t_now)
        return self

    def predict(self, horizon_days: float = 1.0) -> FloatArray:
        if self.background_ is None or self._events is None:
            raise ValueError("SEPPForecaster: call fit before predict")
        if not horizon_days > 0:
            raise ValueError(f"horizon_days: must be > 0, got {horizon_days}")
        x, y, t = self._events
        a = self._t_now - t
        w = self.theta_ * (np.exp(-self.omega_ * a) - np.exp(-self.omega_ * (a + horizon_days)))
        keep = w > 1e-12 * max(float(w.max()), 1e-300)
        trig = _smooth_counts(self.grid, x[keep], y[keep], w[keep], self.sigma_m_)
        return np.asarray(self.background_ * horizon_days + trig, dtype=np.float64)


def _smooth_counts(
    grid: Grid, x: FloatArray, y: FloatArray, w: FloatArray, bandwidth_m: float
) -> FloatArray:
    """Expected events per cell of Gaussian-spread weighted points (density x cell area);
    plain weighted cell counts when the bandwidth is below a quarter of a cell. Internal
    oversampling is capped at 4 (enough for ranking cells; bounded memory)."""
    ny, nx = grid.shape
    c = grid.cell_index(x, y)
    ok = c >= 0
    if bandwidth_m < grid.cell_m / 4 or not ok.any():
        cnt = np.bincount(c[ok], weights=w[ok], minlength=ny * nx)
        return np.asarray(cnt.reshape(ny, nx), dtype=np.float64)
    q = min(4, max(1, int(np.ceil(4.0 * grid.cell_m / bandwidth_m))))
    dens = kde_grid(
        x[ok],
        y[ok],
        weights=w[ok],
        bandwidth_m=bandwidth_m,
        cell_m=grid.cell_m,
        bounds=grid.bounds,
        edge_correction=False,
        oversample=q,
    )
    return np.asarray(dens * grid.cell_m**2, dtype=np.float64)


def hit_rate_pai_pei(
    scores: ArrayLike,
    actual: ArrayLike,
    *,
    coverages: Sequence[float] = (0.01, 0.02, 0.05),
    mask: ArrayLike | None = None,
) -> dict[float, tuple[float, float, float]]:
    """Hit rate, PAI and PEI of one forecast against the events that followed.

    With N study-area cells (``mask``), for each coverage c the top ``k = max(1, round(c N))``
    cells by score are flagged (ties broken by cell order). ``hit = events in flagged cells /
    all events``; ``PAI = hit / (k / N)``; ``PEI = events in flagged / max events in any k
    cells``. Returns ``{c: (hit, PAI, PEI)}`` (NaN when no events followed). O(N log N).
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    a = np.asarray(actual, dtype=np.float64).ravel()
    m = np.ones(s.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool).ravel()
    if s.shape != a.shape or s.shape != m.shape:
        raise ValueError("scores, actual, mask: must have the same shape")
    s, a = s[m], a[m]
    n_cells = s.size
    if n_cells == 0:
        raise ValueError("mask: selects no cells")
    total = float(a.sum())
    order = np.argsort(-s, kind="stable")
    best = np.sort(a)[::-1]
    out: dict[float, tuple[float, float, float]] = {}
    for c in coverages:
        if not 0 < c <= 1:
            raise ValueError(f"coverages: each must be in (0, 1], got {c}")
        k = max(1, round(c * n_cells))
        hits = float(a[order[:k]].sum())
        if total == 0:
            out[c] = (float("nan"), float("nan"), float("nan"))
            continue
        hit = hits / total
        top = float(best[:k].sum())
        out[c] = (hit, hit / (k / n_cells), hits / top if top > 0 else float("nan"))
    return out


@dataclass
class BacktestResult:
    """Walk-forward backtest result.

    ``steps``: forecast start days; ``hit``, ``pai``, ``pei``: arrays (steps, coverages);
    ``coverages``; ``mean_*``: mean over steps with events (per coverage); ``pai_pooled``:
    total hits over all steps / total events / coverage (the open_cp "aggregate" view).
    """

    steps: FloatArray
    coverages: tuple[float, ...]
    hit: FloatArray
    pai: FloatArray
    pei: FloatArray
    pai_pooled: FloatArray

    @property
    def mean_hit(self) -> FloatArray:
        return np.asarray(np.nanmean(self.hit, axis=0), dtype=np.float64)

    @property
    def mean_pai(self) -> FloatArray:
        return np.asarray(np.nanmean(self.pai, axis=0), dtype=np.float64)

    @property
    def mean_pei(self) -> FloatArray:
        return np.asarray(np.nanmean(self.pei, axis=0), dtype=np.float64)


def backtest(
    forecaster: Forecaster,
    x_m: ArrayLike,
    y_m: ArrayLike,
    t_days: ArrayLike,
    *,
    grid: Grid,
    start_day: float,
    end_day: float,
    step_days: float = 1.0,
    coverages: Sequence[float] = (0.01, 0.02, 0.05),
) -> BacktestResult:
    """Walk forward from ``start_day`` to ``end_day``: at each step t, fit on events before t,
    forecast ``[t, t + step_days)``, score with :func:`hit_rate_pai_pei` on the study-area
    cells (``grid.mask``). Time O(steps x fit cost), memory O(n + G).
    """
    x = np.asarray(x_m, dtype=np.float64).ravel()
    y = np.asarray(y_m, dtype=np.float64).ravel()
    t = np.asarray(t_days, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("t_days: empty selection, nothing to backtest")
    if not end_day > start_day:
        raise ValueError(f"end_day: must be after start_day, got {start_day}..{end_day}")
    if not step_days > 0:
        raise ValueError(f"step_days: must be > 0, got {step_days}")
    steps = np.arange(start_day, end_day - 1e-9, step_days, dtype=np.float64)
    cov = tuple(float(c) for c in coverages)
    hit = np.full((steps.size, len(cov)), np.nan)
    pai = hit.copy()
    pei = hit.copy()
    hits_total = np.zeros(len(cov))
    ev_total = 0.0
    mask = grid.mask
    n_cells = int(mask.sum()) if mask is not None else grid.shape[0] * grid.shape[1]
    for s_i, t0 in enumerate(steps):
        scores = forecaster.fit(x, y, t, t_now=float(t0)).predict(step_days)
        nxt = (t >= t0) & (t < t0 + step_days)
        actual = grid.counts(x[nxt], y[nxt])
        res = hit_rate_pai_pei(scores, actual, coverages=cov, mask=mask)
        ev = float(actual[mask].sum()) if mask is not None else float(actual.sum())
        ev_total += ev
        for c_i, c in enumerate(cov):
            hit[s_i, c_i], pai[s_i, c_i], pei[s_i, c_i] = res[c]
            if ev > 0:
                hits_total[c_i] += res[c][0] * ev
    k = np.array([max(1, round(c * n_cells)) / n_cells for c in cov])
    pooled = hits_total / ev_total / k if ev_total > 0 else np.full(len(cov), np.nan)
    return BacktestResult(steps, cov, hit, pai, pei, pooled)
