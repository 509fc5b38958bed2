"""Location set covering (LSCP): the fewest sites reaching every coverable demand point."""

from __future__ import annotations

import math
import time
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import Bounds, LinearConstraint, milp

from pingan.coverage.siting.common import _MIP_ROOT_FACTOR, BoolA, Method, _Clock, _lp_seconds
from pingan.coverage.siting.heuristics import _cover_counts
from pingan.coverage.siting.highs import _dual_bound, _round_selection
from pingan.coverage.siting.model import _CoverageModel
from pingan.coverage.siting.reduction import _reduce, _Reduced
from pingan.coverage.siting.result import _as_result
from pingan.coverage.siting.validation import _check_method


class LSCP(_CoverageModel):
    r"""Location set covering problem (Toregas et al. 1971): fewest sites reaching every
    coverable demand point.

    .. math::

        \min \sum_j x_j \quad\text{s.t.}\quad \sum_j a_{ij} x_j \ge 1\ \forall i \in C,\quad
        x_j = 1\ (j \in R),\quad x_j \in \{0, 1\}

    ``C`` = demand points reached by at least one candidate within ``standard_s`` (the others
    are reported in ``result_.uncoverable`` instead of making the model infeasible). Weights
    do not enter the objective; they give ``covered_weight``. Every coverable point is kept,
    including zero-weight ones.

    Complexity: reduction as :class:`MCLP`; heuristic greedy set cover O(nnz) plus removal
    of redundant sites; exact solve by branch and bound with bound ``ceil(LP)``.
    """

    name = "lscp"
    sense = "min"

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
        required: ArrayLike | None = None,
    ) -> LSCP:
        """Build from a demand × candidate cost matrix (dense with ``inf``, or sparse)."""
        self = cls()
        self._setup(cost_s, weights, standard_s, None, required)
        return self

    def _greedy(self, red: _Reduced) -> BoolA:
        a = red.a
        r = a.shape[0]
        sel = red.req.copy()
        if r == 0:
            return sel
        csc = a.tocsc()
        af = a.astype(np.float64)
        cnt = _cover_counts(a, sel)
        g = np.asarray(af.T @ (cnt == 0).astype(np.float64)).ravel()
        while True:
            gm = np.where(sel, -np.inf, g)
            j = int(np.argmax(gm))
            if not gm[j] > 0.5:
                break
            sel[j] = True
            rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            new = rows[cnt[rows] == 0]
            cnt[rows] += 1
            if new.size:
                g -= np.asarray(af[new].sum(axis=0)).ravel()
        # drop redundant sites, smallest first
        idx = np.flatnonzero(sel & ~red.req)
        sizes = np.diff(csc.indptr)[idx]
        for j in idx[np.argsort(sizes, kind="stable")].tolist():
            rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
            if np.all(cnt[rows] >= 2):
                sel[j] = False
                cnt[rows] -= 1
        return sel

    def _milp(
        self,
        red: _Reduced,
        *,
        integral: bool,
        time_limit_s: float | None,
        gap: float,
        ub: float | None,
    ) -> Any:
        a = red.a.astype(np.float64)
        c = a.shape[1]
        cons = [LinearConstraint(a, np.ones(a.shape[0]), np.full(a.shape[0], np.inf))]
        if ub is not None:
            cons.append(LinearConstraint(np.ones((1, c)), -np.inf, ub))
        opts: dict[str, Any] = {"disp": False, "presolve": True}
        if integral:
            opts["mip_rel_gap"] = gap
        if time_limit_s is not None:
            opts["time_limit"] = max(float(time_limit_s), 0.01)
        return milp(
            np.ones(c),
            integrality=np.full(c, 1 if integral else 0),
            bounds=Bounds(red.req.astype(float), np.ones(c)),
            constraints=cons,
            options=opts,
        )

    def solve(
        self, method: Method = "exact", time_limit_s: float | None = None, *, gap: float = 1e-9
    ) -> Self:
        """Solve and set ``result_``; returns self. Parameters as :meth:`MCLP.solve`."""
        _check_method(method, time_limit_s)
        t0 = time.perf_counter()
        clock = _Clock(t0, time_limit_s)
        red = _reduce(
            self.a,
            self.weights,
            self.required,
            self.n_candidates,
            self.theta,
            keep_zero_weight=True,
            dominate=method == "exact",
        )
        sel = self._greedy(red)
        best = int(sel.sum())
        n_req = int(red.req.sum())
        lp_nnz = int(red.a.nnz + red.a.shape[1])
        note = ""
        if red.a.shape[0] == 0:
            bound, status = float(n_req), "optimal"
            note = "The required sites already cover every coverable demand point."
        elif clock.limited and not clock.fits(
            (_MIP_ROOT_FACTOR if method == "exact" else 3.0) * _lp_seconds(lp_nnz)
        ):
            # HiGHS would overrun the limit (set-up, presolve and the root LP by simplex are
            # not time-limited): the greedy cover, bound ceil(LP) if the LP fits, else p_req + 1
            status = "time_limit" if method == "exact" else "heuristic"
            bound = float(n_req + 1)
            how = "the trivial bound (required sites + 1)"
            if method == "exact" and clock.fits(3.0 * _lp_seconds(lp_nnz)):
                lp = self._milp(
                    red, integral=False, time_limit_s=clock.highs_limit(), gap=gap, ub=None
                )
                if lp.status == 0:
                    bound = max(bound, float(math.ceil(float(lp.fun) - 1e-6)))
                    how = "bound ceil(LP)"
            note = (
                "No time for HiGHS within the limit: greedy set cover with redundant sites "
                f"removed; {how}."
            )
        else:
            res = self._milp(
                red,
                integral=method == "exact",
                time_limit_s=clock.highs_limit(),
                gap=gap,
                ub=float(best) if method == "exact" else None,
            )
            if method == "heuristic":
                bound = math.ceil(float(res.fun) - 1e-6) if res.status == 0 else float(n_req)
                status = "heuristic"
                note = "Greedy set cover with redundant sites removed; bound ceil(LP)."
            else:
                db = _dual_bound(res)
                bound = math.ceil(db - 1e-6) if np.isfinite(db) else float(n_req)
                if res.x is not None:
                    sm = _round_selection(np.asarray(res.x), red.a.shape[1], red.req, best)
                    ok = bool(np.all(_cover_counts(red.a, sm) >= 1))
                    if ok and sm.sum() < best:
                        sel, best = sm, int(sm.sum())
                        note = "HiGHS incumbent."
                    else:
                        note = "The heuristic solution was as good as HiGHS' incumbent."
                status = "optimal" if res.status == 0 else "time_limit"
                if status == "optimal":
                    bound = float(best)
                if best - bound > 0.5 and status == "optimal":
                    status = "time_limit"
        selected = np.sort(red.cand[sel]).astype(np.int64)
        once, _, _ = self._evaluate(selected)
        coverable = float(self.weights.sum()) - red.uncoverable_weight
        if once + 1e-9 * max(1.0, coverable) < coverable:  # never trust: check it covers
            raise RuntimeError("LSCP: internal error, the selection misses coverable demand")
        self._result = _as_result(
            self,
            selected=selected,
            objective=float(selected.size),
            bound=float(min(bound, selected.size)),
            method=method,
            status=status,
            t0=t0,
            red=red,
            once=once,
            twice=None,
            note=note,
        )
        return self
