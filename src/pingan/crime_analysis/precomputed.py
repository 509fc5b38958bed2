"""Trends and hot spots from the precomputed incident counts (``pingan.aggregates``), with a
cache of answers by (scope, filters, local day).

The counts hold whole local days; the incidents of a partial first or last day of a period
are read as incidents and added, so every period is answered exactly as
:func:`service.trends` and :func:`service.hotspots` answer it from the incidents (tested on
the test city and the demo city). A request costs O(rows of counts read) — about one per
(day, subtype) for the trends, one per occupied 25 m square for the hot spots — never
O(incidents). Where the counts cannot answer exactly (never built, a grid cell that is not
a multiple of 25 m, jurisdictions imported again since the last rebuild) the incidents are
read as before.

The views keep answers a minute per scope, filters and day (:mod:`pingan.aggregates.cache`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.aggregates import service as agg
from pingan.aggregates.cache import ANSWER_TTL_S, cached, clear_cache
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.crime_analysis import data, service
from pingan.crime_analysis.schemas import Selection
from pingan.errors import Invalid
from pingan.geo.crs import LocalProjection
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction

__all__ = [
    "ANSWER_TTL_S",
    "BY",
    "cached",
    "clear_cache",
    "hotspots",
    "trends",
    "warning_counts",
]

BY = ("class", "subtype", "group", "all", *service.AREA_DEPTH)
_MONDAY = np.datetime64("1970-01-05", "D")

# ------------------------------------------------------------------ selection → days


@dataclass(frozen=True)
class _Plan:
    """A selection cut into whole local days (from the counts) and partial edges."""

    since: dt.datetime
    until: dt.datetime
    first_day: dt.date  # first whole local day
    end_day: dt.date  # day after the last whole local day
    edges: list[tuple[dt.datetime, dt.datetime]]
    subtypes: list[str] | None
    path: str | None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(get_settings().timezone)).astimezone(dt.UTC)


def _plan(session: Session, principal: Principal, sel: Selection, *, default_days: int) -> _Plan:
    until = sel.until or dt.datetime.now(dt.UTC)
    since = sel.since or until - dt.timedelta(days=default_days)
    if since.tzinfo is None or until.tzinfo is None:
        raise Invalid("since", "times must include a timezone")
    if until <= since:
        raise Invalid("until", f"must be after since ({since.isoformat()})")
    path = None
    if sel.area:
        from pingan.jurisdictions.service import get_by_code

        j = get_by_code(session, sel.area)
        if j is None or not principal.can_see(j.path):
            raise Invalid("area", f"no jurisdiction {sel.area!r} in your scope")
        path = j.path
    subs = data.subtypes_for(subtype=sel.subtype, klass=sel.klass, group=sel.group)
    tz = ZoneInfo(get_settings().timezone)
    first = since.astimezone(tz).date()
    if _midnight(first) < since:
        first += dt.timedelta(days=1)
    end = until.astimezone(tz).date()
    if first >= end:  # no whole day: all from the incidents
        return _Plan(since, until, first, first, [(since, until)], subs, path)
    edges = []
    if _midnight(first) > since:
        edges.append((since, _midnight(first)))
    if _midnight(end) < until:
        edges.append((_midnight(end), until))
    return _Plan(since, until, first, end, edges, subs, path)


def _edge_frames(
    session: Session, principal: Principal, plan: _Plan, include_drill: bool
) -> list[data.IncidentFrame]:
    return [
        data.load_incidents(
            session,
            principal=principal,
            since=a,
            until=b,
            subtypes=plan.subtypes,
            jurisdiction_path=plan.path,
            include_drill=include_drill,
        )
        for a, b in plan.edges
    ]


# ------------------------------------------------------------------ trends


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p]) - 1


def _counts_level(principal: Principal, plan: _Plan, by: str) -> tuple[int, str | None, bool]:
    """Which level of the day counts answers: (level, path, exact); level 3 = none does."""
    path = plan.path or (principal.jpath if principal.jpath != "/" else None)
    here = _depth(path) if path else 0
    if by in ("community", "cell"):
        return agg.LEVELS, path, False
    level = max(here, service.AREA_DEPTH.get(by, 0))
    return level, path, level == here


def _day_counts(
    session: Session,
    principal: Principal,
    sel: Selection,
    plan: _Plan,
    *,
    level: int,
    path: str | None,
    exact: bool,
    by_jpath: bool,
) -> agg.DayCounts:
    """Whole days from the counts plus the edges' incidents, as one table of entries."""
    parts = [
        agg.day_counts(
            session,
            level=level,
            path=path,
            exact=exact,
            first_day=plan.first_day,
            end_day=plan.end_day,
            subtypes=plan.subtypes,
            include_drill=sel.include_drill,
            by_jpath=by_jpath,
        )
    ]
    for f in _edge_frames(session, principal, plan, sel.include_drill):
        hours = np.zeros((len(f), 24), dtype=np.int64)
        hours[np.arange(len(f)), f.hour] = 1
        parts.append(
            agg.DayCounts(
                f.day,
                f.subtype,
                f.jpath if by_jpath else None,
                np.ones(len(f), dtype=np.int64),
                f.day,
                hours,
            )
        )
    return agg.DayCounts(
        np.concatenate([p.day for p in parts]),
        np.concatenate([p.subtype for p in parts]).astype(str),
        np.concatenate([p.jpath for p in parts if p.jpath is not None]) if by_jpath else None,
        np.concatenate([p.n for p in parts]),
        np.concatenate([p.hour_day for p in parts]),
        np.concatenate([p.hours for p in parts]),
    )


def _labels(session: Session, c: agg.DayCounts, by: str) -> NDArray[np.str_]:
    tax = get_taxonomy()
    if by == "class":
        klass = {code: s.klass for code, s in tax.subtypes.items()}
        return np.array([klass.get(s, "?") for s in c.subtype.tolist()], dtype=str)
    if by == "subtype":
        return c.subtype
    if by == "all":
        return np.full(c.n.size, "all", dtype=str)
    if c.jpath is None:
        raise AssertionError("area labels need the cells")
    ids = data.area_ids(c.jpath, service.AREA_DEPTH[by])
    uniq = [int(i) for i in np.unique(ids) if i > 0]
    names = dict(
        session.execute(
            select(Jurisdiction.id, Jurisdiction.code).where(Jurisdiction.id.in_(uniq))
        ).all()
    )
    return np.array([names.get(int(i), "?") for i in ids.tolist()], dtype=str)


def _trends_from_counts(
    session: Session, c: agg.DayCounts, *, period: str, by: str, as_of: dt.date
) -> dict[str, Any]:
    from pingan.analytics import compstat_table, period_counts

    total = int(c.n.sum())
    if total < 1:
        raise Invalid(
            "selection",
            "0 incidents selected; at least 1 needed (widen the period, area or categories)",
        )
    days, weights = c.day, c.n
    if by == "group":  # a subtype may belong to several groups: count it in each
        tax = get_taxonomy()
        parts = [(np.isin(c.subtype, list(g.subtypes)), g.code) for g in tax.groups.values()]
        days = np.concatenate([c.day[m] for m, _ in parts])
        weights = np.concatenate([c.n[m] for m, _ in parts])
        labels = np.concatenate(
            [np.full(int(m.sum()), code, dtype=object) for m, code in parts]
        ).astype(str)
    else:
        labels = _labels(session, c, by)
    keep = weights > 0
    days, labels, weights = days[keep], labels[keep], weights[keep]
    if days.size == 0:  # only groups with nothing in them: as the incidents answer it
        raise ValueError("times: empty selection")
    starts, groups, counts = period_counts(
        days,
        period=period,  # type: ignore[arg-type]
        groups=labels,
        weights=weights,
    )
    table = compstat_table(days, as_of=np.datetime64(as_of), groups=labels, weights=weights)
    matrix = np.zeros((7, 24), dtype=np.int64)
    np.add.at(matrix, (c.hour_day - _MONDAY).astype(np.int64) % 7, c.hours)
    return {
        "period": period,
        "by": by,
        "periods": [str(s) for s in starts.tolist()],
        "groups": [str(g) for g in groups.tolist()],
        "counts": np.asarray(counts).tolist(),
        "compstat": [service._row(r) for r in table],
        "hour_by_weekday": matrix.tolist(),
        "n_incidents": total,
        "how": service.TRENDS_HOW,
        "how_zh": service.TRENDS_HOW_ZH,
    }


def _as_of(until: dt.datetime) -> dt.date:
    day, _ = data.local_days(np.array([int(until.timestamp()) - 1], dtype=np.int64))
    return dt.date.fromisoformat(str(day[0]))


def trends(
    session: Session, principal: Principal, sel: Selection, *, period: str, by: str
) -> dict[str, Any]:
    """:func:`service.trends` of the selection (default: the last two years), from the counts
    when they are built, else from the incidents; ``by`` is checked before anything is read."""
    if by not in BY:
        raise Invalid(
            "by", f"{by!r}: use class, subtype, group, district, station, community, cell or all"
        )
    plan = _plan(session, principal, sel, default_days=731)
    level, path, exact = _counts_level(principal, plan, by)
    if level >= agg.LEVELS or not agg.is_built(session):  # small scopes: their incidents
        frame = data.load(session, principal, sel, default_days=731)
        return service.trends(session, frame, period=period, by=by, as_of=_as_of(frame.until))
    counts = _day_counts(
        session,
        principal,
        sel,
        plan,
        level=level,
        path=path,
        exact=exact,
        by_jpath=by in service.AREA_DEPTH,
    )
    return _trends_from_counts(session, counts, period=period, by=by, as_of=_as_of(plan.until))


# ------------------------------------------------------------------ hot spots


@dataclass(frozen=True)
class _Projected:
    """What ``service._cells_geojson`` needs of a frame: its projection."""

    projection: LocalProjection


def hotspots(
    session: Session,
    principal: Principal,
    sel: Selection,
    *,
    cell_m: float = 250.0,
    bandwidth_m: float = 300.0,
    alpha: float = 0.05,
    radius_cells: int = 1,
    min_share: float = 0.05,
) -> dict[str, Any]:
    """:func:`service.hotspots` of the selection (default: the last 28 days). Gi* from the
    grid counts is exactly the incidents' Gi* when ``cell_m`` is a multiple of 25 m; the KDE
    places each 25 m square's count at its centre (linear binning of those centres, within
    a few percent of the incidents' KDE where it is shown: tested within 5% at 100 m and
    250 m cells)."""
    from pingan.analytics import kde_grid

    if not cell_m > 0:
        raise Invalid("cell_m", f"must be > 0, got {cell_m}")
    if not bandwidth_m > 0:
        raise Invalid("bandwidth_m", f"must be > 0, got {bandwidth_m}")
    plan = _plan(session, principal, sel, default_days=28)
    k = cell_m / agg.BASE_M
    grid = None
    if abs(k - round(k)) < 1e-9 and agg.is_built(session):
        grid = agg.grid_counts(
            session,
            scope=principal.jpath,
            first_day=plan.first_day,
            end_day=plan.end_day,
            subtypes=plan.subtypes,
            jurisdiction_path=plan.path,
            include_drill=sel.include_drill,
        )
    if grid is None:
        frame = data.load(session, principal, sel, default_days=28)
        return service.hotspots(
            session,
            frame,
            cell_m=cell_m,
            bandwidth_m=bandwidth_m,
            alpha=alpha,
            radius_cells=radius_cells,
            min_share=min_share,
        )
    edges = _edge_frames(session, principal, plan, sel.include_drill)
    n_total = int(grid.n.sum()) + sum(len(f) for f in edges)
    if n_total < 3:
        raise Invalid(
            "selection",
            f"{n_total} incidents selected; at least 3 needed "
            "(widen the period, area or categories)",
        )
    proj = _Projected(grid.frame.projection)
    bounds, nx, ny = service.grid_for(proj, session, cell_m=cell_m)  # type: ignore[arg-type]
    base = agg.BASE_M
    kk = round(k)
    ex = np.concatenate([f.x_m for f in edges]) if edges else np.empty(0)
    ey = np.concatenate([f.y_m for f in edges]) if edges else np.empty(0)
    # KDE: each square's count at its centre, the edges' incidents where they are
    x = np.concatenate([grid.frame.x0_m + (grid.gx + 0.5) * base, ex])
    y = np.concatenate([grid.frame.y0_m + (grid.gy + 0.5) * base, ey])
    w = np.concatenate([grid.n.astype(np.float64), np.ones(ex.size)])
    density = kde_grid(x, y, bandwidth_m=bandwidth_m, cell_m=cell_m, bounds=bounds, weights=w)
    ix = np.concatenate([grid.gx // kk, ((ex - bounds[0]) // cell_m).astype(np.int64)]).clip(
        0, nx - 1
    )
    iy = np.concatenate([grid.gy // kk, ((ey - bounds[1]) // cell_m).astype(np.int64)]).clip(
        0, ny - 1
    )
    counts = np.bincount(
        iy * nx + ix,
        weights=np.concatenate([grid.n, np.ones(ex.size, np.int64)]),
        minlength=nx * ny,
    ).reshape(ny, nx)
    return service.hotspot_cells(
        proj,  # type: ignore[arg-type]
        bounds,
        density,
        counts.astype(np.float64),
        n_incidents=n_total,
        cell_m=cell_m,
        bandwidth_m=bandwidth_m,
        alpha=alpha,
        radius_cells=radius_cells,
        min_share=min_share,
    )


# ------------------------------------------------------------------ warnings


def warning_counts(
    session: Session, principal: Principal, *, since: dt.datetime, until: dt.datetime, by: str
) -> service.AreaDayCounts | None:
    """The incidents of ``[since, until)`` per area of level ``by`` (station or district), local
    day and subtype, for the warnings' alarms: whole days from the day counts, the partial
    first and last day from the incidents; ``None`` where the counts cannot answer (never
    built, or a level they do not keep), and the caller reads the incidents. O(areas × days ×
    subtypes) rows, never O(incidents) (about 400 × 30 stations × a few subtypes a day
    against half a million incidents on the demo city)."""
    if by not in ("district", "station") or not agg.is_built(session):
        return None
    sel = Selection(since=since, until=until)
    plan = _plan(session, principal, sel, default_days=400)
    here = _depth(principal.jpath) if principal.jpath != "/" else 0
    level = service.AREA_DEPTH[by]
    if here > level:  # a scope below the level: its own incidents
        return None
    path = principal.jpath if principal.jpath != "/" else None
    c = _day_counts(
        session, principal, sel, plan, level=level, path=path, exact=False, by_jpath=True
    )
    assert c.jpath is not None
    return service.AreaDayCounts(c.jpath.astype(object), c.day, c.subtype, c.n)
