"""Evaluation for its callers (API, pages, CLI, export): the applicable card computed for one
level in the caller's scope, and its rows with every figure and the link to its sources.

The parts: :mod:`~pingan.evaluation.scorecards` (card specs and stored cards),
:mod:`~pingan.evaluation.geography` (the entities), :mod:`~pingan.evaluation.figures`
(computing, trends, the rows behind a figure), :mod:`~pingan.evaluation.records` (surveys and
inspections), :mod:`~pingan.evaluation.sources` (one query per indicator source) and the pure
:mod:`~pingan.evaluation.scoring`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.errors import Invalid, NotFound
from pingan.evaluation.figures import LevelResult, compute
from pingan.evaluation.geography import LEVELS
from pingan.evaluation.periods import Period
from pingan.evaluation.scorecards import CardSpec, resolve_spec
from pingan.evaluation.sources import SOURCES
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.base import utcnow

__all__ = [
    "HOW",
    "HOW_ZH",
    "Evaluation",
    "evaluate",
    "own_officer",
    "rows_of",
    "scope_of",
    "sources_href",
]


@dataclass
class Evaluation:
    """A computed card for one level, with what it was computed for."""

    spec: CardSpec
    period: Period
    level: str
    jpath: str
    computed_at: dt.datetime
    result: LevelResult

    @property
    def partial(self) -> bool:
        """Whether the period is still running (figures so far)."""
        return self.period.end > self.computed_at


def scope_of(session: Session, *, principal: Principal, scope: int | None) -> str:
    """The path to compute inside: the caller's scope, narrowed to jurisdiction ``scope``."""
    if scope is None:
        return principal.jpath
    j = session.get(Jurisdiction, scope)
    if j is None or not principal.can_see(j.path):
        raise NotFound(
            f"jurisdiction {scope} does not exist or is outside your jurisdiction", field="scope"
        )
    return j.path


def own_officer(principal: Principal) -> int | None:
    """A community officer sees his own officer card only (``None``: every officer in scope)."""
    return principal.user_id if principal.role == "community_officer" else None


def evaluate(
    session: Session,
    *,
    principal: Principal,
    period: Period,
    level: str,
    scope: int | None = None,
    scorecard_id: int | None = None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Compute the applicable card for ``level`` in the caller's scope."""
    if level not in LEVELS:
        raise Invalid("level", f"{level!r} is not a level; use {', '.join(LEVELS)}")
    jpath = scope_of(session, principal=principal, scope=scope)
    spec = resolve_spec(session, principal=principal, scorecard_id=scorecard_id, jpath=jpath)
    at = now or utcnow()
    lr = compute(
        session,
        spec=spec,
        period=period,
        levels=(level,),
        jpath=jpath,
        officer_id=own_officer(principal),
        now=at,
    )[level]
    return Evaluation(spec, period, level, jpath, at, lr)


def _num(x: float, nd: int = 4) -> float | None:
    return None if x is None or np.isnan(x) else round(float(x), nd)


def sources_href(ev: Evaluation, entity_id: int, code: str) -> str:
    """The API link listing the records behind one figure."""
    return (
        f"/api/v1/evaluation/sources?period={ev.period.label}&level={ev.level}"
        f"&entity_id={entity_id}&indicator={code}"
        + (f"&scorecard_id={ev.spec.id}" if ev.spec.id is not None else "")
    )


def rows_of(ev: Evaluation, *, order: str = "rank") -> list[dict[str, Any]]:
    """Every entity's score with each figure, ordered by rank (or by code)."""
    lr, spec = ev.result, ev.spec
    n = len(lr.entities)
    if order == "rank":
        key = np.where(lr.rank > 0, lr.rank, n + 1)
        idx = np.lexsort((np.array(lr.entities.codes, dtype=object).astype(str), key)).tolist()
    else:
        idx = list(range(n))
    out = []
    for e in idx:
        ents = lr.entities
        figures = []
        for j, ind in enumerate(spec.indicators):
            src = SOURCES[ind.source]
            figures.append(
                {
                    "code": ind.code,
                    "unit": src.unit,
                    "value": _num(lr.value[e, j]),
                    "numerator": _num(lr.numerator[e, j], 2),
                    "denominator": _num(lr.denominator[e, j], 2),
                    "target": ind.target,
                    "achievement": _num(lr.achievement[e, j]),
                    "weight": ind.weight,
                    "contribution": round(float(lr.contribution[e, j]), 3),
                    "no_data_reason": lr.reasons[e][j],
                    "sources": sources_href(ev, ents.ids[e], ind.code),
                }
            )
        out.append(
            {
                "entity_id": ents.ids[e],
                "code": ents.codes[e],
                "name_zh": ents.names_zh[e],
                "name_en": ents.names_en[e],
                "parent_zh": ents.parent_zh[e],
                "parent_en": ents.parent_en[e],
                "score": _num(lr.score[e], 2),
                "rank": int(lr.rank[e]) or None,
                "coverage": round(float(lr.coverage[e]), 4),
                "figures": figures,
            }
        )
    return out


HOW = (
    "achievement = value / target (higher is better) or target / value (lower is better), "
    "capped; contribution = 100 × weight × achievement / Σ weights of indicators with data; "
    "score = Σ contributions (100 = every target met); coverage = share of the weight with data; "
    "entities with less than half of the weight in data are scored but not ranked"
)
HOW_ZH = (
    "达成率 = 数值 / 目标（越高越好）或 目标 / 数值（越低越好），设上限；"
    "得分贡献 = 100 × 权重 × 达成率 / 有数据指标的权重和；"
    "得分 = 各项贡献之和（100 分表示全部达标）；数据覆盖 = 有数据指标的权重占比；"
    "数据覆盖不足一半的对象计分但不排名"
)
