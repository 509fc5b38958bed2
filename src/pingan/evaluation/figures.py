"""Computing a card: one aggregate query per indicator (``GROUP BY jpath, officer``, so the
database returns a few thousand rows, not the records), mapped onto the entities of every level
at once with numpy and scored with :func:`pingan.evaluation.scoring.score`; the trend of a card
over periods; and the rows behind one figure. A source with stored counts
(``Source.counts``: ``preventable_incidents_yoy`` from the cell × day counts of
``pingan.aggregates``) gives the same grouped rows from them, O(cells × days) instead of
O(incidents); the response-time quantiles read the incidents (they need each value).

Attribution: *place* indicators (incidents, disputes, premises, surveys) belong to the grid
cell they happened in, and through it to its community, station and owning officer; *officer*
indicators (instructions, checklist tasks) belong to the officer they were given to, and
through the officer's own jurisdiction to a community and a station; a grid cell shows its
owning officer's figures for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from pingan.errors import Invalid, NotFound
from pingan.evaluation.geography import LEVELS, Entities, Geography, load_geography
from pingan.evaluation.periods import Period
from pingan.evaluation.scorecards import CardSpec
from pingan.evaluation.scoring import grouped_quantile, grouped_sum, rank_desc, score
from pingan.evaluation.sources import SOURCES, Ctx, Source, unavailable_reason
from pingan.store.base import utcnow

__all__ = [
    "RANK_MIN_COVERAGE",
    "LevelResult",
    "compute",
    "make_ctx",
    "source_rows",
    "trend",
]

RANK_MIN_COVERAGE = 0.5
"""Entities with data for less than this share of the card's weight are scored but not ranked,
so that a score resting on one or two indicators does not top the table."""
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
USE_COUNTS = True
"""Whether sources with stored counts read them (tests turn it off to compare with the
records' query)."""


@dataclass
class _Raw:
    """One indicator's aggregated records: per group, where (path index) and whose (officer)."""

    source: Source
    reason: str | None = None
    jp: list[str] = field(default_factory=list)
    off: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    num: F64 = field(default_factory=lambda: np.zeros(0))
    den: F64 = field(default_factory=lambda: np.zeros(0))
    values: F64 = field(default_factory=lambda: np.zeros(0))


@dataclass
class LevelResult:
    """Figures of one level: entities × indicators."""

    level: str
    entities: Entities
    value: F64
    numerator: F64
    denominator: F64
    achievement: F64
    contribution: F64
    score: F64
    coverage: F64
    rank: I64
    reasons: list[list[str | None]]


def make_ctx(
    session: Session,
    period: Period,
    *,
    jpath: str,
    now: dt.datetime | None,
    geo: Geography | None = None,
) -> Ctx:
    """The source queries' context; officer records are kept to the officers of ``geo``."""
    prev = period.last_year()
    return Ctx(
        start=period.start,
        end=period.end,
        first=period.first,
        last=period.last,
        prev_start=prev.start,
        prev_end=prev.end,
        now=now or utcnow(),
        dialect=session.get_bind().dialect.name,
        jpath=jpath,
        officers=None if geo is None else tuple(geo.levels["officer"].ids),
    )


def _load_raw(session: Session, src: Source, ctx: Ctx, geo: Geography) -> _Raw:
    raw = _Raw(src)
    raw.reason = unavailable_reason(src)
    if raw.reason is not None:
        return raw
    if ctx.start >= ctx.now:
        raw.reason = "the period has not started yet"
        return raw
    rows = src.counts(session, ctx) if USE_COUNTS and src.counts is not None else None
    if rows is None:
        sub = src.build(ctx).subquery()
        if src.kind == "ratio":
            q: Select[Any] = select(
                sub.c.jpath, sub.c.officer_id, func.sum(sub.c.num), func.sum(sub.c.den)
            ).group_by(sub.c.jpath, sub.c.officer_id)
        else:
            q = select(sub.c.jpath, sub.c.officer_id, sub.c.value)
        rows = list(session.execute(q).all())
    off_index = geo.levels["officer"].index
    raw.jp = [r[0] for r in rows]
    raw.off = np.array(
        [off_index.get(int(r[1]), -1) if r[1] is not None else -1 for r in rows], dtype=np.int64
    )
    if src.kind == "ratio":
        raw.num = np.array([float(r[2] or 0) for r in rows])
        raw.den = np.array([float(r[3] or 0) for r in rows])
    else:
        raw.values = np.array([np.nan if r[2] is None else float(r[2]) for r in rows])
    return raw


def _entity_of_rows(raw: _Raw, geo: Geography, level: str) -> I64:
    """Entity index of each aggregated group at ``level`` (cell level of officer sources is
    broadcast afterwards)."""
    loc = np.array([geo.locate(j) for j in raw.jp], dtype=np.int64).reshape(-1, 3)
    if raw.source.attribution == "place":
        if level == "officer":
            cell = loc[:, 2]
            return (
                np.where(cell >= 0, geo.cell_owner[np.maximum(cell, 0)], -1)
                if len(geo.cell_owner)
                else np.full(len(cell), -1, np.int64)
            )
        return loc[:, ("station", "community", "cell").index(level)]
    if level in ("officer", "cell"):
        return raw.off
    home = geo.officer_home[level]
    return np.where(raw.off >= 0, home[np.maximum(raw.off, 0)], -1) if len(home) else raw.off


def _figures(raw: _Raw, geo: Geography, level: str, n: int) -> tuple[F64, F64, F64]:
    """(value, numerator, denominator) per entity; for distributions the denominator is the
    number of records and the numerator NaN."""
    if raw.reason is not None:
        nan = np.full(n, np.nan)
        return nan, nan.copy(), nan.copy()
    ent = _entity_of_rows(raw, geo, level)
    m = (
        len(geo.levels["officer"])
        if (level == "cell" and raw.source.attribution == "officer")
        else n
    )
    if raw.source.kind == "ratio":
        num = grouped_sum(ent, raw.num, m)
        den = grouped_sum(ent, raw.den, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    else:
        q = raw.source.quantile if raw.source.quantile is not None else 0.5
        val = grouped_quantile(ent, raw.values, m, q)
        den = grouped_sum(ent, np.ones(len(ent)), m)
        num = np.full(m, np.nan)
    if m != n:  # a cell shows its owner's figures for officer-attributed indicators
        own = geo.cell_owner
        ok = own >= 0
        pick = np.maximum(own, 0)
        val = np.where(ok, val[pick] if m else np.nan, np.nan)
        num = np.where(ok, num[pick] if m else np.nan, np.nan)
        den = np.where(ok, den[pick] if m else np.nan, np.nan)
    return val, num, den


def compute(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    levels: tuple[str, ...],
    jpath: str,
    officer_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, LevelResult]:
    """Score every entity of each of ``levels`` inside ``jpath`` for ``period``."""
    for lv in levels:
        if lv not in LEVELS:
            raise Invalid("level", f"{lv!r} is not a level; use {', '.join(LEVELS)}")
    geo = load_geography(session, jpath=jpath, officer_id=officer_id)
    ctx = make_ctx(session, period, jpath=jpath, now=now, geo=geo)
    cache: dict[str, _Raw] = {}
    raws: list[_Raw] = []
    for ind in spec.indicators:
        src = SOURCES[ind.source]
        key = "response" if src.kind == "quantile" else src.code
        if key not in cache:
            cache[key] = _load_raw(session, src, ctx, geo)
        r = cache[key]
        raws.append(
            r if r.source is src else _Raw(src, r.reason, r.jp, r.off, r.num, r.den, r.values)
        )
    targets = np.array([i.target for i in spec.indicators])
    weights = np.array([i.weight for i in spec.indicators])
    higher = np.array([i.direction == "higher" for i in spec.indicators])
    out: dict[str, LevelResult] = {}
    for lv in levels:
        ents = geo.levels[lv]
        n, k = len(ents), len(spec.indicators)
        val = np.full((n, k), np.nan)
        num = np.full((n, k), np.nan)
        den = np.full((n, k), np.nan)
        reasons: list[list[str | None]] = [[None] * k for _ in range(n)]
        for j, raw in enumerate(raws):
            val[:, j], num[:, j], den[:, j] = _figures(raw, geo, lv, n)
            if raw.reason is not None:
                for e in range(n):
                    reasons[e][j] = raw.reason
            else:
                for e in np.flatnonzero(np.isnan(val[:, j])).tolist():
                    reasons[e][j] = _no_data_reason(raw.source, den[e, j])
        res = score(
            val, targets=targets, weights=weights, higher_is_better=higher, cap=spec.achievement_cap
        )
        out[lv] = LevelResult(
            level=lv,
            entities=ents,
            value=val,
            numerator=num,
            denominator=den,
            achievement=res.achievement,
            contribution=res.contribution,
            score=res.score,
            coverage=res.coverage,
            rank=rank_desc(np.where(res.coverage >= RANK_MIN_COVERAGE, res.score, np.nan)),
            reasons=reasons,
        )
    return out


def _no_data_reason(src: Source, den: float) -> str:
    """Why a figure is empty, in English (the page translates these texts: REASONS in
    static/js/evaluation.js; keep them in step)."""
    if src.code == "preventable_incidents_yoy" and not np.isnan(den) and den == 0:
        return "no preventable incidents in the same days last year to compare with"
    if src.attribution == "officer":
        return "no records of this officer's work in the period"
    return "no records in the period"


def trend(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    periods: int,
    level: str,
    jpath: str,
    entity_id: int | None,
    officer_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The score over the ``periods`` periods ending with ``period``: the entity's score and
    indicator values (when ``entity_id`` is given) and the median and mean of the scope."""
    if not 1 <= periods <= 24:
        raise Invalid("periods", "must be between 1 and 24")
    out = []
    for step in range(periods - 1, -1, -1):
        p = period.shift(-step)
        lr = compute(
            session,
            spec=spec,
            period=p,
            levels=(level,),
            jpath=jpath,
            officer_id=officer_id,
            now=now,
        )[level]
        sc = lr.score[~np.isnan(lr.score)]
        point: dict[str, Any] = {
            "period": p.label,
            "first": p.first,
            "last": p.last,
            "median": round(float(np.median(sc)), 2) if sc.size else None,
            "mean": round(float(sc.mean()), 2) if sc.size else None,
            "entities": int(sc.size),
            "score": None,
            "rank": None,
            "values": {},
        }
        if entity_id is not None:
            e = lr.entities.index.get(entity_id)
            if e is None:
                raise NotFound(
                    f"{level} {entity_id} does not exist or is outside your jurisdiction",
                    field="entity_id",
                )
            s = lr.score[e]
            point["score"] = None if np.isnan(s) else round(float(s), 2)
            point["rank"] = int(lr.rank[e]) or None
            point["values"] = {
                ind.code: (None if np.isnan(lr.value[e, j]) else float(lr.value[e, j]))
                for j, ind in enumerate(spec.indicators)
            }
        out.append(point)
    return out


# ---------------------------------------------------------------- figure sources


def source_rows(
    session: Session,
    *,
    spec: CardSpec,
    period: Period,
    level: str,
    entity_id: int,
    indicator: str,
    part: str,
    jpath: str,
    officer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The records behind one figure: ``part`` all | numerator | denominator | shortfall
    (counted in the denominator but not in the numerator, e.g. the instructions signed late)."""
    if level not in LEVELS:
        raise Invalid("level", f"{level!r} is not a level; use {', '.join(LEVELS)}")
    ind = next((i for i in spec.indicators if i.code == indicator), None)
    if ind is None:
        raise Invalid(
            "indicator",
            f"{indicator!r} is not an indicator of scorecard {spec.code!r}; use "
            + ", ".join(i.code for i in spec.indicators),
        )
    if part not in ("all", "numerator", "denominator", "shortfall"):
        raise Invalid("part", "use all, numerator, denominator or shortfall")
    src = SOURCES[ind.source]
    geo = load_geography(session, jpath=jpath, officer_id=officer_id)
    e = geo.levels[level].index.get(entity_id)
    if e is None:
        raise NotFound(
            f"{level} {entity_id} does not exist or is outside your jurisdiction", field="entity_id"
        )
    base: dict[str, Any] = {
        "indicator": ind.code,
        "source": src.code,
        "record": src.record,
        "level": level,
        "entity_id": entity_id,
        "period": period.label,
        "part": part,
        "how_zh": src.how_zh,
        "how_en": src.how_en,
        "total": 0,
        "limit": limit,
        "offset": offset,
        "items": [],
        "reason": unavailable_reason(src),
    }
    if base["reason"] is not None:
        return base
    ctx = make_ctx(session, period, jpath=jpath, now=now, geo=geo)
    sub = src.build(ctx).subquery()
    conds: list[Any] = []
    ents = geo.levels[level]
    if src.attribution == "place":
        if level == "officer":
            cells = [
                geo.levels["cell"].paths[c] for c in np.flatnonzero(geo.cell_owner == e).tolist()
            ]
            conds.append(
                or_(*[sub.c.jpath.startswith(p, autoescape=True) for p in cells])
                if cells
                else sub.c.id < 0
            )
        else:
            conds.append(sub.c.jpath.startswith(ents.paths[e], autoescape=True))
    else:
        off = geo.levels["officer"]
        if level == "officer":
            uids = [entity_id]
        elif level == "cell":
            k = int(geo.cell_owner[e])
            uids = [off.ids[k]] if k >= 0 else []
        else:
            home = geo.officer_home[level]
            uids = [off.ids[k] for k in np.flatnonzero(home == e).tolist()]
        conds.append(sub.c.officer_id.in_(uids or [-1]))
    if src.kind == "ratio":
        if part == "numerator":
            conds.append(sub.c.num > 0)
        elif part == "denominator":
            conds.append(sub.c.den > 0)
        elif part == "shortfall":
            conds.append(sub.c.den > sub.c.num)
        order: list[Any] = [sub.c.at.desc(), sub.c.id.desc()]
    else:
        order = [sub.c.value.desc(), sub.c.id]
    base["total"] = int(session.scalar(select(func.count()).select_from(sub).where(*conds)) or 0)
    rows = session.execute(select(sub).where(*conds).order_by(*order).limit(limit).offset(offset))
    items = []
    for r in rows.mappings():
        item: dict[str, Any] = {
            "id": int(r["id"]),
            "ref_id": int(r["ref_id"]),
            "label": r["label"],
            "at": r["at"],
            "link": src.link.format(ref_id=r["ref_id"]) if src.link else None,
        }
        if src.kind == "ratio":
            item["numerator"] = float(r["num"] or 0)
            item["denominator"] = float(r["den"] or 0)
        else:
            item["value"] = None if r["value"] is None else round(float(r["value"]), 1)
        items.append(item)
    base["items"] = items
    return base
