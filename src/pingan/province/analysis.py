"""Per-partition maps, their reductions and the per-city kernels of the province analyses.

Every analysis is split the same way on both engines:

* a **map** over a block of incidents (one Parquet partition on Dask, a whole city locally)
  that returns small integer arrays: grid counts (hot spots), station × group × day counts
  (warnings), class × day counts (trends);
* a **reduce**, the element-wise sum of those arrays (integers, so the order does not matter
  and both engines get identical inputs);
* a **kernel** per city on the reduced arrays: Gi* with FDR, the seasonal baseline and CUSUM,
  the CompStat table (:mod:`pingan.analytics`).

Forecasts and backtests need the points themselves, so their map is per city (the partitions of
the last ``window`` days of one city). Because the map outputs are integer counts on each city's
fixed grid, a partition boundary (a month) needs no halo for the counts to be exact. The Gi*
stage runs on Dask by grid tiles (:func:`gi_star_tile`): each tile reads its cells plus a halo
of one neighbourhood (``radius_cells``) and the grid's global moments (a reduce), so its
z-scores equal those of the whole grid (a test compares them); locally the whole grid at once.

Time: maps O(rows of the block); Gi* O(cells); warnings O(series x (IRLS + n_sim x 90));
memory per map O(block rows + output).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pingan.geo.crs import LocalProjection
from pingan.incidents.taxonomy import get_taxonomy
from pingan.province.layout import CityInfo, local_day

__all__ = [
    "CityGrid",
    "backtest_city",
    "cell_features",
    "class_days",
    "compstat_city",
    "forecast_city",
    "gi_star_moments",
    "gi_star_tile",
    "grid_counts",
    "groups",
    "hotspot_city",
    "station_days",
    "warnings_city",
]

I64 = NDArray[np.int64]
Cols = dict[str, NDArray[Any]]


@dataclass(frozen=True)
class CityGrid:
    """A city's metric grid: origin, square cells, size; cell id = row * nx + column."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def of(cls, city: CityInfo, cell_m: float) -> CityGrid:
        """The grid over the city's bounds (whole cells, rounded up)."""
        if not cell_m > 0:
            raise ValueError(f"cell_m: must be > 0, got {cell_m}")
        x0, y0, x1, y1 = city.bounds_m
        nx = max(1, int(np.ceil((x1 - x0) / cell_m)))
        ny = max(1, int(np.ceil((y1 - y0) / cell_m)))
        if nx * ny > 4_000_000:
            raise ValueError(f"cell_m: {cell_m:g} m gives {nx * ny:,} cells a city; use larger")
        return cls(float(x0), float(y0), float(cell_m), nx, ny)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x0 + self.nx * self.cell_m, self.y0 + self.ny * self.cell_m)

    def index(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> I64:
        """Flat cell of each point, points beyond the edge clipped to the edge cell."""
        ix = np.clip(((x - self.x0) // self.cell_m).astype(np.int64), 0, self.nx - 1)
        iy = np.clip(((y - self.y0) // self.cell_m).astype(np.int64), 0, self.ny - 1)
        return iy * self.nx + ix


def groups() -> list[tuple[str, tuple[str, ...]]]:
    """The taxonomy's named groups (code, subtypes), in the taxonomy's order."""
    return [(g.code, tuple(g.subtypes)) for g in get_taxonomy().groups.values()]


# ---------------------------------------------------------------------------------------------
# maps: a block of incidents -> small integer arrays (summed by the reduce)
# ---------------------------------------------------------------------------------------------
def grid_counts(cols: Cols, grid: CityGrid, t0: int, t1: int) -> I64:
    """Incidents per cell reported in ``[t0, t1)`` (epoch s), shape (ny, nx). O(rows)."""
    t = cols["reported_at"]
    m = (t >= t0) & (t < t1)
    c = grid.index(cols["x_m"][m], cols["y_m"][m])
    return np.bincount(c, minlength=grid.nx * grid.ny).reshape(grid.ny, grid.nx).astype(np.int64)


def station_days(
    cols: Cols,
    stations: tuple[str, ...],
    grps: list[tuple[str, tuple[str, ...]]],
    day0: int,
    n_days: int,
    offset_s: int,
) -> I64:
    """Incidents per station × group × local day from ``day0``, shape (S, G, D). O(rows)."""
    d = local_day(cols["reported_at"], offset_s) - day0
    s_idx = {s: i for i, s in enumerate(stations)}
    st = np.array([s_idx.get(s, -1) for s in cols["station"].tolist()], dtype=np.int64)
    out = np.zeros((len(stations), len(grps), n_days), dtype=np.int64)
    ok = (d >= 0) & (d < n_days) & (st >= 0)
    for g, (_, subs) in enumerate(grps):
        m = ok & np.isin(cols["subtype"], subs)
        np.add.at(out[:, g, :], (st[m], d[m]), 1)
    return out


def class_days(cols: Cols, classes: tuple[str, ...], day0: int, n_days: int, offset_s: int) -> I64:
    """Incidents per class × local day from ``day0``, shape (C, D). O(rows)."""
    d = local_day(cols["reported_at"], offset_s) - day0
    c_idx = {c: i for i, c in enumerate(classes)}
    k = np.array([c_idx.get(c, -1) for c in cols["klass"].tolist()], dtype=np.int64)
    ok = (d >= 0) & (d < n_days) & (k >= 0)
    out = np.zeros((len(classes), n_days), dtype=np.int64)
    np.add.at(out, (k[ok], d[ok]), 1)
    return out


# ---------------------------------------------------------------------------------------------
# kernels: one city's reduced arrays -> its answer
# ---------------------------------------------------------------------------------------------
def _box(a: NDArray[np.float64], r: int) -> NDArray[np.float64]:
    """Sum over the (2r+1)^2 square around each cell (zero outside), by cumulative sums."""
    out = a
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r + 1, r)
        c = np.cumsum(np.pad(out, pad), axis=axis)
        n = out.shape[axis]
        out = np.take(c, np.arange(2 * r + 1, 2 * r + 1 + n), axis=axis) - np.take(
            c, np.arange(0, n), axis=axis
        )
    return out


def gi_star_moments(counts: I64) -> tuple[int, float, float]:
    """The global moments Gi* needs: (cells, sum, sum of squares) — a reduce. O(cells)."""
    y = counts.astype(np.float64)
    return int(y.size), float(y.sum()), float((y * y).sum())


def gi_star_tile(
    counts: I64,
    rows: tuple[int, int],
    cols: tuple[int, int],
    moments: tuple[int, float, float],
    *,
    radius_cells: int = 1,
) -> NDArray[np.float64]:
    """Gi* z (queen weights of ``radius_cells``, the cell included) of the tile
    ``rows × cols`` of a grid, from the tile with a halo of ``radius_cells`` and the grid's
    global moments: identical to :func:`pingan.analytics.getis_ord_gi_star` on the whole grid
    (the halo holds every neighbour of a tile cell; cells past the grid edge are absent).
    A grid with no incident or all cells equal (where Gi* is undefined) gives z = 0.
    O(tile cells)."""
    r = int(radius_cells)
    ny, nx = counts.shape
    (r0, r1), (c0, c1) = rows, cols
    a0, a1, b0, b1 = max(0, r0 - r), min(ny, r1 + r), max(0, c0 - r), min(nx, c1 + r)
    y = counts[a0:a1, b0:b1].astype(np.float64)
    wy = _box(y, r)[r0 - a0 : r1 - a0, c0 - b0 : c1 - b0]
    card = _box(np.ones_like(y), r)[r0 - a0 : r1 - a0, c0 - b0 : c1 - b0]
    n, total, sumsq = moments
    mean = total / n if n else 0.0
    var = sumsq / n - mean * mean if n else 0.0
    if n < 2 or total == 0 or var <= 0:  # no incident, or all cells equal: no hot spot
        return np.zeros(wy.shape)
    g = wy / total
    e = card / n
    v = card * (n - card) / (n - 1) / n**2 * var / mean**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (g - e) / np.sqrt(v)
    return np.where(v > 0, z, 0.0)


def tiles(ny: int, nx: int, size: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The tiles (row range, column range) of ``size`` cells covering an ny × nx grid."""
    return [
        ((r, min(ny, r + size)), (c, min(nx, c + size)))
        for r in range(0, ny, size)
        for c in range(0, nx, size)
    ]


def hotspot_city(
    city: CityInfo,
    counts: I64,
    grid: CityGrid,
    *,
    radius_cells: int = 1,
    alpha: float = 0.05,
    z: NDArray[np.float64] | None = None,
) -> dict[str, Any]:
    """Gi* z and p of every cell, hot = FDR-significant with z > 0; the cells with an incident
    or hot as arrays (:func:`cell_features` draws them as GeoJSON). ``z``: the z-scores already
    computed (by tiles); else the whole grid at once. O(cells)."""
    from pingan.analytics import fdr_bh, getis_ord_gi_star, gi_star_pvalues

    y = counts.astype(np.float64)
    if z is None and (y.size < 2 or float(y.max()) == float(y.min())):
        z = np.zeros(y.shape)  # no incident in the window, or all cells equal: no hot spot
    elif z is None:
        z = getis_ord_gi_star(y, radius_cells=radius_cells, kernel="queen")
    p = gi_star_pvalues(z)
    reject, _q = fdr_bh(p.ravel(), alpha=alpha)
    hot = reject.reshape(z.shape) & (z > 0)
    rows, cols_ = np.nonzero((y > 0) | hot)
    n = float(y.sum())
    in_hot = float(y[hot].sum())
    return {
        "city": city.code,
        # the cells as arrays (cheap to ship from a worker); cell_features draws the GeoJSON
        "_cells": {
            "row": rows.astype(np.int32),
            "col": cols_.astype(np.int32),
            "count": y[rows, cols_].astype(np.int64),
            "z": z[rows, cols_],
            "p": p[rows, cols_],
            "hot": hot[rows, cols_],
        },
        "n_incidents": int(n),
        "hot_cells": int(hot.sum()),
        "cells": int(y.size),
        "hot_share_of_incidents": in_hot / n if n else 0.0,
        "hot_share_of_area": float(hot.sum()) / y.size,
    }


def cell_features(
    answer: dict[str, Any], grid: CityGrid, proj: LocalProjection
) -> list[dict[str, Any]]:
    """The GeoJSON features (WGS-84 squares) of a city's hot-spot cells, with ``city``,
    ``cell`` (row × nx + column), ``count``, ``z``, ``p`` and ``hot``. O(cells)."""
    a = answer["_cells"]
    rows, cols_ = a["row"].astype(np.int64), a["col"].astype(np.int64)
    c = grid.cell_m
    xs = grid.x0 + cols_ * c
    ys = grid.y0 + rows * c
    corners = [(xs, ys), (xs + c, ys), (xs + c, ys + c), (xs, ys + c)]
    ll = [proj.inverse(u, v) for u, v in corners]
    pts = [
        list(zip(np.round(lo, 6).tolist(), np.round(la, 6).tolist(), strict=True)) for lo, la in ll
    ]
    cells = (rows * grid.nx + cols_).tolist()
    counts_l = a["count"].tolist()
    z_l, p_l, hot_l = a["z"].tolist(), a["p"].tolist(), a["hot"].tolist()
    code = answer["city"]
    feats = []
    for k in range(rows.size):
        ring = [list(pts[0][k]), list(pts[1][k]), list(pts[2][k]), list(pts[3][k])]
        ring.append(ring[0])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "city": code,
                    "cell": cells[k],
                    "count": counts_l[k],
                    "z": z_l[k],
                    "p": p_l[k],
                    "hot": bool(hot_l[k]),
                },
            }
        )
    return feats


def warnings_city(
    city: CityInfo,
    series: I64,
    grps: list[tuple[str, tuple[str, ...]]],
    day0: int,
    *,
    method: str = "cusum",
    false_alarm_rate: float = 1 / 365,
) -> list[dict[str, Any]]:
    """CUSUM/EWMA alarms of every station × group whose latest day alarms, as in
    ``crime_analysis.service`` (baseline fitted without the last 7 days, 90-day statistic,
    threshold calibrated with 500 simulations, seed 0). O(series x (IRLS + 500 x 90))."""
    from pingan.analytics import SeasonalBaseline, detect

    n_days = series.shape[2]
    days = (np.datetime64(0, "D") + day0 + np.arange(n_days)).astype("datetime64[D]")
    out: list[dict[str, Any]] = []
    for s, station in enumerate(city.stations):
        for g, (code, _) in enumerate(grps):
            y = series[s, g].astype(np.float64)
            if y[:-1].sum() < 28:
                continue
            base = SeasonalBaseline().fit(days[:-7], y[:-7])
            expected = np.maximum(base.predict(days), 1e-3)
            res = detect(
                y[-90:],
                expected[-90:],
                method=method,  # type: ignore[arg-type]
                false_alarm_rate=false_alarm_rate,
                n_sim=500,
            )
            if not bool(res.alarm[-1]):
                continue
            out.append(
                {
                    "city": city.code,
                    "station": station,
                    "group": code,
                    "as_of": str(days[-1]),
                    "method": method,
                    "observed": float(y[-1]),
                    "expected": float(expected[-1]),
                    "statistic": float(res.statistic[-1]),
                    "threshold": float(res.threshold),
                    "last_7_days": y[-7:].astype(int).tolist(),
                }
            )
    return out


def compstat_city(
    city: CityInfo, counts: I64, classes: tuple[str, ...], day0: int, as_of: int
) -> dict[str, Any]:
    """CompStat rows of the whole city (group ``all``) and of each class, from class × day
    counts (each day weighted by its count: identical to the table of the raw incidents),
    plus the city's monthly totals. O(C x D)."""
    from pingan.analytics import compstat_table

    n_c, n_d = counts.shape
    days = (np.datetime64(0, "D") + day0 + np.arange(n_d)).astype("datetime64[D]")
    times = np.tile(days, n_c + 1)
    labels = np.concatenate([np.full(n_d, "all")] + [np.full(n_d, c) for c in classes])
    weights = np.concatenate([counts.sum(axis=0), counts.ravel()])
    rows = compstat_table(
        times, as_of=np.datetime64(0, "D") + as_of, groups=labels, weights=weights
    )
    months = days.astype("datetime64[M]")
    m_keys, m_idx = np.unique(months, return_inverse=True)
    per_month = np.bincount(m_idx, weights=counts.sum(axis=0)).astype(np.int64)
    return {
        "city": city.code,
        "compstat": [_row(r, _short_windows(_first_day(counts, day0, as_of), as_of)) for r in rows],
        "months": [str(m) for m in m_keys.tolist()],
        "month_counts": per_month.tolist(),
    }


def _first_day(counts: I64, day0: int, as_of: int) -> int:
    """The city's first day with any incident in the window from ``day0``: where its data
    begins (a whole city has incidents every day). O(C x D)."""
    total = counts.sum(axis=0)
    return day0 + int(np.argmax(total > 0)) if total.any() else as_of


def _short_windows(day0: int, as_of: int) -> set[str]:
    """The CompStat windows whose earlier period begins before the data's first day
    (``day0``, days since 1970): their change would compare against a period the data only
    partly holds (a province with one year of data shows "+50,000 %" year on year), so they
    are shown without a change. The windows are those of ``analytics.compstat_table``."""
    end = np.datetime64(0, "D") + as_of + 1
    first = np.datetime64(0, "D") + day0
    year = (end - 1).astype("datetime64[Y]")
    starts = {
        "week": end - 14,
        "days28": end - 56,
        "yoy_28d": end - 364 - 28,
        "ytd": (year - 1).astype("datetime64[D]"),
    }
    return {name for name, start in starts.items() if start < first}


def _row(r: Any, short: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"group": r.group}
    for name in ("week", "days28", "ytd", "yoy_28d"):
        t = getattr(r, name)
        partial = name in short
        out[name] = {
            "current": t.current,
            "previous": t.previous,
            "change_pct": None if partial else t.change_pct,
            "p_value": None if partial else t.p_value,
            "significant": False if partial else t.significant,
            "partial": partial,
        }
    return out


_FORECASTERS = ("naive", "kde", "sepp")


def _forecaster(method: str, grid: CityGrid) -> Any:
    from pingan.analytics import Grid, KDEForecaster, NaiveForecaster, SEPPForecaster

    cls = {"naive": NaiveForecaster, "kde": KDEForecaster, "sepp": SEPPForecaster}.get(method)
    if cls is None:
        raise ValueError(f"method: {method!r}; use naive, kde or sepp")
    return cls(Grid(grid.bounds, grid.cell_m))


def forecast_city(
    city: CityInfo,
    grid: CityGrid,
    cols: Cols,
    *,
    t_now: int,
    method: str = "kde",
    horizon_days: float = 7.0,
    top_share: float = 0.01,
) -> dict[str, Any]:
    """The top ``top_share`` of the city's cells for the next ``horizon_days`` (fitted on
    the points before ``t_now``). O(fit)."""
    model = _forecaster(method, grid)
    t_days = (cols["reported_at"] - t_now) / 86_400.0
    keep = t_days < 0
    model.fit(cols["x_m"][keep], cols["y_m"][keep], t_days[keep], t_now=0.0)
    flat = np.asarray(model.predict(horizon_days)).ravel()
    k = max(1, round(top_share * flat.size))
    top = np.argsort(-flat, kind="stable")[:k]
    return {
        "city": city.code,
        "method": method,
        "cells": top.astype(int).tolist(),
        "scores": [float(v) for v in flat[top]],
    }


def backtest_city(
    city: CityInfo,
    grid: CityGrid,
    cols: Cols,
    *,
    start: dt.datetime,
    end: dt.datetime,
    method: str = "kde",
    step_days: float = 7.0,
) -> dict[str, Any]:
    """Walk-forward hit rate, PAI and PEI of one method on one city. O(steps x fit)."""
    from pingan.analytics import Grid, backtest

    t0 = int(start.timestamp())
    t_days = (cols["reported_at"] - t0) / 86_400.0
    r = backtest(
        _forecaster(method, grid),
        cols["x_m"],
        cols["y_m"],
        t_days,
        grid=Grid(grid.bounds, grid.cell_m),
        start_day=0.0,
        end_day=(end - start).total_seconds() / 86_400.0,
        step_days=step_days,
    )
    return {
        "city": city.code,
        "method": method,
        "coverages": list(r.coverages),
        "mean_hit": [float(v) for v in r.mean_hit],
        "mean_pai": [float(v) for v in r.mean_pai],
        "mean_pei": [float(v) for v in r.mean_pei],
        "pai_pooled": [float(v) for v in r.pai_pooled],
    }
