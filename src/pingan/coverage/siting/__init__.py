"""Siting models: maximal covering (MCLP), set covering (LSCP), backup coverage and p-median.

Pure numpy/scipy kernels in the shape of PySAL spopt: a model is built with
``Model.from_cost_matrix(cost_s, weights, *, standard_s, n_sites, required=None)``,
``solve(method="exact" | "heuristic", time_limit_s=None)`` returns the model, and the answer is
``model.result_``, a frozen :class:`SitingResult`.

``cost_s`` is a demand × candidate array of seconds (or metres): dense (``inf`` = unreachable)
or a ``scipy.sparse`` matrix whose stored entries are the finite costs (absent = unreachable),
which keeps a 100,000 × 5,000 instance in memory. ``required`` are candidate indices that must be
selected (existing posts kept).

Exact solves use HiGHS through :func:`scipy.optimize.milp`. Every model is first reduced
(vectorised, over sparse boolean matrices):

* demand points covered by no candidate are dropped and reported as uncoverable;
* demand points with identical covering sets are merged (their weights summed; rows hashed with
  two independent random 64-bit keys per candidate);
* demand already saturated by the required sites is taken out as a constant;
* dominated candidates are dropped: a non-required candidate whose covering set is a subset of
  another's (ties broken by index) — for backup coverage only when two such supersets exist,
  so that double coverage is never lost.

The heuristic works on the reduced model: greedy on marginal gain over the sparse coverage
matrix, best-improvement swaps evaluated for every (out, in) pair at once from incrementally
kept "covered exactly once" gains, then iterated local search (remove a site and its most
overlapping neighbours, refill greedily, descend, keep if better) under a time budget. It runs
first and is kept whenever the solver's incumbent is not better. The answer is always
re-evaluated from the selected set on the original matrix, never taken from the solver's
status, and the gap is measured against a proven bound (HiGHS' MIP dual bound; for the MCLP
heuristic a Lagrangian bound, for backup coverage the LP relaxation):
``gap = |bound - objective| / max(|objective|, |bound|)``, i.e. ``(bound - objective) / bound``
when maximising.

Errors are :class:`SitingInputError` (a ``ValueError``); each message names the argument and
the fix.

Layout (one concern a module): ``common`` (types, time-budget constants, clock, errors),
``validation``, ``result`` (:class:`SitingResult`, gap, explanation), ``reduction``,
``heuristics``, ``highs`` (the exact formulation and the proven bounds), ``model`` (base
classes), and one module per model: ``mclp``, ``backup``, ``lscp``, ``pmedian``; ``moveup``
moves available units to restore coverage while others are busy (exact gain per move, greedy).
"""

from __future__ import annotations

from pingan.coverage.siting.backup import BackupCoverage
from pingan.coverage.siting.common import NotSolvedError, SitingInputError
from pingan.coverage.siting.heuristics import _cover_counts as _cover_counts
from pingan.coverage.siting.heuristics import _greedy as _greedy
from pingan.coverage.siting.heuristics import _local_search as _local_search
from pingan.coverage.siting.heuristics import _SwapSearch as _SwapSearch
from pingan.coverage.siting.heuristics import _value as _value
from pingan.coverage.siting.highs import _coverage_milp as _coverage_milp
from pingan.coverage.siting.highs import _lagrangian_bound as _lagrangian_bound
from pingan.coverage.siting.highs import _lp_bound as _lp_bound
from pingan.coverage.siting.lscp import LSCP
from pingan.coverage.siting.mclp import MCLP
from pingan.coverage.siting.moveup import Move, MoveUp, MoveUpResult
from pingan.coverage.siting.pmedian import PMedian
from pingan.coverage.siting.reduction import _reduce as _reduce
from pingan.coverage.siting.reduction import _Reduced as _Reduced
from pingan.coverage.siting.result import SitingResult
from pingan.coverage.siting.result import _gap as _gap

__all__ = [
    "LSCP",
    "MCLP",
    "BackupCoverage",
    "Move",
    "MoveUp",
    "MoveUpResult",
    "NotSolvedError",
    "PMedian",
    "SitingInputError",
    "SitingResult",
]

# Beyond this many finite demand-candidate pairs, p-median solves in k-nearest rounds. Kept here,
# on the package, so that one assignment (a test's monkeypatch, a caller's tuning) reaches it.
_PMEDIAN_FULL_PAIRS = 200_000
