"""Trends: period counts, exact Poisson change test, CompStat, hour x weekday."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pingan.analytics import (
    compstat_table,
    hour_dow_matrix,
    period_counts,
    period_start,
    poisson_change_test,
)


def test_period_start_each_period() -> None:
    t = np.array(["2024-02-29T13:00", "2024-12-31T23:59"], dtype="datetime64[m]")
    assert period_start(t, period="day").tolist() == [
        np.datetime64("2024-02-29").item(),
        np.datetime64("2024-12-31").item(),
    ]
    assert str(period_start(t, period="week")[0]) == "2024-02-26"  # a Monday
    assert str(period_start(t, period="month")[1]) == "2024-12-01"
    assert str(period_start(t, period="quarter")[0]) == "2024-01-01"
    assert str(period_start(t, period="quarter")[1]) == "2024-10-01"
    assert str(period_start(t, period="year")[0]) == "2024-01-01"
    a = np.datetime64("2024-03-01")
    p28 = period_start(t, period="28d", anchor=a)
    assert ((a - p28[0]).astype(int) % 28 == 0) and p28[0] <= t[0].astype("datetime64[D]")
    with pytest.raises(ValueError, match="period: must be one of"):
        period_start(t, period="fortnight")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times: empty selection"):
        period_start(np.array([], dtype="datetime64[D]"), period="day")


def test_period_counts_fills_zero_periods_and_groups() -> None:
    t = np.array(["2024-01-03", "2024-01-03", "2024-03-10", "2024-03-11"], dtype="datetime64[D]")
    g = np.array(["theft", "fraud", "theft", "theft"])
    p, labels, c = period_counts(t, period="month", groups=g)
    assert [str(x) for x in p] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert labels.tolist() == ["fraud", "theft"]
    assert c.tolist() == [[1, 0, 0], [1, 0, 2]]


def test_poisson_change_test_exact() -> None:
    r = poisson_change_test(26, 38)
    assert r.change_pct == pytest.approx(-31.578947, abs=1e-5)
    assert r.p_value == pytest.approx(stats.binomtest(26, 64, 0.5).pvalue)
    assert r.significant is False
    r = poisson_change_test(40, 80)
    assert r.significant is True and r.p_value < 0.001
    r = poisson_change_test(14, 10, exposure_ratio=2.0)  # two weeks vs one
    assert r.change_pct == pytest.approx(-30.0)
    assert r.p_value == pytest.approx(stats.binomtest(14, 24, 2 / 3).pvalue)
    r = poisson_change_test(3, 0)
    assert r.change_pct is None
    with pytest.raises(ValueError, match="current: must be a count >= 0, got -1"):
        poisson_change_test(-1, 3)
    with pytest.raises(ValueError, match="exposure_ratio: must be > 0"):
        poisson_change_test(1, 3, exposure_ratio=0)


def test_compstat_table_windows() -> None:
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2024-07-01"))
    t = np.repeat(days, 2)
    t = np.concatenate([t, np.repeat(np.datetime64("2024-06-29"), 20)])
    rows = compstat_table(t, as_of=np.datetime64("2024-06-30"))
    (row,) = rows
    assert row.group == "all"
    assert (row.week.current, row.week.previous) == (34, 14)
    assert row.week.significant
    assert (row.days28.current, row.days28.previous) == (76, 56)
    assert row.ytd.current == 2 * 182 + 20
    assert row.ytd.previous == 2 * 182
    assert (row.yoy_28d.current, row.yoy_28d.previous) == (76, 56)


def test_hour_dow_matrix() -> None:
    t = np.array(
        ["2024-01-01T08:30", "2024-01-07T23:10", "2024-01-08T08:00"], dtype="datetime64[m]"
    )
    m = hour_dow_matrix(t)
    assert m.shape == (7, 24)
    assert m[0, 8] == 2 and m[6, 23] == 1 and m.sum() == 3
    with pytest.raises(TypeError, match="times: must be datetime64"):
        hour_dow_matrix(np.array([1, 2]))
