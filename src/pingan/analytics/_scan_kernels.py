"""numba kernels of the space-time permutation scan (imported lazily by ``satscan``).

All kernels are compiled with ``cache=True`` so that a command-line run pays no JIT cost after
the first one. See :mod:`pingan.analytics.satscan` for the statistic.
"""

# mypy: ignore-errors
from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True, fastmath=False)
def llr_of(c: float, mu: float, total: float) -> float:
    if c >= total:
        return c * math.log(c / mu)
    return c * math.log(c / mu) + (total - c) * math.log((total - c) / (total - mu))


@nb.njit(cache=True, nogil=True)
def scan_max(tail, nb_ptr, nb_idx, nb_popcum, wsum, min_w, min_cases, total, cbuf):
    n_loc = nb_ptr.shape[0] - 1
    max_w = wsum.shape[0]
    best = 0.0
    for i in range(n_loc):
        for w in range(max_w):
            cbuf[w] = 0.0
        for p in range(nb_ptr[i], nb_ptr[i + 1]):
            z = nb_idx[p]
            pop = nb_popcum[p]
            for w in range(max_w):
                cbuf[w] += tail[z, w]
            for w in range(min_w - 1, max_w):
                c = cbuf[w]
                if c < min_cases:
                    continue
                mu = pop * wsum[w] / total
                if c > mu:
                    # log-free upper bound (ln x <= x - 1): skip cylinders that cannot win
                    bound = (c - mu) * (c / mu - (total - c) / (total - mu))
                    if bound <= best:
                        continue
                    v = llr_of(c, mu, total)
                    if v > best:
                        best = v
    return best


@nb.njit(cache=True, nogil=True)
def scan_centres(tail, nb_ptr, nb_idx, nb_popcum, wsum, min_w, min_cases, total):
    n_loc = nb_ptr.shape[0] - 1
    max_w = wsum.shape[0]
    best = np.zeros(n_loc)
    best_k = np.full(n_loc, -1, dtype=np.int64)
    best_w = np.full(n_loc, -1, dtype=np.int64)
    cbuf = np.zeros(max_w)
    for i in range(n_loc):
        for w in range(max_w):
            cbuf[w] = 0.0
        for p in range(nb_ptr[i], nb_ptr[i + 1]):
            z = nb_idx[p]
            pop = nb_popcum[p]
            for w in range(max_w):
                cbuf[w] += tail[z, w]
            for w in range(min_w - 1, max_w):
                c = cbuf[w]
                if c < min_cases:
                    continue
                mu = pop * wsum[w] / total
                if c > mu:
                    v = llr_of(c, mu, total)
                    if v > best[i]:
                        best[i] = v
                        best_k[i] = p - nb_ptr[i]
                        best_w[i] = w
    return best, best_k, best_w


@nb.njit(cache=True, nogil=True)
def splitmix(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return state, z


@nb.njit(cache=True, parallel=True)
def replicate(
    case_loc,
    tail_off,
    n_loc,
    n_reps,
    rep_start,
    seed,
    n_chunks,
    nb_ptr,
    nb_idx,
    nb_popcum,
    wsum,
    min_w,
    min_cases,
    total,
):
    n = case_loc.shape[0]
    m = tail_off.shape[0]
    max_w = wsum.shape[0]
    out = np.zeros(n_reps)
    for ch in nb.prange(n_chunks):
        lo = (n_reps * ch) // n_chunks
        hi = (n_reps * (ch + 1)) // n_chunks
        if hi <= lo:
            continue
        perm = np.arange(n)
        cnt = np.zeros((n_loc, max_w))
        cbuf = np.zeros(max_w)
        for r in range(lo, hi):
            # every replication has its own stream: independent of chunking and threads
            state = np.uint64(seed) * np.uint64(1000003) + np.uint64(rep_start + r + 1)
            state, _ = splitmix(state)
            for z in range(n_loc):
                for w in range(max_w):
                    cnt[z, w] = 0.0
            # partial Fisher-Yates: the first m entries are a uniform random m-subset
            # (in random order) whatever the current arrangement of perm.
            for j in range(m):
                state, u = splitmix(state)
                k = j + np.int64(u % np.uint64(n - j))
                t = perm[j]
                perm[j] = perm[k]
                perm[k] = t
                cnt[case_loc[perm[j]], tail_off[j]] += 1.0
            for z in range(n_loc):
                for w in range(1, max_w):
                    cnt[z, w] += cnt[z, w - 1]
            out[r] = scan_max(cnt, nb_ptr, nb_idx, nb_popcum, wsum, min_w, min_cases, total, cbuf)
    return out
