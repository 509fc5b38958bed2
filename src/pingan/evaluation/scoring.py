"""The scorecard kernel: weighted, normalised scores against targets, over arrays.

Pure numpy: no database, no I/O, no globals. ``service.py`` aggregates the work records in SQL
and hands the arrays here.

Formulation, for entity *e* (an officer, a grid cell, a community or a station) and indicator
*i* with value :math:`v_{ei}`, target :math:`t_i > 0`, weight :math:`w_i \\ge 0` and cap *c*::

    achievement a_ei = min(c, v_ei / t_i)      if higher is better
                       min(c, t_i / v_ei)      if lower is better   (c when v_ei = 0)
    available   m_ei = 1 if v_ei is known (not NaN) else 0
    contribution k_ei = 100 * w_i * m_ei * a_ei / sum_j(w_j * m_ej)
    score       s_e  = sum_i k_ei          (NaN when no weighted indicator has data)
    coverage    g_e  = sum_i(w_i * m_ei) / sum_i(w_i)

So a score of 100 means every target met exactly; a missing indicator does not count as zero,
its weight is spread over the others and ``coverage`` says how much of the card had data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ScoreResult",
    "grouped_quantile",
    "grouped_sum",
    "rank_desc",
    "score",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class ScoreResult:
    """Per entity and indicator: achievement and contribution; per entity: score, coverage."""

    achievement: F64  # (n, k), NaN where no data
    contribution: F64  # (n, k), 0 where no data
    score: F64  # (n,), NaN where no data at all
    coverage: F64  # (n,), share of the total weight with data


def score(
    values: ArrayLike,
    *,
    targets: ArrayLike,
    weights: ArrayLike,
    higher_is_better: ArrayLike,
    cap: float = 1.2,
) -> ScoreResult:
    """Score ``values`` (n entities × k indicators, NaN = no data) against the targets.

    Raises ``ValueError`` naming the argument for shapes that disagree, a target that is not
    positive, a negative weight, weights summing to 0, or a cap that is not positive.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values: expected a 2-d array (entities × indicators), got {v.ndim}-d")
    n, k = v.shape
    t = np.asarray(targets, dtype=np.float64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    hi = np.asarray(higher_is_better, dtype=bool).reshape(-1)
    for name, arr in (("targets", t), ("weights", w), ("higher_is_better", hi)):
        if arr.shape[0] != k:
            raise ValueError(f"{name}: expected {k} values (one per indicator), got {arr.shape[0]}")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError("targets: every target must be a finite number > 0")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights: every weight must be a finite number >= 0")
    if k and w.sum() <= 0:
        raise ValueError("weights: must sum to more than 0")
    if not np.isfinite(cap) or cap <= 0:
        raise ValueError(f"cap: must be a finite number > 0, got {cap}")
    known = ~np.isnan(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = v / t
        down = np.where(v > 0, t / np.where(v > 0, v, 1.0), cap)
    ach = np.where(hi, up, down)
    ach = np.clip(ach, 0.0, cap)
    ach = np.where(known, ach, np.nan)
    wk = np.where(known, w, 0.0)
    wsum = wk.sum(axis=1)
    has = wsum > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = np.where(has[:, None], 100.0 * wk * np.nan_to_num(ach) / wsum[:, None], 0.0)
    sc = np.where(has, contrib.sum(axis=1), np.nan)
    total_w = float(w.sum()) if k else 1.0
    cov = wsum / total_w if total_w > 0 else np.zeros(n)
    return ScoreResult(achievement=ach, contribution=contrib, score=sc, coverage=cov)


def rank_desc(scores: ArrayLike) -> I64:
    """Competition ranks (1, 2, 2, 4) by descending score; entities without a score get 0."""
    s = np.asarray(scores, dtype=np.float64)
    out = np.zeros(s.shape[0], dtype=np.int64)
    ok = np.flatnonzero(~np.isnan(s))
    if ok.size == 0:
        return out
    vals = np.round(s[ok], 9)
    # rank = 1 + number of entities with a strictly higher score
    sorted_vals = np.sort(vals)
    higher = ok.size - np.searchsorted(sorted_vals, vals, side="right")
    out[ok] = higher + 1
    return out


def grouped_sum(group: ArrayLike, weights: ArrayLike, n_groups: int) -> F64:
    """Sum of ``weights`` per group index (``-1`` = no group, dropped)."""
    g = np.asarray(group, dtype=np.int64)
    x = np.asarray(weights, dtype=np.float64)
    keep = g >= 0
    return np.bincount(g[keep], weights=x[keep], minlength=n_groups)[:n_groups].astype(np.float64)


def grouped_quantile(group: ArrayLike, values: ArrayLike, n_groups: int, q: float) -> F64:
    """The ``q`` quantile (linear interpolation, like ``numpy.quantile``) of ``values`` per group
    index; NaN for empty groups. O(n log n) for n values, no Python loop over groups."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q: must be in [0, 1], got {q}")
    g = np.asarray(group, dtype=np.int64)
    x = np.asarray(values, dtype=np.float64)
    keep = (g >= 0) & ~np.isnan(x)
    g, x = g[keep], x[keep]
    out = np.full(n_groups, np.nan)
    if g.size == 0:
        return out
    order = np.lexsort((x, g))
    g, x = g[order], x[order]
    counts = np.bincount(g, minlength=n_groups)[:n_groups]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    pos = starts[has] + q * (counts[has] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, starts[has] + counts[has] - 1)
    frac = pos - lo
    out[has] = x[lo] + (x[hi] - x[lo]) * frac
    return out
