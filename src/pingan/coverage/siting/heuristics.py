"""Coverage heuristics: greedy, best-improvement swaps and iterated local search."""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from pingan.coverage.siting.common import _TOL, F64, I64, BoolA
from pingan.coverage.siting.reduction import _Reduced


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
