"""P-median: minimise the weighted cost of serving every demand point from its nearest site."""

from __future__ import annotations

import math
import time
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from pingan.coverage.siting.common import (
    _MIP_ROOT_FACTOR,
    F64,
    I64,
    BoolA,
    Method,
    _Clock,
    _lp_seconds,
)
from pingan.coverage.siting.highs import _dual_bound, _round_selection
from pingan.coverage.siting.model import _SitingModel
from pingan.coverage.siting.result import SitingResult, _gap
from pingan.coverage.siting.validation import (
    _check_costs,
    _check_method,
    _check_n_sites,
    _check_required,
    _check_standard,
    _check_weights,
)


class PMedian(_SitingModel):
    r"""P-median (Hakimi 1964; ReVelle & Swain 1970): ``n_sites`` sites minimising the
    weighted total cost of serving every demand point from its nearest selected site.

    .. math::

        \min \sum_i \sum_j w_i d_{ij} z_{ij} \quad\text{s.t.}\quad \sum_j z_{ij} = 1\ \forall i,
        \quad z_{ij} \le x_j\ \forall i,j,\quad \sum_j x_j = p,\quad x_j = 1\ (j \in R),
        \quad x_j, z_{ij} \in \{0, 1\}

    The objective uses the costs, not a standard: ``standard_s`` is optional and only gives
    ``covered_weight`` (weight whose assigned cost is within it). Pairs with ``inf`` cost
    (or absent from a sparse matrix) cannot be assigned; demand with no finite cost at all
    is reported in ``uncoverable`` and left out. Zero-weight demand is left out too.

    Exact: with at most 200,000 finite pairs, the full strong formulation above. Larger
    instances restrict each demand point to its ``k`` nearest candidates (k = 8, doubled
    where needed) plus a placeholder priced at the next-nearest cost, a relaxation of the full
    model (Church 2008's near-far idea, as spopt's ``KNearestPMedian``): when no placeholder is
    used the restricted optimum is optimal for the full problem; otherwise ``k`` doubles for
    those points and it solves again. Heuristic: greedy add (vectorised) + Teitz-Bart
    interchange using nearest and second-nearest costs; bound from the LP relaxation of the
    (k-nearest) model.

    Complexity: dense costs O(n·m) memory; greedy O(p·n·m); one interchange pass O(p·n·m);
    the MILP has O(n·k) assignment variables and constraints.
    """

    name = "pmedian"
    sense = "min"
    cost: F64
    n_sites: int
    standard_s: float | None

    @classmethod
    def from_cost_matrix(
        cls,
        cost_s: Any,
        weights: ArrayLike | None,
        *,
        n_sites: int,
        standard_s: float | None = None,
        required: ArrayLike | None = None,
    ) -> PMedian:
        """Build from a demand × candidate cost matrix (dense with ``inf``, or sparse)."""
        self = cls()
        cost = _check_costs(cost_s)
        n, m = cost.shape
        self.n_demand, self.n_candidates = n, m
        self.weights = _check_weights(weights, n)
        self.standard_s = _check_standard(standard_s, optional=True)
        self.required = _check_required(required, m)
        self.n_sites = _check_n_sites(n_sites, m, int(self.required.size))
        if sp.issparse(cost):
            d = np.full((n, m), np.inf)
            cc = sp.coo_matrix(cost)
            d[cc.row, cc.col] = cc.data
        else:
            d = np.array(cost, dtype=np.float64)
        self.cost = d
        return self

    # -------------------------------------------------------------- helpers
    def _eval(self, sel: BoolA, d: F64, w: F64) -> float:
        idx = np.flatnonzero(sel)
        best = d[:, idx].min(axis=1)
        return float(w @ best) if np.all(np.isfinite(best)) else math.inf

    def _heuristic(self, d: F64, w: F64, req: BoolA, deadline: float) -> BoolA:
        """Greedy add then first-improvement interchange (Teitz & Bart 1968)."""
        n = d.shape[0]
        p = self.n_sites
        big = np.where(np.isfinite(d), d, 0).max() * 10 + 1.0
        dd = np.where(np.isfinite(d), d, big * 10)  # unreachable: heavily penalised
        sel = req.copy()
        cur = dd[:, sel].min(axis=1) if sel.any() else np.full(n, big * 100)
        while sel.sum() < p:
            tot = w @ np.minimum(cur[:, None], dd)
            tot[sel] = np.inf
            j = int(np.argmin(tot))
            sel[j] = True
            cur = np.minimum(cur, dd[:, j])
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            base_cost = float(w @ cur)
            for j in np.flatnonzero(sel & ~req).tolist():
                idx = np.flatnonzero(sel)
                sub = dd[:, idx]
                order = np.argsort(sub, axis=1)[:, :2]
                d1 = sub[np.arange(n), order[:, 0]]
                d2 = sub[np.arange(n), order[:, 1]] if idx.size > 1 else np.full(n, big * 100)
                nearest = idx[order[:, 0]]
                rest = np.where(nearest == j, d2, d1)
                tot = w @ np.minimum(rest[:, None], dd)
                tot[sel] = np.inf
                k = int(np.argmin(tot))
                if tot[k] < base_cost - 1e-9 * max(1.0, base_cost):
                    sel[j] = False
                    sel[k] = True
                    cur = dd[:, np.flatnonzero(sel)].min(axis=1)
                    base_cost = float(w @ cur)
                    improved = True
                if time.perf_counter() > deadline:
                    break
        return sel

    def _milp(
        self,
        d: F64,
        w: F64,
        req: BoolA,
        *,
        k: NDArray[np.int64] | None,
        integral: bool,
        time_limit_s: float | None,
        gap: float,
    ) -> tuple[Any, I64, I64, int]:
        """Assignment MILP over the allowed pairs; ``k`` per row restricts to the k nearest
        and adds a placeholder variable (cost = next nearest) for rows not fully listed."""
        n, m = d.shape
        fin = np.isfinite(d)
        if k is None:
            rows, cols = np.nonzero(fin)
            ph_rows = np.empty(0, dtype=np.int64)
            ph_cost = np.empty(0)
        else:
            order = np.argsort(np.where(fin, d, np.inf), axis=1, kind="stable")
            nfin = fin.sum(axis=1)
            kk = np.minimum(k, nfin)
            rank = np.arange(m)[None, :]
            take = rank < kk[:, None]
            rows = np.repeat(np.arange(n), kk)
            cols = order[take]
            ph_rows = np.flatnonzero(kk < nfin)
            ph_cost = d[ph_rows, order[ph_rows, kk[ph_rows]]]
        npair = rows.size
        nph = ph_rows.size
        nv = m + npair + nph
        obj = np.concatenate([np.zeros(m), w[rows] * d[rows, cols], w[ph_rows] * ph_cost])
        pair = np.arange(npair)
        # Σ_j z_ij + g_i = 1
        assign = sp.csr_matrix(
            (
                np.ones(npair + nph),
                (
                    np.concatenate([rows, ph_rows]),
                    np.concatenate([m + pair, m + npair + np.arange(nph)]),
                ),
            ),
            shape=(n, nv),
        )
        # z_ij - x_j <= 0
        link = sp.csr_matrix(
            (
                np.concatenate([np.ones(npair), -np.ones(npair)]),
                (np.concatenate([pair, pair]), np.concatenate([m + pair, cols])),
            ),
            shape=(npair, nv),
        )
        card = sp.csr_matrix((np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, nv))
        big = sp.vstack([assign, link, card], format="csr")
        lo = np.concatenate([np.ones(n), np.full(npair, -np.inf), [self.n_sites]])
        hi = np.concatenate([np.ones(n), np.zeros(npair), [self.n_sites]])
        lb = np.zeros(nv)
        lb[:m] = req
        integ = np.zeros(nv)
        if integral:
            integ[:m] = 1
        opts: dict[str, Any] = {"disp": False, "presolve": True}
        if integral:
            opts["mip_rel_gap"] = gap
        if time_limit_s is not None:
            opts["time_limit"] = max(float(time_limit_s), 0.01)
        res = milp(
            obj,
            integrality=integ,
            bounds=Bounds(lb, np.ones(nv)),
            constraints=[LinearConstraint(big, lo, hi)],
            options=opts,
        )
        return res, ph_rows, rows, m + npair

    def solve(
        self, method: Method = "exact", time_limit_s: float | None = None, *, gap: float = 1e-9
    ) -> Self:
        """Solve and set ``result_``; returns self. Parameters as :meth:`MCLP.solve`."""
        _check_method(method, time_limit_s)
        t0 = time.perf_counter()
        clock = _Clock(t0, time_limit_s)
        deadline = clock.deadline
        n, m = self.cost.shape
        fin_any = np.isfinite(self.cost).any(axis=1)
        uncov = np.flatnonzero(~fin_any).astype(np.int64)
        keep = fin_any & (self.weights > 0)
        d = self.cost[keep]
        w = self.weights[keep]
        req = np.zeros(m, dtype=bool)
        req[self.required] = True
        h_deadline = deadline if method == "heuristic" else t0 + 0.25 * (deadline - t0)
        sel = self._heuristic(d, w, req, h_deadline) if d.shape[0] else req.copy()
        if d.shape[0] and sel.sum() < self.n_sites:
            sel[np.flatnonzero(~sel)[: self.n_sites - int(sel.sum())]] = True
        best = self._eval(sel, d, w) if d.shape[0] else 0.0
        n_pairs = int(np.isfinite(d).sum())
        from pingan.coverage import siting  # the package holds the tunable pair limit

        k: NDArray[np.int64] | None = (
            None
            if n_pairs <= siting._PMEDIAN_FULL_PAIRS
            else np.full(d.shape[0], 8, dtype=np.int64)
        )
        note = "" if k is None else "Assignments restricted to the k nearest candidates. "
        # every point served by its nearest candidate (all sites open): a valid lower bound
        bound = float(w @ np.where(np.isfinite(d), d, np.inf).min(axis=1)) if d.shape[0] else 0.0
        status = "heuristic"
        rounds = 0
        n_fin = np.isfinite(d).sum(axis=1)
        while d.shape[0]:
            rounds += 1
            pairs = n_pairs if k is None else int(np.minimum(k, n_fin).sum())
            est = _lp_seconds(3 * pairs + d.shape[0] + m)
            if not clock.fits((_MIP_ROOT_FACTOR if method == "exact" else 3.0) * est):
                # HiGHS would overrun the limit in its set-up, presolve and root LP
                status = "time_limit" if method == "exact" else "heuristic"
                note += (
                    "No time for HiGHS within the limit: greedy + interchange; bound from "
                    "serving every point by its nearest candidate. "
                )
                break
            res, ph_rows, _, ph0 = self._milp(
                d,
                w,
                req,
                k=k,
                integral=method == "exact",
                time_limit_s=clock.highs_limit(),
                gap=gap,
            )
            if res.status == 2:
                status = "infeasible"
                note += "No selection of n_sites reaches every demand point. "
                break
            if method == "heuristic":
                bound = max(bound, float(res.fun)) if res.status == 0 else bound
                note += "Greedy + interchange; bound from the LP relaxation."
                break
            db = _dual_bound(res)
            bound = max(bound, db) if np.isfinite(db) else bound
            if res.x is not None:
                sm = _round_selection(np.asarray(res.x), m, req, self.n_sites)
                vm = self._eval(sm, d, w)
                if vm < best - 1e-9 * max(1.0, abs(best)):
                    sel, best = sm, vm
            used_ph = (
                ph_rows[np.asarray(res.x)[ph0:] > 0.5]
                if res.x is not None and ph_rows.size
                else np.empty(0, np.int64)
            )
            if res.status != 0:
                status = "time_limit"
                break
            if k is None or used_ph.size == 0:
                status = "optimal"
                bound = min(bound, best) if abs(best - bound) <= 1e-6 * max(1.0, best) else bound
                break
            k[used_ph] *= 2
        if d.shape[0] and status == "optimal" and _gap(best, bound) > max(gap, 1e-6):
            status = "time_limit"
        selected = np.sort(np.flatnonzero(sel)).astype(np.int64)
        # recompute everything on the original matrix
        sub = self.cost[:, selected]
        j_best = np.argmin(sub, axis=1)
        c_best = sub[np.arange(n), j_best]
        assignment = np.where(np.isfinite(c_best), selected[j_best], -1).astype(np.int64)
        ok = np.isfinite(c_best) & (self.weights > 0)
        objective = float(self.weights[ok] @ c_best[ok])
        if np.any(~np.isfinite(c_best) & fin_any & (self.weights > 0)):
            objective = math.inf
            status = "infeasible"
        bound = min(bound, objective)
        total = float(self.weights.sum())
        within = ok if self.standard_s is None else ok & (c_best <= self.standard_s)
        covered = float(self.weights[within].sum())
        share = covered / total if total > 0 else 0.0
        g = _gap(objective, bound)
        std = "" if self.standard_s is None else f" within {self.standard_s:g}"
        text = (
            f"PMedian {method} ({status}): {selected.size} sites, weighted total cost "
            f"{objective:g} (mean {objective / max(total, 1e-12):g} per unit weight), bound "
            f"{bound:g}, gap {g:.3%}; {share:.2%} of the weight{std}. {uncov.size} demand "
            f"points reach no candidate. {note}"
        ).strip()
        self._result = SitingResult(
            selected=selected,
            covered_weight=covered,
            covered_share=share,
            objective=objective,
            bound=bound,
            gap=g,
            method=method,
            status=status,
            solve_time_s=time.perf_counter() - t0,
            n_demand=n,
            n_candidates=m,
            n_demand_reduced=int(d.shape[0]),
            n_candidates_reduced=m,
            uncoverable=uncov,
            uncoverable_weight=float(self.weights[uncov].sum()),
            assignment=assignment,
            explanation=text,
        )
        return self
