"""The exact formulation for HiGHS (``scipy.optimize.milp``/``linprog``) and the proven bounds."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp, minimize

from pingan.coverage.siting.common import F64, BoolA
from pingan.coverage.siting.reduction import _Reduced


def _coverage_milp(
    red: _Reduced,
    *,
    integral: bool,
    time_limit_s: float | None,
    cutoff: float | None,
    gap: float,
    fix0: BoolA | None = None,
    fix1: BoolA | None = None,
    lp_only: bool = False,
) -> Any:
    """HiGHS model of the (reduced) coverage problem; minimises the negated value.

    Variables ``x`` (c columns, binary) and ``y_l`` (r rows per level l, continuous in [0, 1]).
    ``Σ_l y_l,i ≤ Σ_j a_ij x_j``; ``y_l,i ≤ y_(l-1),i``; ``Σ x ≤ n_required + n_free``.
    """
    a = red.a.astype(np.float64)
    r, c = a.shape
    q = red.theta.size
    nv = c + q * r
    obj = np.zeros(nv)
    for lvl in range(q):
        obj[c + lvl * r : c + (lvl + 1) * r] = -red.theta[lvl] * red.w
    eye = sp.identity(r, format="csr")
    blocks: list[Any] = []
    ub_rows: list[F64] = []
    lb_rows: list[F64] = []
    blocks.append(sp.hstack([-a] + [eye] * q, format="csr"))
    lb_rows.append(np.full(r, -np.inf))
    ub_rows.append(np.zeros(r))
    for lvl in range(1, q):
        row = [sp.csr_matrix((r, c))] + [sp.csr_matrix((r, r))] * q
        row[lvl] = -eye  # y_(l-1)
        row[lvl + 1] = eye  # y_l
        blocks.append(sp.hstack(row, format="csr"))
        lb_rows.append(np.full(r, -np.inf))
        ub_rows.append(np.zeros(r))
    card = sp.csr_matrix(np.concatenate([np.ones(c), np.zeros(q * r)])[None, :])
    blocks.append(card)
    lb_rows.append(np.array([-np.inf]))
    ub_rows.append(np.array([float(red.n_free + int(red.req.sum()))]))
    if cutoff is not None:
        blocks.append(sp.csr_matrix(-obj[None, :]))
        lb_rows.append(np.array([cutoff]))
        ub_rows.append(np.array([np.inf]))
    big = sp.vstack(blocks, format="csr")
    lb = np.zeros(nv)
    lb[:c] = red.req.astype(float)
    ub = np.ones(nv)
    if fix1 is not None:
        lb[:c][fix1] = 1.0
    if fix0 is not None:
        ub[:c][fix0 & ~red.req] = 0.0
    lo_all = np.concatenate(lb_rows)
    hi_all = np.concatenate(ub_rows)
    if lp_only:  # interior point (with crossover): several times faster than dual simplex here
        up = np.isfinite(hi_all)
        a_ub = sp.vstack([big[up], -big[~up]], format="csr")
        b_ub = np.concatenate([hi_all[up], -lo_all[~up]])
        lp_opts: dict[str, Any] = {"presolve": True}
        if time_limit_s is not None:
            lp_opts["time_limit"] = max(float(time_limit_s), 0.01)
        return linprog(
            obj,
            A_ub=a_ub,
            b_ub=b_ub,
            bounds=np.column_stack([lb, ub]),
            method="highs-ipm",
            options=lp_opts,
        )
    integ = np.zeros(nv)
    if integral:
        # x and every level but the last are binary: with y_1 binary, y_1 + y_2 <= count
        # forbids the fractional y_1 = y_2 = 1/2 when a row is covered once
        integ[: c + (q - 1) * r] = 1
    opts: dict[str, Any] = {"disp": False, "presolve": True}
    if integral:
        opts["mip_rel_gap"] = gap
    if time_limit_s is not None:
        opts["time_limit"] = max(float(time_limit_s), 0.01)
    return milp(
        obj,
        integrality=integ,
        bounds=Bounds(lb, ub),
        constraints=[LinearConstraint(big, lo_all, hi_all)],
        options=opts,
    )


def _lp_bound(lp: Any, const: float, trivial: float) -> float:
    """Upper bound from the LP relaxation (a hair of slack for the solver's tolerances)."""
    if lp.status != 0 or lp.fun is None:
        return trivial
    v = const - float(lp.fun)
    return min(trivial, v + 1e-9 * max(1.0, abs(v)))


def _reduced_cost_fixing(
    lp: Any, red: _Reduced, bound: float, incumbent: float
) -> tuple[BoolA, BoolA]:
    """Candidates whose LP reduced cost proves that flipping them cannot beat the incumbent.

    The LP value is concave in a variable's bound, so opening a closed candidate j costs at
    least its reduced cost ``d_j``: any selection containing j is worth at most
    ``bound - d_j``; when that is below the incumbent, j can be closed. Same for opened
    candidates with their upper-bound marginal.
    """
    c = red.a.shape[1]
    none = np.zeros(c, dtype=bool)
    if lp.status != 0 or getattr(lp, "lower", None) is None:
        return none, none
    rc_lo = np.asarray(lp.lower.marginals)[:c]
    rc_up = np.asarray(lp.upper.marginals)[:c]
    tol = 1e-7 * max(1.0, abs(incumbent))
    fix0 = (rc_lo > tol) & (bound - rc_lo < incumbent - tol) & ~red.req
    fix1 = (rc_up < -tol) & (bound + rc_up < incumbent - tol)
    return np.asarray(fix0, dtype=bool), np.asarray(fix1 & ~fix0, dtype=bool)


class _BoundTimeout(Exception):
    """Raised inside the objective to stop L-BFGS-B at the deadline."""


def _lagrangian_bound(
    red: _Reduced,
    incumbent: float,
    *,
    deadline: float,
    stages: tuple[float, ...] = (0.3, 0.1, 0.03, 0.01),
    iters_per_stage: int = 150,
) -> tuple[float, BoolA | None]:
    r"""MCLP upper bound by Lagrangian relaxation of ``y_i <= Σ_j a_ij x_j``.

    For multipliers ``0 <= λ <= w`` and ``s = Aᵀλ``

    .. math:: L(λ) = \sum_i (w_i - λ_i) + \sum_{j \in R} s_j + \mathrm{top}_k(s_j, j \notin R)

    is a valid upper bound for every such λ, and ``min_λ L`` equals the LP bound. ``L`` is
    piecewise linear; writing ``top_k(s) = min_u k·u + Σ_j (s_j - u)^+`` and smoothing the
    hinge with ``μ·log(1 + e^{(s_j - u)/μ})`` gives a smooth convex function of (λ, u) that
    L-BFGS-B minimises over the box in O(nnz) per evaluation; μ shrinks over ``stages``
    (multiples of the median row weight), each stage warm-started from the last. The bound
    reported is the exact, unsmoothed ``L`` at the best λ evaluated (plus a hair of slack
    for rounding), never the smoothed value. Stops at ``deadline`` or when ``L`` reaches the
    incumbent (then the incumbent is optimal). Also returns the Lagrangian selection (top
    columns by ``s`` at the best λ), a candidate solution."""
    a = sp.csr_matrix(red.a, dtype=np.float64)
    at = a.T.tocsr()
    w = red.w
    req = red.req
    free = ~req
    k = min(red.n_free, int(free.sum()))
    w_tot = float(w.sum())
    r = a.shape[0]
    state: dict[str, Any] = {"best": w_tot, "lam": np.zeros(r)}

    def exact(lam: F64, s: F64) -> float:
        sf = s[free]
        top = float(np.partition(sf, sf.size - k)[sf.size - k :].sum()) if k > 0 else 0.0
        return w_tot - float(lam.sum()) + float(s[req].sum()) + top

    scale = float(np.median(w)) if r else 1.0
    x = np.zeros(r + 1)
    target = incumbent - red.const + 1e-9 * max(1.0, abs(incumbent))
    box = Bounds(np.concatenate([np.zeros(r), [-np.inf]]), np.concatenate([w, [np.inf]]))
    for stage in stages:
        mu = stage * scale

        def f(z: F64, mu: float = mu) -> tuple[float, F64]:
            lam = np.clip(z[:-1], 0.0, w)
            u = float(z[-1])
            s = np.asarray(at @ lam).ravel()
            v = exact(lam, s)
            if v < state["best"]:
                state["best"], state["lam"] = v, lam.copy()
            if time.perf_counter() > deadline or state["best"] <= target:
                raise _BoundTimeout
            h = (s - u) / mu
            soft = np.where(free, mu * np.logaddexp(0.0, h), 0.0)
            sig = np.where(free, 0.5 * (1.0 + np.tanh(0.5 * h)), 1.0)  # logistic, no overflow
            val = w_tot - float(lam.sum()) + float(s[req].sum()) + k * u + float(soft.sum())
            grad = np.empty_like(z)
            grad[:-1] = np.asarray(a @ sig).ravel() - 1.0
            grad[-1] = k - float(sig[free].sum())
            return val, grad

        try:
            res = minimize(
                f,
                x,
                jac=True,
                method="L-BFGS-B",
                bounds=box,
                options={"maxiter": iters_per_stage, "maxcor": 10},
            )
            x = np.asarray(res.x, dtype=np.float64)
        except _BoundTimeout:
            break
    lam = state["lam"]
    s = np.asarray(at @ lam).ravel()
    bound = state["best"]
    sel = req.copy()
    if k > 0:
        sel[np.flatnonzero(free)[np.argsort(-s[free], kind="stable")[:k]]] = True
    return bound + red.const + 1e-9 * max(1.0, abs(bound)), sel


def _dual_bound(res: Any) -> float:
    b = getattr(res, "mip_dual_bound", None)
    if b is None or not np.isfinite(b):
        return math.nan
    return float(b)


def _round_selection(x: F64, n_cols: int, req: BoolA, n_max: int) -> BoolA:
    xs = x[:n_cols]
    sel = (xs > 0.5) | req
    if sel.sum() > n_max:  # fractional noise: keep the largest
        order = np.argsort(-(xs + 2 * req))
        sel = np.zeros(n_cols, dtype=bool)
        sel[order[:n_max]] = True
    return sel


# ---------------------------------------------------------------------------- models
