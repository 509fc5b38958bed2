"""Argument checks of the siting models and the coverage matrix they build."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from pingan.coverage.siting.common import F64, I64, BoolA, SitingInputError

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
