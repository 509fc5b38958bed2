"""Reduction of a coverage model: uncoverable, merged, saturated and dominated rows and columns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from pingan.coverage.siting.common import F64, I64, BoolA


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
