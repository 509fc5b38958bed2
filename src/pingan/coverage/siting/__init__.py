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
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp, minimize

__all__ = [
    "LSCP",
    "MCLP",
    "BackupCoverage",
    "NotSolvedError",
    "PMedian",
    "SitingInputError",
    "SitingResult",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]
Method = Literal["exact", "heuristic"]

_TOL = 1e-9
_PMEDIAN_FULL_PAIRS = 200_000  # beyond this many finite pairs, p-median uses k-nearest rounds
_SEARCH_DEFAULT_S = 10.0  # heuristic without time_limit_s: local search cap (or 300 idle rounds)
_BOUND_DEFAULT_S = 12.0  # heuristic without time_limit_s: Lagrangian bound cap (or convergence)
_SEARCH_EXACT_S = 2.0  # exact: local search for the cut-off (or 30 idle rounds)
# HiGHS time limits are checked inside its solvers, not while scipy and HiGHS set the model
# up, presolve it or (for a MIP) solve the root LP by dual simplex: on 100,000 × 5,000 a
# milp(time_limit=10) ran 325 s. So the expensive calls are only made when an estimate says
# they fit in what is left of the budget. IPM LP seconds ≈ _LP_S_REF · (nnz / _LP_NNZ_REF)^1.38
# (measured: 1.2 s at 115,000 constraint non-zeros, 134 s at 3.25 million).
_LP_S_REF = 1.2
_LP_NNZ_REF = 115_000.0
_LP_EXP = 1.38
_MIP_ROOT_FACTOR = 8.0  # a MIP needs its root LP by dual simplex (~6x the IPM) and more
_BOUND_RESERVE_S = 12.0  # exact with a limit: kept back for a fallback bound if the LP fails


def _lp_seconds(nnz: int) -> float:
    """Rough wall seconds of a HiGHS LP with ``nnz`` constraint non-zeros (see above)."""
    return float(_LP_S_REF * (max(nnz, 1) / _LP_NNZ_REF) ** _LP_EXP)


class _Clock:
    """The wall-time budget of one ``solve()``: every HiGHS call gets what is left."""

    def __init__(self, t0: float, time_limit_s: float | None) -> None:
        self.t0 = t0
        self.limited = time_limit_s is not None
        self.deadline = t0 + (float(time_limit_s) if time_limit_s is not None else math.inf)

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def highs_limit(self, reserve: float = 0.0) -> float | None:
        """``time_limit`` for the next HiGHS call (None: unlimited)."""
        if not self.limited:
            return None
        return max(self.left() - reserve, 0.01)

    def fits(self, seconds: float, reserve: float = 0.0) -> bool:
        """Whether a step estimated at ``seconds`` fits in what is left (always, unlimited)."""
        return not self.limited or seconds <= self.left() - reserve


class SitingInputError(ValueError):
    """A siting model was given an argument it cannot use; the message names it and the fix."""


class NotSolvedError(ValueError, AttributeError):
    """``result_`` was read before ``solve()``."""


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


# ---------------------------------------------------------------------------- validation


def _check_costs(cost_s: Any) -> sp.csr_matrix | F64:
    if sp.issparse(cost_s):
        c = sp.csr_matrix(cost_s, dtype=np.float64)
        vals = c.data
        shape = c.shape
    else:
        arr = np.asarray(cost_s, dtype=np.float64)
        if arr.ndim != 2:
            raise SitingInputError(
                f"cost_s: must be a 2-D demand × candidate array, got shape {arr.shape}"
            )
        vals = arr
        shape = arr.shape
        c = arr
    if shape[0] == 0 or shape[1] == 0:
        raise SitingInputError(
            f"cost_s: empty ({shape[0]} demand points × {shape[1]} candidates); pass at "
            "least one of each"
        )
    n_nan = int(np.isnan(vals).sum())
    if n_nan:
        raise SitingInputError(
            f"cost_s: {n_nan} NaN entries; use inf for unreachable demand-candidate pairs"
        )
    if np.any(vals < 0):
        raise SitingInputError("cost_s: costs must be >= 0 (seconds or metres)")
    return c


def _check_weights(weights: ArrayLike | None, n: int) -> F64:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != n:
        raise SitingInputError(
            f"weights: needs one weight per demand point (cost_s has {n} rows), got {w.size}"
        )
    bad = int((~np.isfinite(w) | (w < 0)).sum())
    if bad:
        raise SitingInputError(
            f"weights: must be finite and >= 0; {bad} negative, NaN or infinite; "
            "use 0 for demand that does not count"
        )
    return w


def _check_standard(standard_s: float | None, *, optional: bool = False) -> float | None:
    if standard_s is None:
        if optional:
            return None
        raise SitingInputError(
            "standard_s: required, the service standard in the units of cost_s (e.g. 180)"
        )
    s = float(standard_s)
    if not s > 0 or math.isnan(s):
        raise SitingInputError(
            f"standard_s: must be > 0 (a time in seconds or a distance in metres), got {s:g}"
        )
    return s


def _check_required(required: ArrayLike | None, m: int) -> I64:
    if required is None:
        return np.empty(0, dtype=np.int64)
    r = np.asarray(required).ravel()
    if r.size == 0:
        return np.empty(0, dtype=np.int64)
    if r.dtype == bool:
        if r.size != m:
            raise SitingInputError(
                f"required: a boolean mask needs one entry per candidate ({m}), got {r.size}"
            )
        return np.flatnonzero(r).astype(np.int64)
    if not np.issubdtype(r.dtype, np.integer):
        raise SitingInputError("required: must be candidate indices (integers) or a mask")
    ri = r.astype(np.int64)
    if ri.min() < 0 or ri.max() >= m:
        raise SitingInputError(
            f"required: candidate indices must be in [0, {m}), got {ri[(ri < 0) | (ri >= m)][:5]}"
        )
    return np.unique(ri)


def _check_n_sites(n_sites: int, m: int, n_required: int) -> int:
    if isinstance(n_sites, bool) or int(n_sites) != n_sites:
        raise SitingInputError(f"n_sites: must be an integer, got {n_sites!r}")
    p = int(n_sites)
    if p < 1:
        raise SitingInputError(f"n_sites: must be >= 1, got {p}")
    if p > m:
        raise SitingInputError(
            f"n_sites: {p} is more than the {m} candidates; choose n_sites <= {m} or add candidates"
        )
    if p < n_required:
        raise SitingInputError(
            f"n_sites: {p} is less than the {n_required} required sites; raise n_sites or "
            "require fewer sites"
        )
    return p


def _check_method(method: str, time_limit_s: float | None) -> None:
    if method not in ("exact", "heuristic"):
        raise SitingInputError(f"method: {method!r}; use 'exact' or 'heuristic'")
    if time_limit_s is not None and not float(time_limit_s) > 0:
        raise SitingInputError(f"time_limit_s: must be > 0 or None, got {time_limit_s}")


def _coverage_matrix(cost: sp.csr_matrix | F64, standard_s: float) -> sp.csr_matrix:
    """Boolean demand × candidate matrix of ``cost <= standard_s`` (CSR, sorted indices)."""
    if sp.issparse(cost):
        c = sp.csr_matrix(cost)
        keep = c.data <= standard_s
        a = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=bool), c.indices[keep], _indptr_keep(c, keep)),
            shape=c.shape,
        )
    else:
        n, m = cost.shape
        rows, cols = [], []
        step = max(1, 20_000_000 // max(m, 1))
        for s in range(0, n, step):  # chunked: no n × m boolean temporary
            r, cc = np.nonzero(cost[s : s + step] <= standard_s)
            rows.append(r + s)
            cols.append(cc)
        r_all = np.concatenate(rows)
        c_all = np.concatenate(cols)
        a = sp.csr_matrix((np.ones(r_all.size, dtype=bool), (r_all, c_all)), shape=(n, m))
    a.sort_indices()
    return a


def _indptr_keep(c: sp.csr_matrix, keep: BoolA) -> I64:
    row = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
    out = np.zeros(c.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[keep], minlength=c.shape[0]), out=out[1:])
    return out


def _gap(objective: float, bound: float) -> float:
    den = max(abs(objective), abs(bound))
    if not math.isfinite(den):
        return math.inf if math.isfinite(objective) or math.isfinite(bound) else 0.0
    if den <= 1e-12:
        return 0.0
    return max(0.0, abs(bound - objective) / den)


# ---------------------------------------------------------------------------- reduction


@dataclass
class _Reduced:
    """A coverage model after the reduction: rows are demand groups, columns candidates."""

    a: sp.csr_matrix  # r × c, bool
    w: F64  # r
    cand: I64  # c: original candidate index of each column
    req: BoolA  # c: column is required
    const: float  # weight already saturated by required sites
    n_free: int  # sites still to choose (n_sites - required)
    theta: F64  # value levels: covering a row the l-th time is worth theta[l-1] * w
    uncoverable: I64
    uncoverable_weight: float
    info: dict[str, int] = field(default_factory=dict)


def _merge_rows(a: sp.csr_matrix, w: F64, seed: int = 0) -> tuple[sp.csr_matrix, F64]:
    """Merge rows with identical column sets (sum weights). Rows must be non-empty."""
    if a.shape[0] <= 1:
        return a, w
    rng = np.random.default_rng(seed)
    h1 = rng.integers(0, 2**63, size=a.shape[1], dtype=np.int64).astype(np.uint64)
    h2 = rng.integers(0, 2**63, size=a.shape[1], dtype=np.int64).astype(np.uint64)
    starts = a.indptr[:-1]
    k1 = np.add.reduceat(h1[a.indices], starts)
    k2 = np.add.reduceat(h2[a.indices], starts)
    nnz = np.diff(a.indptr).astype(np.uint64)
    keys = np.stack([k1, k2, nnz], axis=1)
    _, first, inv = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    if first.size == a.shape[0]:
        return a, w
    wm = np.asarray(np.bincount(inv.ravel(), weights=w, minlength=first.size), dtype=np.float64)
    return a[first], wm


def _dominated(a: sp.csr_matrix, req: BoolA, q: int) -> BoolA:
    """Columns to drop: non-required, with ``q`` or more earlier supersets (order: larger
    column first, then lower index). The first ``q`` supersets of a dropped column are never
    dropped themselves, so any selection can be rewritten onto kept columns."""
    c = a.shape[1]
    size = np.asarray(a.sum(axis=0)).ravel().astype(np.int64)
    drop = (size == 0) & ~req
    ai = a.astype(np.int32)
    ov = (ai.T @ ai).tocoo()
    rank = np.empty(c, dtype=np.int64)
    rank[np.lexsort((np.arange(c), -size))] = np.arange(c)
    sub = (ov.data == size[ov.row]) & (rank[ov.col] < rank[ov.row]) & (ov.row != ov.col)
    n_dom = np.bincount(ov.row[sub], minlength=c)
    drop |= (n_dom >= q) & ~req
    return np.asarray(drop, dtype=bool)


def _reduce(
    a: sp.csr_matrix,
    w: F64,
    required: I64,
    n_free: int,
    theta: F64,
    *,
    keep_zero_weight: bool = False,
    dominate: bool = True,
) -> _Reduced:
    n, m = a.shape
    q = theta.size
    nnz = np.diff(a.indptr)
    need = q if theta[0] == 0 else 1  # pure backup: a row needs two candidates to count
    uncov = np.flatnonzero(nnz == 0)
    req = np.zeros(m, dtype=bool)
    req[required] = True
    c0 = np.asarray(a[:, required].sum(axis=1)).ravel() if required.size else np.zeros(n)
    saturated = c0 >= q
    const = float(w[saturated & (nnz >= need)].sum())
    keep = (nnz >= need) & ~saturated
    if not keep_zero_weight:
        keep &= w > 0
    rows = np.flatnonzero(keep)
    ar = a[rows]
    wr = w[rows]
    ar, wr = _merge_rows(ar, wr)
    cols = np.arange(m)
    if dominate and ar.shape[0]:
        drop = _dominated(ar.tocsc(), req, q)
        cols = np.flatnonzero(~drop)
    elif ar.shape[0] == 0:
        cols = np.flatnonzero(req)
    ac = sp.csr_matrix(ar[:, cols])
    ac.sort_indices()
    return _Reduced(
        a=ac,
        w=wr,
        cand=cols.astype(np.int64),
        req=req[cols],
        const=const,
        n_free=n_free,
        theta=theta,
        uncoverable=uncov.astype(np.int64),
        uncoverable_weight=float(w[uncov].sum()),
        info={"rows_kept": int(rows.size)},
    )


# ---------------------------------------------------------------------------- heuristics


def _levels(theta: F64) -> F64:
    """``t[c]`` = value of covering a row once more when it is covered ``c`` times."""
    return np.concatenate([theta, [0.0]])


def _value(c: NDArray[np.int64], w: F64, theta: F64) -> float:
    cum = np.concatenate([[0.0], np.cumsum(theta)])
    return float(w @ cum[np.minimum(c, theta.size)])


def _greedy(red: _Reduced) -> BoolA:
    """Greedy by marginal gain over the sparse coverage matrix; O(nnz) in total (each row's
    columns are updated once per time the row is covered)."""
    a = red.a
    w = red.w
    r, c = a.shape
    q = red.theta.size
    # a surrogate that spreads backup value over both covers: with the true levels a first
    # cover is worth nothing when primary_weight is 0 and greedy could not start
    tg = _levels(red.theta)
    if q == 2:
        tg = np.array([red.theta[0] + red.theta[1] / 2, red.theta[1] / 2, 0.0])
    sel = red.req.copy()
    if r == 0 or c == 0:
        return sel
    csc = a.tocsc()
    af = a.astype(np.float64)
    cnt = _cover_counts(a, sel)
    v = w * tg[np.minimum(cnt, q)]
    g = np.asarray(af.T @ v).ravel()
    for _ in range(min(red.n_free, int((~sel).sum()))):
        gm = np.where(sel, -np.inf, g)
        j = int(np.argmax(gm))
        if not gm[j] > _TOL:
            break
        sel[j] = True
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        cnt[rows] += 1
        new = w[rows] * tg[np.minimum(cnt[rows], q)]
        d = new - v[rows]
        v[rows] = new
        nz = d != 0
        if nz.any():
            g += np.asarray(af[rows[nz]].T @ d[nz]).ravel()
    return sel


def _ranges(start: I64, length: I64) -> I64:
    """Concatenation of ``arange(start[k], start[k] + length[k])`` over k."""
    off = np.cumsum(length) - length
    return np.asarray(np.repeat(start - off, length) + np.arange(int(length.sum())))


class _SwapSearch:
    """Incremental move evaluation for coverage models (any number of value levels).

    With ``cnt_i`` = how many selected sites cover row i and ``t`` the level values, adding
    column k gains ``add_gain[k] = Σ_{i∈N_k} w_i t[cnt_i]``; removing a selected free column
    s loses ``loss[s] = Σ_{i∈N_s} w_i t[cnt_i - 1]``; swapping s out and k in gains
    ``add_gain[k] - loss[s] + M[s, k]`` with ``M[s, k] = Σ_{i∈N_s∩N_k} w_i (t[cnt_i - 1] -
    t[cnt_i])`` (for MCLP: the weight covered by s and k and by nobody else). All three are
    kept up to date after each add or remove by touching only the rows of the moved column,
    so a move costs O(Σ_{i∈N_j} |S∩N_i|·|N_i|) and the best swap over all pairs is one
    argmax over the ``|S| × c`` array.
    """

    def __init__(self, red: _Reduced, sel: BoolA) -> None:
        self.a = sp.csr_matrix(red.a, dtype=np.float64)
        self.a.sort_indices()
        self.csc = red.a.tocsc()
        self.w = red.w
        self.theta = red.theta
        self.q = int(red.theta.size)
        self.t = _levels(red.theta)
        # by count c = 0..q+1 (every count above q behaves as q+1): value of one more cover,
        # value lost by one cover less, and their difference for rows covered at least once
        t_up = np.concatenate([self.t, [0.0]])
        self.tab_add = t_up
        self.tab_rm = np.concatenate([[0.0], self.t])
        self.tab_delta = np.where(np.arange(self.q + 2) >= 1, self.tab_rm - self.tab_add, 0.0)
        self.req = red.req
        self.c = int(red.a.shape[1])
        self.sel = sel.copy()
        self.cnt = _cover_counts(red.a, self.sel)
        free = np.flatnonzero(self.sel & ~self.req)
        cap = max(1, min(red.n_free, int((~self.req).sum())), free.size)
        self.slot = np.full(self.c, -1, dtype=np.int64)  # column -> row of M / loss
        self.slot_col = np.full(cap, -1, dtype=np.int64)
        self.slot[free] = np.arange(free.size)
        self.slot_col[: free.size] = free
        self.value = _value(self.cnt, self.w, self.theta)
        self.add_gain = np.asarray(self.a.T @ self._v_add(self.cnt, self.w)).ravel()
        self.loss = np.zeros(cap)
        self.m = np.zeros((cap, self.c))
        if free.size:
            a_s = sp.csr_matrix(self.csc[:, free], dtype=np.float64)
            self.loss[: free.size] = np.asarray(a_s.T @ self._v_rm(self.cnt, self.w)).ravel()
            d = self._delta(self.cnt, self.w)
            self.m[: free.size] = (a_s.T @ sp.diags(d) @ self.a).toarray()

    def _v_add(self, cnt: I64, w: F64) -> F64:
        return np.asarray(w * self.tab_add[np.minimum(cnt, self.q + 1)])

    def _v_rm(self, cnt: I64, w: F64) -> F64:
        return np.asarray(w * self.tab_rm[np.minimum(cnt, self.q + 1)])

    def _delta(self, cnt: I64, w: F64) -> F64:
        return np.asarray(w * self.tab_delta[np.minimum(cnt, self.q + 1)])

    def _rows(self, j: int) -> I64:
        return np.asarray(self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]])

    def _update(self, rows: I64, old: I64, new: I64) -> None:
        wr = self.w[rows]
        o, n = np.minimum(old, self.q + 1), np.minimum(new, self.q + 1)
        d_add = wr * (self.tab_add[n] - self.tab_add[o])
        d_rm = wr * (self.tab_rm[n] - self.tab_rm[o])
        d_m = wr * (self.tab_delta[n] - self.tab_delta[o])
        ip = self.a.indptr
        start = ip[rows].astype(np.int64)
        length = (ip[rows + 1] - ip[rows]).astype(np.int64)
        pos = _ranges(start, length)
        local = np.repeat(np.arange(rows.size), length)
        cols = self.a.indices[pos]
        self.add_gain += np.bincount(cols, weights=d_add[local], minlength=self.c)
        slots = self.slot[cols]
        e = np.flatnonzero(slots >= 0)  # (row, selected free column) entries
        if e.size == 0:
            return
        le, se = local[e], slots[e]
        np.add.at(self.loss, se, d_rm[le])
        nz = d_m[le] != 0
        if not nz.any():
            return
        le, se = le[nz], se[nz]
        ln = length[le]
        flat = np.repeat(se * self.c, ln) + self.a.indices[_ranges(start[le], ln)]
        np.add.at(self.m.reshape(-1), flat, np.repeat(d_m[le], ln))

    def remove(self, j: int) -> None:
        s = int(self.slot[j])
        self.value -= float(self.loss[s])
        self.slot[j] = -1
        self.slot_col[s] = -1
        self.m[s] = 0.0
        self.loss[s] = 0.0
        self.sel[j] = False
        rows = self._rows(j)
        old = self.cnt[rows]
        self.cnt[rows] = old - 1
        self._update(rows, old, old - 1)

    def add(self, j: int) -> None:
        self.value += float(self.add_gain[j])
        rows = self._rows(j)
        old = self.cnt[rows]
        new = old + 1
        self.cnt[rows] = new
        self._update(rows, old, new)
        s = int(np.flatnonzero(self.slot_col < 0)[0])
        self.slot[j] = s
        self.slot_col[s] = j
        self.sel[j] = True
        wr = self.w[rows]
        self.loss[s] = float(self._v_rm(new, wr).sum())
        self.m[s] = np.asarray(self.a[rows].T @ self._delta(new, wr)).ravel()

    def best_add(self, tabu: BoolA) -> int:
        return int(np.argmax(np.where(self.sel | tabu, -np.inf, self.add_gain)))

    def best_swap(self) -> tuple[int, int, float]:
        act = np.flatnonzero(self.slot_col >= 0)
        if act.size == 0 or self.sel.all():
            return -1, -1, -math.inf
        g = self.m[act] + np.where(self.sel, -np.inf, self.add_gain)[None, :]
        g -= self.loss[act, None]
        k = int(np.argmax(g))
        si, kj = divmod(k, self.c)
        return int(self.slot_col[act[si]]), kj, float(g[si, kj])

    def descend(self, deadline: float, tol: float) -> int:
        """Best-improvement swaps until none gains more than ``tol``; returns the count."""
        n = 0
        while time.perf_counter() < deadline:
            s, k, gain = self.best_swap()
            if not gain > tol:
                break
            self.remove(s)
            self.add(k)
            n += 1
        return n

    def move_to(self, target: BoolA) -> None:
        for j in np.flatnonzero(self.sel & ~target).tolist():
            self.remove(j)
        for j in np.flatnonzero(target & ~self.sel).tolist():
            self.add(j)
        self.value = _value(self.cnt, self.w, self.theta)  # drop accumulated rounding


def _local_search(
    red: _Reduced,
    sel: BoolA,
    *,
    deadline: float,
    perturb: bool,
    max_stall: int = 300,
    max_kick: int = 12,
    seed: int = 0,
) -> tuple[BoolA, float, dict[str, int]]:
    """Best-improvement swaps from ``sel``, then (``perturb``) iterated local search.

    Each round removes a random selected site and up to ``max_kick - 1`` of the selected
    sites overlapping it most (a local ruin), refills greedily without the removed sites,
    descends again, and keeps the result when it is better (else returns to the best). Stops
    at ``deadline`` or after ``max_stall`` rounds without improvement. The returned value is
    never below the starting one: it only ever moves to strictly better selections.
    Returns (mask, value on the reduced model, counters)."""
    info = {"swaps": 0, "rounds": 0, "improved": 0}
    if red.a.shape[0] == 0 or not (sel & ~red.req).any():
        return sel.copy(), _value(_cover_counts(red.a, sel), red.w, red.theta), info
    st = _SwapSearch(red, sel)
    total = float(red.w.sum()) * float(red.theta.sum())
    tol = max(_TOL, 1e-12 * total)
    info["swaps"] = st.descend(deadline, tol)
    best, best_v = st.sel.copy(), _value(st.cnt, st.w, st.theta)
    rng = np.random.default_rng(seed)
    free_mask = ~red.req
    stall = 0
    while perturb and stall < max_stall and time.perf_counter() < deadline:
        info["rounds"] += 1
        chosen = np.flatnonzero(st.sel & free_mask)
        if chosen.size == 0 or (st.sel | red.req).all():
            break
        kick = int(rng.integers(1, min(max_kick, chosen.size) + 1))
        j = int(rng.choice(chosen))
        ip = st.a.indptr
        rows = st._rows(j)
        pos = _ranges(ip[rows].astype(np.int64), (ip[rows + 1] - ip[rows]).astype(np.int64))
        overlap = np.bincount(st.a.indices[pos], minlength=st.c).astype(np.float64)
        overlap[j] = np.inf
        overlap = np.where(st.sel & free_mask, overlap + rng.random(st.c), -np.inf)
        out = np.argsort(-overlap)[:kick]
        out = out[np.isfinite(overlap[out]) | (out == j)]
        tabu = np.zeros(st.c, dtype=bool)
        tabu[out] = True
        for o in out.tolist():
            st.remove(o)
        for _ in range(out.size):
            if (st.sel | tabu).all():
                break
            st.add(st.best_add(tabu))
        info["swaps"] += st.descend(deadline, tol)
        if st.value > best_v + tol:
            v = _value(st.cnt, st.w, st.theta)  # exact, not the running sum
            if v > best_v + tol:
                best, best_v, stall = st.sel.copy(), v, 0
                info["improved"] += 1
                continue
        stall += 1
        if st.value < best_v - tol or int(st.sel.sum()) != int(best.sum()):
            st.move_to(best)
    return best, best_v, info


def _cover_counts(a: sp.csr_matrix, sel: BoolA) -> NDArray[np.int64]:
    idx = np.flatnonzero(sel)
    if idx.size == 0:
        return np.zeros(a.shape[0], dtype=np.int64)
    return np.asarray(a[:, idx].astype(np.int64).sum(axis=1)).ravel().astype(np.int64)


# ---------------------------------------------------------------------------- MILP


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


class _SitingModel:
    """Shared validation, state and result handling."""

    name: ClassVar[str] = "siting"
    sense: ClassVar[str] = "max"
    weights: F64
    required: I64

    def __init__(self) -> None:
        self._result: SitingResult | None = None
        self.n_demand = 0
        self.n_candidates = 0

    @property
    def result_(self) -> SitingResult:
        """The :class:`SitingResult` of the last ``solve()``."""
        if self._result is None:
            raise NotSolvedError(f"result_: {type(self).__name__} is not solved; call .solve()")
        return self._result

    def solve(
        self, method: Method = "exact", time_limit_s: float | None = None, *, gap: float = 1e-9
    ) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError


class _CoverageModel(_SitingModel):
    """MCLP, LSCP and backup coverage share the coverage matrix and the reduction."""

    theta: F64
    a: sp.csr_matrix
    standard_s: float
    n_sites: int | None

    def _setup(
        self,
        cost_s: Any,
        weights: ArrayLike | None,
        standard_s: float | None,
        n_sites: int | None,
        required: ArrayLike | None,
    ) -> None:
        cost = _check_costs(cost_s)
        n, m = cost.shape
        self.weights = _check_weights(weights, n)
        s = _check_standard(standard_s)
        assert s is not None
        self.standard_s = s
        self.required = _check_required(required, m)
        self.n_sites = (
            _check_n_sites(n_sites, m, int(self.required.size)) if n_sites is not None else None
        )
        self.n_demand, self.n_candidates = n, m
        self.a = _coverage_matrix(cost, s)

    # evaluation on the original matrix: never trust the solver's numbers
    def _evaluate(self, selected: I64) -> tuple[float, float, float]:
        sel = np.zeros(self.n_candidates, dtype=bool)
        sel[selected] = True
        cnt = _cover_counts(self.a, sel)
        w = self.weights
        once = float(w[cnt >= 1].sum())
        twice = float(w[cnt >= 2].sum())
        return once, twice, _value(cnt, w, self.theta)

    def _pad(self, selected: I64, n_total: int) -> I64:
        """Fill up to ``n_total`` sites with the unselected candidates covering most weight
        (they add nothing to the objective; the model asks for exactly ``n_sites``)."""
        if selected.size >= n_total:
            return np.sort(selected)
        colw = np.asarray(self.a.T.astype(np.float64) @ self.weights).ravel()
        colw[selected] = -np.inf
        extra = np.argsort(-colw, kind="stable")[: n_total - selected.size]
        return np.sort(np.concatenate([selected, extra]).astype(np.int64))


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


class BackupCoverage(_MaxCoverage):
    r"""Backup coverage (Hogan & ReVelle 1986, BACOP2): prefer demand reached by two sites.

    .. math::

        \max\ \theta \sum_i w_i y_i + (1-\theta) \sum_i w_i u_i \quad\text{s.t.}\quad
        y_i + u_i \le \sum_j a_{ij} x_j,\quad u_i \le y_i,\quad \sum_j x_j = p,\quad
        x_j = 1\ (j \in R),\quad x_j \in \{0,1\},\ 0 \le u_i, y_i \le 1

    ``y_i`` = covered at least once, ``u_i`` = covered at least twice (backup). With the
    default ``primary_weight θ = 0`` the objective is the weight covered twice (BACOP with
    primary coverage unconstrained); ``0 < θ < 1`` trades first coverage against backup.
    ``result_.objective`` is that weighted sum, ``result_.backup_weight`` the weight covered
    twice, ``covered_weight`` the weight covered at least once. Dominance keeps a candidate
    unless two other candidates cover supersets of its demand.

    Complexity: as :class:`MCLP` with twice the ``y`` variables.
    """

    name = "backup"

    def __init__(self, primary_weight: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= primary_weight < 1.0:
            raise SitingInputError(
                f"primary_weight: must be in [0, 1) (1 would ignore backup), got {primary_weight}"
            )
        self.primary_weight = float(primary_weight)
        self.theta = np.array([self.primary_weight, 1.0 - self.primary_weight])

    @classmethod
    def from_cost_matrix(
        cls,
        cost_s: Any,
        weights: ArrayLike | None,
        *,
        standard_s: float,
        n_sites: int,
        required: ArrayLike | None = None,
        primary_weight: float = 0.0,
    ) -> BackupCoverage:
        """Build from a demand × candidate cost matrix (dense with ``inf``, or sparse)."""
        self = cls(primary_weight)
        self._setup(cost_s, weights, standard_s, n_sites, required)
        return self


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


# ---------------------------------------------------------------------------- p-median


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
        k: NDArray[np.int64] | None = (
            None if n_pairs <= _PMEDIAN_FULL_PAIRS else np.full(d.shape[0], 8, dtype=np.int64)
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
