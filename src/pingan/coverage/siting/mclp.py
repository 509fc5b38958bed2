"""Maximal covering (MCLP) and the maximise-coverage solve it shares with backup coverage."""

from __future__ import annotations

import math
import time
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike

from pingan.coverage.siting.common import (
    _BOUND_DEFAULT_S,
    _BOUND_RESERVE_S,
    _MIP_ROOT_FACTOR,
    _SEARCH_DEFAULT_S,
    _SEARCH_EXACT_S,
    BoolA,
    Method,
    _Clock,
    _lp_seconds,
)
from pingan.coverage.siting.heuristics import _cover_counts, _greedy, _local_search, _value
from pingan.coverage.siting.highs import (
    _coverage_milp,
    _dual_bound,
    _lagrangian_bound,
    _lp_bound,
    _reduced_cost_fixing,
    _round_selection,
)
from pingan.coverage.siting.model import _CoverageModel
from pingan.coverage.siting.reduction import _reduce, _Reduced
from pingan.coverage.siting.result import _as_result, _gap
from pingan.coverage.siting.validation import _check_method


class _MaxCoverage(_CoverageModel):
    """Maximise weighted coverage with ``n_sites`` sites (MCLP and backup share this)."""

    def solve(
        self, method: Method = "exact", time_limit_s: float | None = None, *, gap: float = 1e-9
    ) -> Self:
        """Solve and set ``result_``; returns self.

        Parameters
        ----------
        method : {"exact", "heuristic"}
            ``"exact"``: reduction, heuristic (greedy, swaps, a short iterated local search:
            at most 2 s or 30 idle rounds), then HiGHS branch and bound seeded with the
            heuristic value as an objective cut-off. ``"heuristic"``: reduction, greedy,
            swaps and iterated local search, then the bound: for MCLP the smoothed
            Lagrangian relaxation (never below the LP bound, and close to it), for backup
            coverage the LP relaxation (HiGHS).
        time_limit_s : float, optional
            Wall-time budget. On expiry the better of the solver incumbent and the heuristic
            is returned with its gap to HiGHS' dual bound. For ``"heuristic"`` the search
            gets 45% of what is left after the reduction and the bound the rest; without a
            limit the search stops after 10 s or 300 rounds without improvement, the
            Lagrangian bound after 12 s or convergence.
        gap : float
            Relative MIP gap at which HiGHS stops (default 1e-9: optimal).
        """
        _check_method(method, time_limit_s)
        t0 = time.perf_counter()
        clock = _Clock(t0, time_limit_s)
        deadline = clock.deadline
        assert self.n_sites is not None
        n_free = self.n_sites - int(self.required.size)
        red = _reduce(self.a, self.weights, self.required, n_free, self.theta)
        now = time.perf_counter()
        if method == "heuristic":  # most of the budget to the search, the rest to the bound
            search_deadline = (
                now + _SEARCH_DEFAULT_S if time_limit_s is None else now + 0.45 * (deadline - now)
            )
            max_stall = 300
        else:  # a short search for a good cut-off; branch and bound does the rest
            search_deadline = min(t0 + 0.25 * (deadline - t0), now + _SEARCH_EXACT_S)
            max_stall = 30
        sel_g = _greedy(red)
        sel_h, val_h, ls_info = _local_search(
            red, sel_g, deadline=search_deadline, perturb=True, max_stall=max_stall
        )
        best_sel, best_val = sel_h, val_h + red.const
        trivial = red.const + float(red.w.sum()) * float(self.theta.sum())
        search = (
            f"Greedy + best-improvement swaps + iterated local search ({ls_info['swaps']} "
            f"swaps, {ls_info['rounds']} perturbation rounds, {ls_info['improved']} improving)"
        )
        note = ""
        if trivial - best_val <= 1e-9 * max(1.0, trivial):
            bound, status = trivial, "optimal"
            note = "Every coverable demand point is covered: optimal by the trivial bound."
        elif method == "heuristic":
            status = "heuristic"
            bound_deadline = (
                time.perf_counter() + _BOUND_DEFAULT_S if time_limit_s is None else deadline
            )
            best_sel, best_val, bound, how = self._heuristic_bound(
                red, best_sel, best_val, trivial, clock, bound_deadline
            )
            note = f"{search}; {how}"
        else:
            best_sel, best_val, bound, status, note = self._exact(
                red, best_sel, best_val, trivial, clock, gap, search
            )
        selected = self._pad(red.cand[best_sel], self.n_sites)
        once, twice, value = self._evaluate(selected)
        bound = max(bound, value)  # a bound below a feasible value is no bound
        self._result = _as_result(
            self,
            selected=selected,
            objective=value,
            bound=bound,
            method=method,
            status=status,
            t0=t0,
            red=red,
            once=once,
            twice=twice if self.theta.size > 1 else None,
            note=note,
        )
        return self

    def _heuristic_bound(
        self,
        red: _Reduced,
        best_sel: BoolA,
        best_val: float,
        trivial: float,
        clock: _Clock,
        bound_deadline: float,
    ) -> tuple[BoolA, float, float, str]:
        """A proven bound without branch and bound: MCLP the smoothed Lagrangian relaxation
        (until ``bound_deadline``; its selection is kept when better), backup coverage the LP
        relaxation (HiGHS IPM, within the budget; the trivial bound if it does not fit)."""
        if self.theta.size == 1:
            lag, lag_sel = _lagrangian_bound(red, best_val, deadline=bound_deadline)
            if lag_sel is not None:
                v2 = _value(_cover_counts(red.a, lag_sel), red.w, self.theta) + red.const
                if v2 > best_val:
                    best_sel, best_val = lag_sel, v2
            how = (
                "bound from a Lagrangian relaxation (smoothed, L-BFGS-B), which is never "
                "below the LP bound."
            )
            return best_sel, best_val, min(trivial, lag), how
        nnz = int(red.a.nnz + 3 * red.a.shape[0] + red.a.shape[1])
        if not clock.fits(0.5 * _lp_seconds(nnz)):
            return best_sel, best_val, trivial, "no time for the LP: the trivial bound."
        lp = _coverage_milp(
            red,
            integral=False,
            time_limit_s=clock.highs_limit(),
            cutoff=None,
            gap=1e-9,
            lp_only=True,
        )
        return best_sel, best_val, _lp_bound(lp, red.const, trivial), "bound from the LP (HiGHS)."

    def _exact(
        self,
        red: _Reduced,
        best_sel: BoolA,
        best_val: float,
        trivial: float,
        clock: _Clock,
        gap: float,
        search: str,
    ) -> tuple[BoolA, float, float, str, str]:
        """LP relaxation, reduced-cost fixing, then HiGHS branch and bound, each only when it
        fits in the budget; otherwise more local search and a bound without branch and bound.
        Returns (selection, value, bound, status, note)."""
        r, c = red.a.shape
        q = int(self.theta.size)
        lp_nnz = int(red.a.nnz + (2 * q - 1) * r + c)
        # with a limit, keep back time for a fallback bound in case the LP is cut short
        reserve = min(_BOUND_RESERVE_S, 0.3 * clock.left()) if clock.limited else 0.0
        lp: Any = None
        t_lp = math.inf
        if clock.fits(0.8 * _lp_seconds(lp_nnz), reserve):
            t = time.perf_counter()
            lp = _coverage_milp(
                red,
                integral=False,
                time_limit_s=clock.highs_limit(reserve),
                cutoff=None,
                gap=gap,
                lp_only=True,
            )
            t_lp = time.perf_counter() - t
            if lp.status != 0:
                lp = None
        if lp is None:  # no LP bound in time: the heuristic's path with the rest of the budget
            return self._fallback(
                red, best_sel, best_val, trivial, clock, search, "the LP relaxation"
            )
        lp_bound = _lp_bound(lp, red.const, trivial)
        if lp_bound - best_val <= 1e-9 * max(1.0, abs(best_val)):
            return best_sel, best_val, best_val, "optimal", "The LP bound proves the heuristic."
        fix0, fix1 = _reduced_cost_fixing(lp, red, lp_bound, best_val)
        n_fixed = int(fix0.sum() + fix1.sum())
        note = f"LP reduced-cost fixing set {n_fixed} of {c} candidates. "
        if not clock.fits(_MIP_ROOT_FACTOR * t_lp):
            # HiGHS would overrun the limit in its set-up and root LP: keep the LP bound and
            # spend what is left on the local search
            sel2, val2 = self._more_search(red, best_sel, best_val, clock.deadline - 0.05)
            note += (
                f"{search}; no time for branch and bound (the LP took {t_lp:.1f} s): "
                "bound from the LP relaxation."
            )
            return sel2, val2, lp_bound, "time_limit", note
        cutoff = best_val - red.const - 1e-7 * max(1.0, best_val - red.const)
        res = _coverage_milp(
            red,
            integral=True,
            time_limit_s=clock.highs_limit(),
            cutoff=cutoff,
            gap=gap,
            fix0=fix0,
            fix1=fix1,
        )
        bound = lp_bound
        db = _dual_bound(res)
        if res.status == 2:  # nothing beats the heuristic among the unfixed solutions
            bound = min(bound, best_val)
        elif np.isfinite(db):
            # fixed-out selections are worth less than the heuristic value
            bound = min(bound, max(red.const - db, best_val))
        assert self.n_sites is not None
        if res.x is not None:
            sel_m = _round_selection(np.asarray(res.x), c, red.req, self.n_sites)
            val_m = _value(_cover_counts(red.a, sel_m), red.w, self.theta) + red.const
            if val_m > best_val + 1e-9 * max(1.0, abs(best_val)):
                best_sel, best_val = sel_m, val_m
                note += "HiGHS incumbent."
            else:
                note += "The heuristic solution was as good as HiGHS' incumbent."
        else:
            note += "HiGHS found no better incumbent; the heuristic solution is returned."
        res_status = 0 if res.status == 2 else int(res.status)
        if res_status == 0 and abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val)):
            bound = best_val
        status = "optimal" if res_status == 0 else "time_limit"
        if status == "optimal" and _gap(best_val, bound) > max(gap, 1e-6):
            status = "time_limit"  # HiGHS said optimal but the numbers disagree
        return best_sel, best_val, bound, status, note

    def _more_search(
        self, red: _Reduced, sel: BoolA, val: float, deadline: float
    ) -> tuple[BoolA, float]:
        """Iterated local search from ``sel`` until ``deadline`` (kept only if better)."""
        if deadline - time.perf_counter() < 0.05:
            return sel, val
        s2, v2, _ = _local_search(red, sel, deadline=deadline, perturb=True, seed=1)
        if v2 + red.const > val:
            return s2, v2 + red.const
        return sel, val

    def _fallback(
        self,
        red: _Reduced,
        best_sel: BoolA,
        best_val: float,
        trivial: float,
        clock: _Clock,
        search: str,
        skipped: str,
    ) -> tuple[BoolA, float, float, str, str]:
        """The budget is too short for ``skipped``: the heuristic's solution (searched on
        for 45% of what is left) and its bound, status ``"time_limit"``."""
        left = clock.left()
        sel, val = self._more_search(red, best_sel, best_val, time.perf_counter() + 0.45 * left)
        sel, val, bound, how = self._heuristic_bound(
            red, sel, val, trivial, clock, clock.deadline - min(0.05, 0.02 * left)
        )
        note = f"{search}; no time for {skipped} and branch and bound within the limit: {how}"
        return sel, val, bound, "time_limit", note


class MCLP(_MaxCoverage):
    r"""Maximal covering location problem (Church & ReVelle 1974).

    .. math::

        \max \sum_i w_i y_i \quad\text{s.t.}\quad y_i \le \sum_j a_{ij} x_j\ \forall i,\quad
        \sum_j x_j = p,\quad x_j = 1\ (j \in R),\quad x_j \in \{0,1\},\ 0 \le y_i \le 1

    with ``a_ij = cost_ij <= standard_s``, ``p = n_sites`` and ``R = required``. ``y`` may be
    continuous: at integer ``x`` the optimum sets ``y_i = min(1, Σ_j a_ij x_j)``. The solver
    works on the reduced model with ``Σ x ≤ p`` (dominated candidates removed) and the answer
    is padded to exactly ``p`` sites with candidates that add nothing, as spopt's ``== p``.

    Complexity: building O(n·m) for a dense matrix (O(nnz) sparse); reduction O(nnz log n)
    plus O(Σ_i |N_i|²) for dominance; greedy O(nnz); each move O(Σ_{i∈N_j} |S∩N_i|·|N_i|)
    and the best swap O(p·m); the Lagrangian bound O(nnz) per L-BFGS-B evaluation; the exact
    solve is NP-hard (branch and bound), small in practice after the reduction.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[10.0, 300], [20, 40], [400, 30]])
    >>> MCLP.from_cost_matrix(cost, [1, 2, 3], standard_s=60, n_sites=1).solve().result_.selected
    array([1])
    """

    name = "mclp"

    def __init__(self) -> None:
        super().__init__()
        self.theta = np.array([1.0])

    @classmethod
    def from_cost_matrix(
        cls,
        cost_s: Any,
        weights: ArrayLike | None,
        *,
        standard_s: float,
        n_sites: int,
        required: ArrayLike | None = None,
    ) -> MCLP:
        """Build from a demand × candidate cost matrix (dense with ``inf``, or sparse)."""
        self = cls()
        self._setup(cost_s, weights, standard_s, n_sites, required)
        return self
