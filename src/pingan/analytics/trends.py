"""Trends: counts by period and group, period-over-period change with an exact Poisson test,
a CompStat-style table and the hour-of-day x day-of-week matrix.

Times are ``numpy.datetime64`` values (any unit) in the display zone (local wall-clock time):
convert UTC storage to Asia/Shanghai before calling. Periods: ``"day"``, ``"week"`` (Monday to
Sunday, ISO weeks), ``"28d"`` (28-day blocks counted back from an anchor), ``"month"``,
``"quarter"``, ``"year"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "PERIODS",
    "ChangeTest",
    "CompStatRow",
    "compstat_table",
    "hour_dow_matrix",
    "period_counts",
    "period_start",
    "poisson_change_test",
]

Period = Literal["day", "week", "28d", "month", "quarter", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "28d", "month", "quarter", "year")
_MONDAY = np.datetime64("1970-01-05", "D")


def _days(times: ArrayLike, name: str = "times") -> NDArray[np.datetime64]:
    t = np.asarray(times)
    if t.size == 0:
        raise ValueError(f"{name}: empty selection")
    if not np.issubdtype(t.dtype, np.datetime64):
        try:
            t = t.astype("datetime64[s]")
        except (ValueError, TypeError):
            raise TypeError(f"{name}: must be datetime64 values, got dtype {t.dtype}") from None
    if np.isnat(t).any():
        raise ValueError(f"{name}: contains NaT (missing times)")
    return t.astype("datetime64[D]").ravel()


def period_start(
    times: ArrayLike, *, period: Period, anchor: np.datetime64 | None = None
) -> NDArray[np.datetime64]:
    """First day of the period holding each time (datetime64[D]). ``anchor`` (a day) fixes
    the 28-day blocks: blocks are ``[anchor - 28k, anchor - 28(k-1))``; default 1970-01-05.
    O(n)."""
    d = _days(times)
    if period == "day":
        return d
    if period == "week":
        return _MONDAY + ((d - _MONDAY).astype(np.int64) // 7) * 7
    if period == "28d":
        a = _MONDAY if anchor is None else np.asarray(anchor).astype("datetime64[D]")[()]
        out: NDArray[np.datetime64] = np.asarray(
            a + ((d - a).astype(np.int64) // 28) * 28, dtype="datetime64[D]"
        )
        return out
    if period == "month":
        return d.astype("datetime64[M]").astype("datetime64[D]")
    if period == "quarter":
        m = d.astype("datetime64[M]").astype(np.int64)
        return (m - m % 3).astype("datetime64[M]").astype("datetime64[D]")
    if period == "year":
        return d.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"period: must be one of {', '.join(PERIODS)}, got {period!r}")


def period_counts(
    times: ArrayLike,
    *,
    period: Period,
    groups: ArrayLike | None = None,
    fill: bool = True,
    anchor: np.datetime64 | None = None,
    weights: ArrayLike | None = None,
) -> tuple[NDArray[np.datetime64], NDArray[np.str_], NDArray[np.int64]]:
    """Counts by period x group (group = class, subtype, area id ... or a combined key).

    Returns ``(period_starts, group_labels, counts)`` with ``counts[g, p]``; with ``fill`` every
    period between the first and last is present (zero rows are real zeros). Combine class x
    area by passing e.g. ``np.char.add(np.char.add(cls, "|"), area)``. ``weights`` (counts
    > 0, one per time) makes each time stand for that many incidents, so precomputed daily
    counts give the same table as the incidents they count. O(n log n).
    """
    ps = period_start(times, period=period, anchor=anchor)
    g = np.zeros(ps.size, dtype="<U1") if groups is None else np.asarray(groups).astype(str)
    if g.shape != ps.shape:
        raise ValueError(f"groups: length {g.size} does not match {ps.size} times")
    glab, gi = np.unique(g, return_inverse=True)
    if fill:
        lo, hi = ps.min(), ps.max()
        if period in ("day", "week", "28d"):
            step = {"day": 1, "week": 7, "28d": 28}[period]
            plab = np.arange(lo, hi + 1, step).astype("datetime64[D]")
        else:
            unit = {"month": 1, "quarter": 3, "year": 12}[period]
            m0 = lo.astype("datetime64[M]").astype(np.int64)
            m1 = hi.astype("datetime64[M]").astype(np.int64)
            plab = np.arange(m0, m1 + 1, unit).astype("datetime64[M]").astype("datetime64[D]")
        pi = np.searchsorted(plab, ps)
    else:
        plab, pi = np.unique(ps, return_inverse=True)
    counts = np.zeros((glab.size, plab.size), dtype=np.int64)
    np.add.at(counts, (gi, pi), 1 if weights is None else _weights(weights, ps.size))
    return plab, glab, counts


def _weights(weights: ArrayLike, n: int) -> NDArray[np.int64]:
    w = np.asarray(weights, dtype=np.int64).ravel()
    if w.size != n:
        raise ValueError(f"weights: length {w.size} does not match {n} times")
    if (w < 0).any():
        raise ValueError("weights: counts must be >= 0")
    return w


@dataclass(frozen=True)
class ChangeTest:
    """Period-over-period change and its exact Poisson test.

    ``change_pct = 100 (current - previous) / previous`` (None when previous = 0);
    ``p_value``: two-sided exact test of equal Poisson rates (conditional binomial);
    ``significant``: ``p_value < alpha``.
    """

    current: int
    previous: int
    change_pct: float | None
    p_value: float
    significant: bool
    alpha: float


def poisson_change_test(
    current: int, previous: int, *, exposure_ratio: float = 1.0, alpha: float = 0.05
) -> ChangeTest:
    """Exact test of a change between two Poisson counts ("-31.6%, p = 0.004, significant").

    Conditional on ``n = current + previous``, ``current ~ Binomial(n, r / (1 + r))`` under
    equal rates, with ``r = exposure_ratio`` (length of the current period over the previous
    one, e.g. 7/7 = 1). The two-sided p-value sums the binomial probabilities no larger than
    the observed one (``scipy.stats.binomtest``). O(n).
    """
    for name, v in (("current", current), ("previous", previous)):
        if int(v) != v or v < 0:
            raise ValueError(f"{name}: must be a count >= 0, got {v!r}")
    if not exposure_ratio > 0:
        raise ValueError(f"exposure_ratio: must be > 0, got {exposure_ratio}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be in (0, 1), got {alpha}")
    c, p = int(current), int(previous)
    n = c + p
    pv = (
        1.0
        if n == 0
        else float(stats.binomtest(c, n, exposure_ratio / (1 + exposure_ratio)).pvalue)
    )
    change = None if p == 0 else 100.0 * (c / exposure_ratio - p) / p
    return ChangeTest(c, p, change, pv, pv < alpha, alpha)


@dataclass(frozen=True)
class CompStatRow:
    """One CompStat line for a group: week-to-date, 28-day and year-to-date windows.

    Each ``*_change`` compares the window ending on ``as_of`` with the one before it (week and
    28 days) or the same dates a year earlier (year to date), with :func:`poisson_change_test`.
    """

    group: str
    week: ChangeTest
    days28: ChangeTest
    ytd: ChangeTest
    yoy_28d: ChangeTest


def compstat_table(
    times: ArrayLike,
    *,
    as_of: np.datetime64,
    groups: ArrayLike | None = None,
    alpha: float = 0.05,
    weights: ArrayLike | None = None,
) -> list[CompStatRow]:
    """CompStat-style table: per group, the last 7 days vs the 7 before, the last 28 vs the 28
    before, the 28 days vs the same 28 days a year earlier, and year to date vs the same
    span a year earlier, each with its exact Poisson test. Windows end on ``as_of``
    (inclusive). ``weights``: each time counts that many (see :func:`period_counts`).
    O(n log n)."""
    d = _days(times)
    g = np.full(d.size, "all") if groups is None else np.asarray(groups).astype(str).ravel()
    if g.size != d.size:
        raise ValueError(f"groups: length {g.size} does not match {d.size} times")
    wt = np.ones(d.size, dtype=np.int64) if weights is None else _weights(weights, d.size)
    end = np.asarray(as_of).astype("datetime64[D]")[()] + 1  # exclusive
    year = (end - 1).astype("datetime64[Y]")
    year_start = year.astype("datetime64[D]")
    ly_year_start = (year - 1).astype("datetime64[D]")
    last_year_end = end - 364  # same weekday, 52 weeks earlier

    def count(mask_g: NDArray[np.bool_], a: Any, b: Any) -> int:
        return int(wt[mask_g & (d >= a) & (d < b)].sum())

    rows: list[CompStatRow] = []
    for lab in np.unique(g):
        m = g == lab
        w = (count(m, end - 7, end), count(m, end - 14, end - 7))
        f = (count(m, end - 28, end), count(m, end - 56, end - 28))
        yy = (count(m, end - 28, end), count(m, last_year_end - 28, last_year_end))
        ytd_days = int((end - year_start).astype(np.int64))
        ytd = (count(m, year_start, end), count(m, ly_year_start, ly_year_start + ytd_days))
        rows.append(
            CompStatRow(
                str(lab),
                poisson_change_test(*w, alpha=alpha),
                poisson_change_test(*f, alpha=alpha),
                poisson_change_test(*ytd, alpha=alpha),
                poisson_change_test(*yy, alpha=alpha),
            )
        )
    return rows


def hour_dow_matrix(times: ArrayLike) -> NDArray[np.int64]:
    """Counts by day of week (rows, Monday = 0) x hour of day (columns 0-23). O(n)."""
    t = np.asarray(times)
    if t.size == 0:
        raise ValueError("times: empty selection")
    if not np.issubdtype(t.dtype, np.datetime64):
        raise TypeError(f"times: must be datetime64 values, got dtype {t.dtype}")
    h = t.astype("datetime64[h]").ravel()
    day = h.astype("datetime64[D]")
    hour = (h - day).astype(np.int64)
    dow = (day - _MONDAY).astype(np.int64) % 7
    out = np.zeros((7, 24), dtype=np.int64)
    np.add.at(out, (dow, hour), 1)
    return out
