"""Analyses over the incidents in the caller's scope: trends, hot spots, early warnings, the
space-time scan, forecasts and backtests. Each loads arrays once (``data.load_incidents``) and
calls the pure kernels in ``pingan.analytics``; every figure returned says how it was computed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.alerts.service import NewWarning
from pingan.config import get_settings
from pingan.crime_analysis.data import IncidentFrame, area_ids
from pingan.errors import Invalid
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction

__all__ = [
    "AREA_DEPTH",
    "AreaDayCounts",
    "forecast_cells",
    "grid_for",
    "hotspots",
    "scan_clusters",
    "trends",
    "warnings_for",
]

AREA_DEPTH = {"bureau": 0, "district": 1, "station": 2, "community": 3, "cell": 4}
Progress = Callable[[float, str], None]
MAX_GRID_CELLS = 4_000_000


def _need(frame: IncidentFrame, minimum: int = 1) -> None:
    if len(frame) < minimum:
        raise Invalid(
            "selection",
            f"{len(frame)} incidents selected; at least {minimum} needed "
            "(widen the period, area or categories)",
        )


def _group_labels(frame: IncidentFrame, by: str, session: Session) -> NDArray[np.str_]:
    if by == "class":
        return frame.klass
    if by == "subtype":
        return frame.subtype
    if by in AREA_DEPTH:
        ids = area_ids(frame.jpath, AREA_DEPTH[by])
        uniq = [int(i) for i in np.unique(ids) if i > 0]
        names = dict(
            session.execute(
                select(Jurisdiction.id, Jurisdiction.code).where(Jurisdiction.id.in_(uniq))
            ).all()
        )
        return np.array([names.get(int(i), "?") for i in ids.tolist()], dtype=str)
    if by == "all":
        return np.full(len(frame), "all", dtype=str)
    raise Invalid(
        "by", f"{by!r}: use class, subtype, group, district, station, community, cell or all"
    )


TRENDS_HOW = (
    "Incidents in your jurisdiction, repeat calls and cancelled/duplicate ones left "
    "out, counted by local calendar period. Changes are tested with an exact conditional "
    "Poisson (binomial) test; 'significant' means p < 0.05."
)
TRENDS_HOW_ZH = (
    "统计本辖区警情，不含重复报警及已撤销、重复的警情，按本地日历期间计数。"
    "变化用精确条件泊松（二项）检验，p < 0.05 为显著。"
)


def trends(
    session: Session, frame: IncidentFrame, *, period: str, by: str, as_of: dt.date
) -> dict[str, Any]:
    """Counts per period and group, CompStat table (week, 28 days, year to date vs a year
    earlier, exact Poisson tests) and the hour-of-day × weekday matrix."""
    from pingan.analytics import compstat_table, hour_dow_matrix, period_counts

    _need(frame)
    days = frame.day
    if by == "group":  # a subtype may belong to several groups: count it in each
        tax = get_taxonomy()
        parts = [(np.isin(frame.subtype, list(g.subtypes)), g.code) for g in tax.groups.values()]
        days = np.concatenate([frame.day[m] for m, _ in parts])
        labels = np.concatenate([np.full(int(m.sum()), c, dtype=object) for m, c in parts])
        labels = labels.astype(str)
    else:
        labels = _group_labels(frame, by, session)
    starts, groups, counts = period_counts(
        days,
        period=period,  # type: ignore[arg-type]
        groups=labels,
    )
    table = compstat_table(days, as_of=np.datetime64(as_of), groups=labels)
    local = frame.day.astype("datetime64[s]") + (frame.hour * 3600).astype("timedelta64[s]")
    matrix = hour_dow_matrix(local)
    return {
        "period": period,
        "by": by,
        "periods": [str(s) for s in starts.tolist()],
        "groups": [str(g) for g in groups.tolist()],
        "counts": np.asarray(counts).tolist(),
        "compstat": [_row(r) for r in table],
        "hour_by_weekday": np.asarray(matrix).tolist(),
        "n_incidents": len(frame),
        "how": TRENDS_HOW,
        "how_zh": TRENDS_HOW_ZH,
    }


def _row(r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"group": r.group}
    for name in ("week", "days28", "ytd", "yoy_28d"):
        t = getattr(r, name, None)
        if t is not None:
            out[name] = {
                "current": t.current,
                "previous": t.previous,
                "change_pct": t.change_pct,
                "p_value": t.p_value,
                "significant": t.significant,
            }
    return out


def grid_for(
    frame: IncidentFrame, session: Session, *, cell_m: float
) -> tuple[tuple[float, float, float, float], int, int]:
    """Metric bounds of the bureau and the grid size for ``cell_m`` (refused when too fine)."""
    if not cell_m > 0:
        raise Invalid("cell_m", f"must be > 0, got {cell_m}")
    root = session.execute(
        select(
            Jurisdiction.min_lon, Jurisdiction.min_lat, Jurisdiction.max_lon, Jurisdiction.max_lat
        )
        .where(Jurisdiction.parent_id.is_(None), Jurisdiction.min_lon.is_not(None))
        .order_by(Jurisdiction.id)
        .limit(1)
    ).one()
    w, s_, e, n = (float(v) for v in root)
    xs, ys = frame.projection.forward([w, e, w, e], [s_, s_, n, n])
    bounds = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))
    nx = int(np.ceil((bounds[2] - bounds[0]) / cell_m))
    ny = int(np.ceil((bounds[3] - bounds[1]) / cell_m))
    if nx * ny > MAX_GRID_CELLS:
        raise Invalid(
            "cell_m",
            f"{cell_m} m makes {nx} × {ny} = {nx * ny:,} cells over the "
            f"bureau; the limit is {MAX_GRID_CELLS:,} (use a larger cell)",
        )
    return (bounds[0], bounds[1], bounds[0] + nx * cell_m, bounds[1] + ny * cell_m), nx, ny


def _cells_geojson(
    frame: IncidentFrame,
    bounds: tuple[float, float, float, float],
    cell_m: float,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    props: dict[str, NDArray[Any]],
) -> dict[str, Any]:
    x0 = bounds[0] + cols * cell_m
    y0 = bounds[1] + rows * cell_m
    xs = np.stack([x0, x0 + cell_m, x0 + cell_m, x0, x0], axis=1)
    ys = np.stack([y0, y0, y0 + cell_m, y0 + cell_m, y0], axis=1)
    lon, lat = frame.projection.inverse(xs.ravel(), ys.ravel())
    lon, lat = lon.reshape(xs.shape), lat.reshape(ys.shape)
    feats = []
    for i in range(rows.size):
        ring = [
            [round(float(a), 6), round(float(b), 6)] for a, b in zip(lon[i], lat[i], strict=True)
        ]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in props.items()
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def hotspots(
    session: Session,
    frame: IncidentFrame,
    *,
    cell_m: float = 250.0,
    bandwidth_m: float = 300.0,
    radius_cells: int = 1,
    alpha: float = 0.05,
    min_share: float = 0.05,
) -> dict[str, Any]:
    """KDE surface and Getis-Ord Gi* hot/cold cells (Benjamini–Hochberg FDR at ``alpha``) on a
    metric grid over the bureau, as GeoJSON cells."""
    from pingan.analytics import kde_grid

    _need(frame, 3)
    if not bandwidth_m > 0:
        raise Invalid("bandwidth_m", f"must be > 0, got {bandwidth_m}")
    bounds, nx, ny = grid_for(frame, session, cell_m=cell_m)
    density = kde_grid(frame.x_m, frame.y_m, bandwidth_m=bandwidth_m, cell_m=cell_m, bounds=bounds)
    ix = np.clip(((frame.x_m - bounds[0]) // cell_m).astype(np.int64), 0, nx - 1)
    iy = np.clip(((frame.y_m - bounds[1]) // cell_m).astype(np.int64), 0, ny - 1)
    counts = np.bincount(iy * nx + ix, minlength=nx * ny).reshape(ny, nx).astype(np.float64)
    return hotspot_cells(
        frame,
        bounds,
        density,
        counts,
        n_incidents=len(frame),
        cell_m=cell_m,
        bandwidth_m=bandwidth_m,
        radius_cells=radius_cells,
        alpha=alpha,
        min_share=min_share,
    )


def hotspot_cells(
    frame: Any,
    bounds: tuple[float, float, float, float],
    density: NDArray[np.float64],
    counts: NDArray[np.float64],
    *,
    n_incidents: int,
    cell_m: float,
    bandwidth_m: float,
    radius_cells: int,
    alpha: float,
    min_share: float,
) -> dict[str, Any]:
    """The hot-spot answer from a KDE surface and grid counts: Gi* cells significant after
    FDR, KDE cells above ``min_share`` of the peak, as GeoJSON in ``frame.projection``."""
    from pingan.analytics import fdr_bh, getis_ord_gi_star, gi_star_pvalues

    z = getis_ord_gi_star(counts, radius_cells=radius_cells, kernel="queen")
    p = gi_star_pvalues(z)
    reject, q = fdr_bh(p.ravel(), alpha=alpha)
    reject = reject.reshape(z.shape)
    hot_r, hot_c = np.nonzero(reject & (z > 0))
    peak = float(density.max()) if density.size else 0.0
    kd_r, kd_c = np.nonzero(density >= min_share * peak) if peak > 0 else (np.empty(0, int),) * 2
    expected_per_cell = counts.sum() / counts.size
    return {
        "cell_m": cell_m,
        "bandwidth_m": bandwidth_m,
        "n_incidents": n_incidents,
        "gi_star": _cells_geojson(
            frame,
            bounds,
            cell_m,
            hot_r,
            hot_c,
            {
                "count": counts[hot_r, hot_c].astype(np.int64),
                "z": np.round(z[hot_r, hot_c], 3),
                "q_value": np.round(q.reshape(z.shape)[hot_r, hot_c], 6),
            },
        ),
        "kde": _cells_geojson(
            frame,
            bounds,
            cell_m,
            kd_r,
            kd_c,
            {
                "density_per_km2": np.round(density[kd_r, kd_c] * 1e6, 3),
                "share_of_peak": np.round(density[kd_r, kd_c] / peak, 4)
                if peak
                else np.zeros(kd_r.size),
            },
        ),
        "how": (
            f"Gi*: counts on a {cell_m:g} m grid, binary queen weights of radius "
            f"{radius_cells} including the cell itself, z-scores two-sided, Benjamini-"
            f"Hochberg false discovery rate {alpha:g}; {hot_r.size} hot cells. KDE: "
            f"Gaussian, bandwidth {bandwidth_m:g} m, edge-corrected, cells above "
            f"{min_share:.0%} of the peak shown. Mean count per cell "
            f"{expected_per_cell:.3f}."
        ),
        "how_zh": (
            f"Gi*：{cell_m:g} 米网格计数，半径 {radius_cells} 的八邻域（后邻接，含对角）"
            f"二元权重，含本格，"
            f"双侧 z 值，Benjamini-Hochberg 错误发现率 {alpha:g}；显著热点 {hot_r.size} 格。"
            f"核密度：高斯核，带宽 {bandwidth_m:g} 米，边缘校正，"
            f"显示高于峰值 {min_share:.0%} 的格。"
            f"每格平均 {expected_per_cell:.3f} 起。"
        ),
    }


def scan_clusters(
    frame: IncidentFrame,
    session: Session,
    *,
    as_of: dt.date,
    max_radius_m: float = 1000.0,
    max_window_days: int = 7,
    study_days: int = 60,
    replications: int = 999,
    seed: int = 12345,
) -> dict[str, Any]:
    """Prospective space-time permutation scan over grid-cell locations (Kulldorff 2005):
    clusters ending on ``as_of`` with Monte Carlo p-values."""
    from pingan.analytics import SpaceTimeData, space_time_permutation_scan

    start = np.datetime64(as_of) - np.timedelta64(study_days - 1, "D")
    keep = (frame.day >= start) & (frame.day <= np.datetime64(as_of))
    if keep.sum() < 10:
        raise Invalid(
            "selection",
            f"{int(keep.sum())} incidents in the {study_days} days up to "
            f"{as_of}; the permutation test needs at least 10",
        )
    cell = area_ids(frame.jpath[keep], AREA_DEPTH["cell"])
    cell = np.where(cell > 0, cell, area_ids(frame.jpath[keep], 3))
    loc_ids, loc_idx = np.unique(cell, return_inverse=True)
    rows = dict(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.code).where(
                Jurisdiction.id.in_([int(i) for i in loc_ids])
            )
        ).all()
    )
    cent = session.execute(
        select(Jurisdiction.id, Jurisdiction.centroid_lon, Jurisdiction.centroid_lat).where(
            Jurisdiction.id.in_([int(i) for i in loc_ids])
        )
    ).all()
    cmap = {r[0]: (r[1], r[2]) for r in cent}
    lon = np.array([cmap[int(i)][0] for i in loc_ids])
    lat = np.array([cmap[int(i)][1] for i in loc_ids])
    x, y = frame.projection.forward(lon, lat)
    xyz = np.column_stack([x / 1000.0, y / 1000.0])
    data = SpaceTimeData(
        location_ids=[rows.get(int(i), str(i)) for i in loc_ids],
        xyz_km=xyz,
        case_location=loc_idx.astype(np.int64),
        case_day=(frame.day[keep] - start).astype(np.int64),
        start_date=dt.date.fromisoformat(str(start)),
        n_days=study_days,
        geographic=False,
    )
    result: dict[str, Any] = space_time_permutation_scan(
        data,
        max_distance_km=max_radius_m / 1000.0,
        max_window_days=max_window_days,
        replications=replications,
        seed=seed,
    )
    for c in result["clusters"]:
        k = data.location_ids.index(c["center"]) if c["center"] in data.location_ids else -1
        if k >= 0:
            c["center_lon"], c["center_lat"] = float(lon[k]), float(lat[k])
    result["how"] = (
        f"Prospective space-time permutation scan (Kulldorff 2005) over grid-cell "
        f"centroids: circles up to {max_radius_m:g} m × windows up to "
        f"{max_window_days} days ending {as_of}, {study_days} days of data, "
        f"{replications} Monte Carlo permutations of case days."
    )
    result["how_zh"] = (
        f"前瞻性时空重排扫描（Kulldorff 2005），以网格中心为位置：半径至多 {max_radius_m:g} 米、"
        f"截止 {as_of} 的时间窗至多 {max_window_days} 天，数据 {study_days} 天，"
        f"病例日期蒙特卡罗重排 {replications} 次。"
    )
    return result


@dataclass(frozen=True)
class AreaDayCounts:
    """Incidents per (jurisdiction path, local day, subtype): ``n`` of each entry. Built from a
    frame (one entry per incident) or from the precomputed day counts (one per station or
    district, day and subtype: :func:`pingan.crime_analysis.precomputed.warning_counts`)."""

    jpath: NDArray[np.object_]
    day: NDArray[np.datetime64]
    subtype: NDArray[np.str_]
    n: NDArray[np.int64]

    @classmethod
    def of_frame(cls, frame: IncidentFrame) -> AreaDayCounts:
        """One entry per incident of ``frame``."""
        return cls(frame.jpath, frame.day, frame.subtype, np.ones(len(frame), dtype=np.int64))


def warnings_for(
    session: Session,
    frame: IncidentFrame,
    *,
    as_of: dt.date,
    by: str = "station",
    method: Literal["ewma", "cusum"] = "cusum",
    false_alarm_rate: float = 1 / 365,
    scan: bool = True,
    replications: int = 999,
    progress: Progress | None = None,
    counts: AreaDayCounts | None = None,
) -> list[NewWarning]:
    """Evaluate the latest day: per area × group an expected count from a seasonal baseline
    and a CUSUM/EWMA alarm at the stated false-alarm rate; groups over their daily target;
    and significant space-time clusters. Returns warnings to store (deduplicated by key).

    The alarms read ``counts`` when given (the whole history as day counts per area), else
    ``frame``; the targets and the scan read ``frame``, which then needs only the last
    60 local days up to ``as_of``. The warnings are the same either way."""
    tick = progress or (lambda _f, _m: None)
    series = counts if counts is not None else AreaDayCounts.of_frame(frame)
    total = int(series.n.sum())
    if total < 30:
        raise Invalid(
            "selection",
            f"{total} incidents selected; at least 30 needed "
            "(widen the period, area or categories)",
        )
    days = np.arange(series.day.min(), np.datetime64(as_of) + np.timedelta64(1, "D"))
    if days.size < 56:
        raise Invalid(
            "since", f"{days.size} days of history; the seasonal baseline needs at least 56"
        )
    tax = get_taxonomy()
    in_group = {g.code: np.isin(series.subtype, list(g.subtypes)) for g in tax.groups.values()}
    alarms = _Alarms(
        session, series, as_of=as_of, days=days, method=method, false_alarm_rate=false_alarm_rate
    )
    out = alarms.by_area(by, in_group, tick)
    frame_groups = {g.code: np.isin(frame.subtype, list(g.subtypes)) for g in tax.groups.values()}
    out += _target_warnings(frame, frame_groups, as_of=as_of, place=place_names(session, "/"))
    if scan:
        tick(0.65, "space-time scan")
        out += _cluster_warnings(session, frame, as_of=as_of, replications=replications)
    tick(1.0, f"{len(out)} warnings")
    return out


def _day_end(as_of: dt.date) -> dt.datetime:
    """The end of the local day ``as_of``: the bureau's next midnight (Asia/Shanghai: 16:00
    UTC)."""
    return local_midnight(as_of + dt.timedelta(days=1))


class _Alarms:
    """CUSUM/EWMA alarms of the latest day against a seasonal baseline, per area × group."""

    def __init__(
        self,
        session: Session,
        series: AreaDayCounts,
        *,
        as_of: dt.date,
        days: NDArray[Any],
        method: Literal["ewma", "cusum"],
        false_alarm_rate: float,
    ) -> None:
        self.session, self.series, self.as_of, self.days = session, series, as_of, days
        self.method, self.false_alarm_rate = method, false_alarm_rate

    def by_area(
        self, by: str, in_group: dict[str, NDArray[np.bool_]], tick: Progress
    ) -> list[NewWarning]:
        """The alarms of every area of level ``by`` (station, district, …) and group."""
        frame, days = self.series, self.days
        tax = get_taxonomy()
        area = area_ids(frame.jpath, AREA_DEPTH[by])
        areas = [int(a) for a in np.unique(area) if a > 0]
        paths = dict(
            self.session.execute(
                select(Jurisdiction.id, Jurisdiction.path).where(Jurisdiction.id.in_(areas))
            ).all()
        )
        day_idx = (frame.day - days[0]).astype(np.int64)
        in_range = frame.day <= days[-1]  # local days after as_of (time-zone spill-over) out
        combos = [(a, g) for a in areas for g in tax.groups]
        out: list[NewWarning] = []
        for k, (a, g) in enumerate(combos):
            sel = (area == a) & in_group[g] & in_range
            series = np.bincount(day_idx[sel], weights=frame.n[sel], minlength=days.size).astype(
                np.float64
            )
            if series[:-1].sum() >= 28:
                warning = self.latest_day(series, jurisdiction_id=a, path=paths[a], group=g)
                if warning is not None:
                    out.append(warning)
            tick(0.6 * (k + 1) / max(1, len(combos)), f"{by} × group {k + 1}/{len(combos)}")
        return out

    def latest_day(
        self, series: NDArray[np.float64], *, jurisdiction_id: int, path: str, group: str
    ) -> NewWarning | None:
        """The warning of one area × group series if its latest day alarms, else None."""
        from pingan.analytics import SeasonalBaseline, detect

        days, method, as_of = self.days, self.method, self.as_of
        base = SeasonalBaseline().fit(days[:-7], series[:-7])
        expected = np.maximum(base.predict(days), 1e-3)
        res = detect(
            series[-90:],
            expected[-90:],
            method=method,
            false_alarm_rate=self.false_alarm_rate,
            n_sim=500,
        )
        if not bool(res.alarm[-1]):
            return None
        place_zh, place_en = place_names(self.session, path)
        grp = get_taxonomy().groups[group]
        obs, exp = float(series[-1]), float(expected[-1])
        n = run_length(res.statistic, method=method)
        run_obs, run_exp = float(series[-n:].sum()), float(expected[-n:].sum())
        since = as_of - dt.timedelta(days=n - 1)
        text_zh, text_en = alarm_text(
            method,
            n=n,
            since=since,
            as_of=as_of,
            run_obs=run_obs,
            run_exp=run_exp,
            obs=obs,
            exp=exp,
            statistic=float(res.statistic[-1]),
            threshold=res.threshold,
            per_year=self.false_alarm_rate * 365,
        )
        return NewWarning(
            kind=method,
            category=group,
            jpath=path,
            jurisdiction_id=jurisdiction_id,
            window_start=local_midnight(since),
            window_end=_day_end(as_of),
            observed=run_obs,
            expected=run_exp,
            statistic=float(res.statistic[-1]),
            severity=1 if run_obs > 2 * run_exp else 2,
            explanation_zh=f"{place_zh} {grp.name_zh}：{text_zh}",
            explanation_en=f"{place_en}, {grp.name_en}: {text_en}",
            dedup_key=_key(method, jurisdiction_id, group, as_of),
            detail={
                "threshold": res.threshold,
                "false_alarm_rate": self.false_alarm_rate,
                "baseline": "Poisson log-linear: weekday, annual harmonic, trend, holidays",
                "run_days": n,
                "day_observed": obs,
                "day_expected": round(exp, 2),
                "last_14_days": series[-14:].tolist(),
                "expected_14_days": np.round(expected[-14:], 2).tolist(),
            },
        )


def _target_warnings(
    frame: IncidentFrame,
    in_group: dict[str, NDArray[np.bool_]],
    *,
    as_of: dt.date,
    place: tuple[str, str] = ("全市", "the city"),
) -> list[NewWarning]:
    """The groups with a daily target that the day ``as_of`` went over, named by ``place``
    (the bureau's names, zh-CN and en: the targets are the whole bureau's)."""
    out: list[NewWarning] = []
    t_end = _day_end(as_of)
    for grp in get_taxonomy().groups.values():
        if grp.daily_target is None:
            continue
        n = int((in_group[grp.code] & (frame.day == np.datetime64(as_of))).sum())
        if n > grp.daily_target:
            out.append(
                NewWarning(
                    kind="target_exceeded",
                    category=grp.code,
                    jpath="/",
                    window_start=t_end - dt.timedelta(days=1),
                    window_end=t_end,
                    observed=n,
                    expected=float(grp.daily_target),
                    statistic=float(n - grp.daily_target),
                    severity=2,
                    explanation_zh=f"{place[0]} {grp.name_zh}：{as_of} 发生 {n} 起，"
                    f"超过每日目标 {grp.daily_target} 起。",
                    explanation_en=f"{place[1]}, {grp.name_en}: {n} on {as_of}, over the daily "
                    f"target of {grp.daily_target}.",
                    dedup_key=_key("target", 0, grp.code, as_of),
                    detail={"daily_target": grp.daily_target},
                )
            )
    return out


def _cluster_warnings(
    session: Session, frame: IncidentFrame, *, as_of: dt.date, replications: int
) -> list[NewWarning]:
    """The significant (p < 0.05) space-time clusters ending on ``as_of``, each placed in its
    centre's area and near the nearest premises."""
    out: list[NewWarning] = []
    t_end = _day_end(as_of)
    for c in scan_clusters(frame, session, as_of=as_of, replications=replications)["clusters"]:
        if c["p_value"] >= 0.05:
            continue
        lon, lat = c.get("center_lon"), c.get("center_lat")
        code = c["center"]
        row = session.execute(select(Jurisdiction.path).where(Jurisdiction.code == code)).first()
        jp = row[0] if row is not None else "/"
        place_zh, place_en = place_names(session, jp)
        radius_m = float(c["radius_km"]) * 1000.0
        near = nearest_premises(session, lon, lat, within_m=radius_m)
        if near is not None:
            place_zh += f" {near[0]}附近"
            place_en += f", near {near[1]}"
        pz, pe = p_text(float(c["p_value"]))
        out.append(
            NewWarning(
                kind="scan_cluster",
                category="all",
                jpath=jp,
                center_lon=lon,
                center_lat=lat,
                radius_m=radius_m,
                window_start=local_midnight(dt.date.fromisoformat(c["start_date"])),
                window_end=t_end,
                observed=float(c["observed"]),
                expected=float(c["expected"]),
                statistic=float(c["llr"]),
                p_value=float(c["p_value"]),
                severity=1 if c["p_value"] < 0.01 else 2,
                explanation_zh=f"{place_zh} 时空聚集：{c['start_date']} 至 {c['end_date']}，"
                f"半径 {radius_m:.0f} 米内 {c['observed']} 起，预期 "
                f"{float(c['expected']):.1f} 起（对数似然比 {float(c['llr']):.2f}，{pz}）。",
                explanation_en=f"{place_en}: space-time cluster {c['start_date']} to "
                f"{c['end_date']}, {c['observed']} incidents within "
                f"{radius_m:.0f} m against "
                f"{float(c['expected']):.1f} expected (LLR {float(c['llr']):.2f}, {pe}).",
                dedup_key=_key("scan", code, ",".join(sorted(c["location_ids"]))[:60], as_of),
                detail={k: c[k] for k in c if k != "location_ids"}
                | {"n_locations": len(c["location_ids"])},
            )
        )
    return out


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which the bureau's local ``day`` begins."""
    tz = ZoneInfo(get_settings().timezone)
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def run_length(statistic: NDArray[np.float64], *, method: str) -> int:
    """Days the alarm's evidence spans: for CUSUM, since the statistic last stood at zero (the
    excess it has accumulated since); for EWMA, the last 7 days (its weights halve in ~3)."""
    if method != "cusum":
        return min(7, statistic.size)
    zeros = np.flatnonzero(statistic[:-1] <= 0.0)
    return int(statistic.size - (zeros[-1] + 1)) if zeros.size else int(statistic.size)


def alarm_text(
    method: str,
    *,
    n: int,
    since: dt.date,
    as_of: dt.date,
    run_obs: float,
    run_exp: float,
    obs: float,
    exp: float,
    statistic: float,
    threshold: float,
    per_year: float,
) -> tuple[str, str]:
    """The zh-CN and en explanation of an EWMA/CUSUM alarm: the excess accumulated over the
    days behind it, then the day itself (a day below its expectation can still be in alarm
    when the excess of the days before it has not run out)."""
    excess = run_obs - run_exp
    if method == "cusum":
        zh = (
            f"自 {since} 起 {n} 天共发生 {run_obs:.0f} 起，季节基线预期 {run_exp:.1f} 起，"
            f"累计超出 {excess:.1f} 起（{as_of} 当日 {obs:.0f} 起，预期 {exp:.1f} 起）；"
            f"累积和（CUSUM）统计量 {statistic:.2f} 超过阈值 {threshold:.2f}"
            f"（设定误报率 每年 {per_year:.1f} 次）。"
        )
        en = (
            f"{run_obs:.0f} incidents in the {n} days since {since} against {run_exp:.1f} "
            f"expected from the seasonal baseline, an accumulated excess of {excess:.1f} "
            f"({obs:.0f} on {as_of} against {exp:.1f}); CUSUM {statistic:.2f} above its "
            f"threshold {threshold:.2f} (stated false-alarm rate {per_year:.1f} per year)."
        )
    else:
        zh = (
            f"近 {n} 天（{since} 至 {as_of}）共发生 {run_obs:.0f} 起，季节基线预期 "
            f"{run_exp:.1f} 起（当日 {obs:.0f} 起，预期 {exp:.1f} 起）；指数加权移动平均（EWMA）"
            f"标准化统计量 {statistic:.2f} 超过阈值 {threshold:.2f}（设定误报率 每年 "
            f"{per_year:.1f} 次）。"
        )
        en = (
            f"{run_obs:.0f} incidents in the {n} days {since} to {as_of} against {run_exp:.1f} "
            f"expected from the seasonal baseline ({obs:.0f} on {as_of} against {exp:.1f}); "
            f"standardised EWMA {statistic:.2f} above its threshold {threshold:.2f} (stated "
            f"false-alarm rate {per_year:.1f} per year)."
        )
    return zh, en


def p_text(p: float) -> tuple[str, str]:
    """A p-value as people read it: ``p<0.001`` below a thousandth, else three decimals."""
    text = "p<0.001" if p < 0.001 else f"p={p:.3f}"
    return text, text


def place_names(session: Session, jpath: str) -> tuple[str, str]:
    """The station and community (as far as ``jpath`` reaches) that a warning concerns, in
    zh-CN and en, e.g. ``盘龙派出所 金星社区``; the district where no station is in the path,
    and the bureau for the root. One query."""
    ids = [int(p) for p in jpath.strip("/").split("/") if p]
    levels = {"bureau": 0, "district": 1, "station": 2, "community": 3}
    rows = session.execute(
        select(Jurisdiction.level, Jurisdiction.name_zh, Jurisdiction.name_en).where(
            Jurisdiction.id.in_(ids) | (Jurisdiction.level == "bureau")
        )
    ).all()
    named = sorted((levels[r[0]], r[1], r[2]) for r in rows if r[0] in levels)
    chain = [r for r in named if r[0] >= 2] or [r for r in named if r[0] == 1] or named[:1]
    if not chain:
        return "全市", "the city"
    return " ".join(r[1] for r in chain), ", ".join(r[2] for r in chain)


def nearest_premises(
    session: Session, lon: float | None, lat: float | None, *, within_m: float
) -> tuple[str, str, str] | None:
    """The name (zh-CN, en) and scope path of the premises nearest ``lon, lat`` within
    ``within_m``, if any: a bounding-box read of the premises' indexed coordinates, then exact
    distances."""
    if lon is None or lat is None:
        return None
    from pingan.places.models import Premises

    dlat = within_m / 111_320.0
    dlon = dlat / max(0.1, float(np.cos(np.radians(lat))))
    rows = session.execute(
        select(Premises.name, Premises.name_en, Premises.lon, Premises.lat, Premises.jpath).where(
            Premises.lon.between(lon - dlon, lon + dlon),
            Premises.lat.between(lat - dlat, lat + dlat),
        )
    ).all()
    if not rows:
        return None
    xy = np.array([[r[2], r[3]] for r in rows])
    d = np.hypot((xy[:, 0] - lon) / dlon, (xy[:, 1] - lat) / dlat)
    k = int(np.argmin(d))
    if d[k] > 1.0:
        return None
    return rows[k][0], rows[k][1] or rows[k][0], rows[k][4]


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def forecast_cells(
    session: Session,
    frame: IncidentFrame,
    *,
    method: str,
    as_of: dt.date,
    horizon_days: float = 7.0,
    cell_m: float = 250.0,
    top_share: float = 0.01,
) -> dict[str, Any]:
    """Rank grid cells for the next ``horizon_days`` by naive counts, prospective KDE or a
    self-exciting point process; return the top ``top_share`` of the area as GeoJSON."""
    from pingan.analytics import Grid, KDEForecaster, NaiveForecaster, SEPPForecaster

    _need(frame, 10)
    bounds, nx, _ny = grid_for(frame, session, cell_m=cell_m)
    grid = Grid(bounds, cell_m)
    cls = {"naive": NaiveForecaster, "kde": KDEForecaster, "sepp": SEPPForecaster}.get(method)
    if cls is None:
        raise Invalid("method", f"{method!r}: use naive, kde or sepp")
    t0 = frame.day.min()
    t_days = (frame.t_s - frame.t_s.min()) / 86_400.0
    t_now = float((np.datetime64(as_of) + np.timedelta64(1, "D") - t0).astype(np.int64))
    t_days = t_days + float((frame.day.min() - t0).astype(np.int64))
    model = cls(grid).fit(frame.x_m, frame.y_m, t_days, t_now=t_now)
    scores = model.predict(horizon_days)
    flat = scores.ravel()
    k = max(1, round(top_share * flat.size))
    top = np.argsort(-flat, kind="stable")[:k]
    r, c = np.divmod(top, nx)
    return {
        "method": method,
        "horizon_days": horizon_days,
        "cell_m": cell_m,
        "cells": _cells_geojson(
            frame,
            bounds,
            cell_m,
            r,
            c,
            {"rank": np.arange(1, k + 1), "score": np.round(flat[top], 6)},
        ),
        "how": f"{method} forecast fitted on {len(frame)} incidents up to {as_of}; the top "
        f"{top_share:.0%} of {flat.size:,} cells of {cell_m:g} m by expected count over the next "
        f"{horizon_days:g} days.",
    }


BACKTEST_METHODS = ("naive", "kde", "sepp")


def backtest_methods(
    session: Session,
    frame: IncidentFrame,
    *,
    methods: list[str],
    start: dt.datetime,
    end: dt.datetime,
    step_days: float = 7.0,
    cell_m: float = 250.0,
    report: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Walk forward from ``start`` to ``end`` in steps of ``step_days``: at each step fit every
    method on the history before it, forecast the step, and score the forecast against what
    happened — hit rate, PAI and PEI at 1%, 2% and 5% of the area (open_cp's definitions).
    Returns one summary per method and how it was computed."""
    from pingan.analytics import Grid, KDEForecaster, NaiveForecaster, SEPPForecaster, backtest

    classes = {"naive": NaiveForecaster, "kde": KDEForecaster, "sepp": SEPPForecaster}
    for m in methods:
        if m not in classes:
            raise Invalid("method", f"{m!r}; use naive, kde, sepp or all")
    if end <= start:
        raise Invalid("end", "must be after start")
    if step_days <= 0:
        raise Invalid("step_days", "must be > 0")
    _need(frame, 10)
    bounds, _, _ = grid_for(frame, session, cell_m=cell_m)
    grid = Grid(bounds, cell_m)
    t0 = float(frame.t_s.min())
    t_days = (frame.t_s - t0) / 86_400.0
    s_day = (start.timestamp() - t0) / 86_400.0
    e_day = (end.timestamp() - t0) / 86_400.0
    if s_day <= 0:
        raise Invalid("start", "must leave some history before it to fit on")
    results: dict[str, Any] = {}
    for i, m in enumerate(methods):
        if report is not None:
            report(i / len(methods), f"backtest {m}")
        r = backtest(
            classes[m](grid),
            frame.x_m,
            frame.y_m,
            t_days,
            grid=grid,
            start_day=s_day,
            end_day=e_day,
            step_days=step_days,
        )
        out = {k: v for k, v in vars(r).items() if not k.startswith("_")}
        out |= {"mean_hit": r.mean_hit, "mean_pai": r.mean_pai, "mean_pei": r.mean_pei}
        out["summary"] = "  ".join(
            f"{cov:.0%}: PAI {pai:.2f} hit {hit:.3f} PEI {pei:.3f}"
            for cov, pai, hit, pei in zip(
                r.coverages, r.mean_pai, r.mean_hit, r.mean_pei, strict=True
            )
        )
        results[m] = _jsonable(out)
    return {
        "methods": results,
        "how": f"walk-forward from {start.date()} to {end.date()} in {step_days:g}-day steps on "
        f"{len(frame)} incidents, {cell_m:g} m cells; hit rate = share of the step's incidents "
        "in the top cells, PAI = hit rate / area share, PEI = hit rate / the best possible hit "
        "rate for that area share.",
        "how_zh": f"从 {start.date()} 到 {end.date()}，每 {step_days:g} 天向前滚动一次，"
        f"共 {len(frame)} 起警情，网格 {cell_m:g} 米；命中率 = 该时段警情落在预测前列网格中的"
        "比例，PAI = 命中率 / 面积占比，PEI = 命中率 / 同面积下可能的最高命中率。",
    }


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
