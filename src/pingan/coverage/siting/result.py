"""The frozen answer of a siting model, its gap and the coverage models' explanation."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pingan.coverage.siting.common import I64
from pingan.coverage.siting.reduction import _Reduced

if TYPE_CHECKING:
    from pingan.coverage.siting.model import _CoverageModel


@dataclass(frozen=True)
class SitingResult:
    """The answer of a siting model.

    Attributes
    ----------
    selected : ndarray of int64
        Candidate indices selected (sorted), required sites included.
    covered_weight, covered_share : float
        Demand weight reached within the standard by at least one selected site, and its share
        of the total weight (uncoverable demand counts in the total). For p-median, within
        ``standard_s`` if one was given, else every assignable demand.
    objective : float
        The model's objective for ``selected``, recomputed from the original cost matrix:
        MCLP covered weight; LSCP number of sites; backup coverage the weighted coverage
        ``θ·covered + (1-θ)·covered twice``; p-median the weighted total cost.
    bound : float
        A proven bound on the optimum (upper for maximisation, lower for minimisation).
    gap : float
        ``|bound - objective| / max(|objective|, |bound|)``; 0 means proven optimal.
    method, status : str
        ``"exact"`` or ``"heuristic"``; ``"optimal"``, ``"time_limit"``, ``"heuristic"`` or
        ``"infeasible"``.
    solve_time_s : float
        Wall time of ``solve()``, reduction included.
    n_demand, n_candidates : int
        Size of the input.
    n_demand_reduced, n_candidates_reduced : int
        Size of the model actually optimised after the reduction.
    uncoverable : ndarray of int64
        Demand points no candidate reaches within the standard (p-median: at any cost).
    uncoverable_weight : float
        Their weight.
    backup_weight : float or None
        Backup coverage only: weight covered by two or more selected sites.
    assignment : ndarray of int64 or None
        P-median only: the selected candidate serving each demand point (-1: none reachable).
    explanation : str
        One paragraph saying how the numbers were computed.
    """

    selected: I64
    covered_weight: float
    covered_share: float
    objective: float
    bound: float
    gap: float
    method: str
    status: str
    solve_time_s: float
    n_demand: int
    n_candidates: int
    n_demand_reduced: int
    n_candidates_reduced: int
    uncoverable: I64
    uncoverable_weight: float
    backup_weight: float | None = None
    assignment: I64 | None = None
    explanation: str = ""


def _gap(objective: float, bound: float) -> float:
    den = max(abs(objective), abs(bound))
    if not math.isfinite(den):
        return math.inf if math.isfinite(objective) or math.isfinite(bound) else 0.0
    if den <= 1e-12:
        return 0.0
    return max(0.0, abs(bound - objective) / den)


def _as_result(
    model: _CoverageModel,
    *,
    selected: I64,
    objective: float,
    bound: float,
    method: str,
    status: str,
    t0: float,
    red: _Reduced,
    once: float,
    twice: float | None,
    note: str,
) -> SitingResult:
    total = float(model.weights.sum())
    g = _gap(objective, bound)
    share = once / total if total > 0 else 0.0
    text = (
        f"{type(model).__name__} {method} ({status}): {selected.size} sites cover "
        f"{share:.2%} of the demand weight ({once:g} of {total:g}) within {model.standard_s:g}; "
        f"objective {objective:g}, bound {bound:g}, gap {g:.3%}. Reduced "
        f"{model.n_demand} demand points to {red.a.shape[0]} groups and {model.n_candidates} "
        f"candidates to {red.a.shape[1]}. {red.uncoverable.size} demand points (weight "
        f"{red.uncoverable_weight:g}) are reached by no candidate. {note}"
    ).strip()
    return SitingResult(
        selected=selected,
        covered_weight=once,
        covered_share=share,
        objective=objective,
        bound=bound,
        gap=g,
        method=method,
        status=status,
        solve_time_s=time.perf_counter() - t0,
        n_demand=model.n_demand,
        n_candidates=model.n_candidates,
        n_demand_reduced=int(red.a.shape[0]),
        n_candidates_reduced=int(red.a.shape[1]),
        uncoverable=red.uncoverable,
        uncoverable_weight=red.uncoverable_weight,
        backup_weight=twice,
        explanation=text,
    )
