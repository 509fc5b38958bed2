"""Prospective space-time permutation scan statistic (Kulldorff et al. 2005), SaTScan-compatible.

The pure kernel (no file I/O): :func:`space_time_permutation_scan` on :class:`SpaceTimeData`.
:mod:`pingan.analytics.satscan_files` reads SaTScan's own parameter (``.prm``), case (``.cas``)
and coordinates (``.geo``) files into it and runs it from the command line; together they
reproduce what SaTScan v10.3 reports for the space-time permutation model with a
prospective space-time analysis (``ModelType=2``, ``AnalysisType=4``, ``ScanAreas=1``):

* **Expected count** of a cylinder (locations Z, days D): ``mu = sum_{z in Z, d in D} C_z C_d / C``
  with ``C_z`` the location total, ``C_d`` the day total and ``C`` the grand total. It factorises
  into ``(sum_z C_z) (sum_d C_d) / C``.
* **Log-likelihood ratio** (only when ``c > mu`` and ``c >= MinimumCasesInHighRateClusters``):
  ``c ln(c/mu) + (C-c) ln((C-c)/(C-mu))``.
* **Time windows**: lengths ``MinimumTemporalClusterSize .. MaxTemporalSize`` days, all ending
  on the last day of the study period (prospective).
* **Circles**: around every location of the coordinates file, growing one location at a time in
  order of 3-D chord distance on a sphere of radius 6367 km (ties broken by the Cartesian
  coordinates x, y, z), while the chord is ``<= MaxSpatialSizeInDistanceFromCenter`` km and the
  summed location totals are ``<= MaxSpatialSizeInPopulationAtRisk`` % of ``C``.
* **Inference**: Monte Carlo replications permute the case days across cases (which keeps every
  ``C_z`` and ``C_d``, hence every ``mu``); the p-value of a cluster is ``rank / (R + 1)`` where
  the rank counts replication maxima ``>= llr - 1e-9``, the observed one included. With
  ``PValueReportType=0`` the run stops early once ``EarlyTerminationThreshold`` replication maxima
  have exceeded the most likely cluster (SaTScan's "default combination"; its Gumbel p-values are
  not computed). The recurrence interval is ``1 / p`` days (one prospective analysis).
* **Secondary clusters**: the best cylinder of each centre, sorted by LLR, reported when it shares
  no location with a more likely reported cluster ("no geographical overlap").

Parameters outside this set (other models, retrospective analyses, elliptic windows, time
aggregation other than one day, adjustments, iterative scans, earlier-analysis adjustment) are
refused (by the reader) with a ``SatscanError`` naming the key.

The numba kernels are imported lazily and compiled with ``cache=True``. One scan over all
cylinders costs ``O(sum_i K_i * W)`` for ``K_i`` locations in circle ``i`` and ``W`` window
lengths; a replication adds ``O(L W + m)`` for ``L`` locations and ``m`` cases in the last ``W``
days. Replications run in parallel over both cores. Memory: ``O(sum_i K_i + L W + n)``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SATSCAN_EARTH_RADIUS_KM",
    "SatscanError",
    "SpaceTimeData",
    "space_time_permutation_scan",
    "sphere_xyz_km",
]

SATSCAN_EARTH_RADIUS_KM = 6367.0
_LLR_TOLERANCE = 1e-9
_N_CHUNKS = 32  # fixed replication chunks: results do not depend on the thread count


class SatscanError(ValueError):
    """A SaTScan parameter, input file or option that cannot be used (message names it)."""


@dataclass(frozen=True)
class SpaceTimeData:
    """Cases aggregated by location and day.

    Attributes
    ----------
    location_ids : list of str
        Location identifiers in coordinates-file order.
    xyz_km : ndarray (L, 3) or (L, d)
        Cartesian coordinates in km (lat/lon converted on a sphere of 6367 km).
    case_location : ndarray (n,) int64
        Location index of every individual case (a ``.cas`` line with count k gives k cases).
    case_day : ndarray (n,) int64
        Day index of every case, 0 = ``start_date``.
    start_date : date
        First day of the study period.
    n_days : int
        Days in the study period.
    geographic : bool
        True when coordinates were latitude/longitude (radius reported as great-circle km).
    """

    location_ids: list[str]
    xyz_km: NDArray[np.float64]
    case_location: NDArray[np.int64]
    case_day: NDArray[np.int64]
    start_date: dt.date
    n_days: int
    geographic: bool = True


# --------------------------------------------------------------------------------------------
# numba kernels (compiled lazily, cached on disk)
# --------------------------------------------------------------------------------------------


def sphere_xyz_km(
    lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Cartesian coordinates in km of points given in degrees, on SaTScan's sphere:
    ``x = R cos(lon) cos(lat)``, ``y = R sin(lon) cos(lat)``, ``z = R sin(lat)`` with
    R = :data:`SATSCAN_EARTH_RADIUS_KM`. O(L)."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    r = SATSCAN_EARTH_RADIUS_KM
    return np.column_stack(
        [r * np.cos(lon) * np.cos(lat), r * np.sin(lon) * np.cos(lat), r * np.sin(lat)]
    )


def _kernels() -> Any:
    from pingan.analytics import _scan_kernels  # lazy: numba is imported only here

    return _scan_kernels


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------


def _circles(
    xyz: NDArray[np.float64],
    loc_total: NDArray[np.float64],
    *,
    max_distance: float | None,
    max_pop: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """CSR neighbour lists: for each centre, locations by (distance, x, y, z) while allowed.

    Candidate pairs come from blocked dense distances up to 8,000 locations (no scipy import,
    which keeps the command fast) and from a k-d tree beyond.
    """
    n_loc = xyz.shape[0]
    if max_distance is None and n_loc > 20_000:
        raise SatscanError(
            "MaxSpatialSizeInDistanceFromCenter: set a distance limit when there are more "
            f"than 20000 locations (got {n_loc})"
        )
    lim = np.inf if max_distance is None else max_distance * (1 + 1e-12)
    if n_loc <= 8_000 or max_distance is None:
        ci_parts: list[NDArray[np.int64]] = []
        cj_parts: list[NDArray[np.int64]] = []
        block = max(1, 2_000_000 // n_loc)
        for a in range(0, n_loc, block):
            dd = ((xyz[a : a + block, None, :] - xyz[None, :, :]) ** 2).sum(axis=2)
            ii, jj = np.nonzero(dd <= lim * lim)
            ci_parts.append(ii.astype(np.int64) + a)
            cj_parts.append(jj.astype(np.int64))
        ci = np.concatenate(ci_parts)
        cj = np.concatenate(cj_parts)
    else:
        from scipy.spatial import cKDTree

        pairs = cKDTree(xyz).query_pairs(lim, output_type="ndarray")
        ci = np.concatenate([np.arange(n_loc), pairs[:, 0], pairs[:, 1]])
        cj = np.concatenate([np.arange(n_loc), pairs[:, 1], pairs[:, 0]])
    d = np.sqrt(((xyz[ci] - xyz[cj]) ** 2).sum(axis=1))
    if max_distance is not None:
        keep = d <= max_distance
        ci, cj, d = ci[keep], cj[keep], d[keep]
    keys = [xyz[cj, k] for k in range(xyz.shape[1] - 1, -1, -1)]
    order = np.lexsort((*keys, d, ci))
    ci, cj, d = ci[order], cj[order], d[order]
    pop = loc_total[cj]
    ptr_full = np.searchsorted(ci, np.arange(n_loc + 1))
    cum = np.cumsum(pop)
    start_cum = np.concatenate([[0.0], cum])[ptr_full[:-1]]
    popcum = cum - np.repeat(start_cum, np.diff(ptr_full))
    allowed = popcum <= max_pop * (1 + 1e-12)
    # prefixes: stop at the first disallowed neighbour
    bad = np.where(allowed, 0, 1)
    bad_cum = np.cumsum(bad)
    bad_before = np.concatenate([[0], bad_cum])[ptr_full[:-1]]
    keep = (bad_cum - np.repeat(bad_before, np.diff(ptr_full))) == 0
    ci, cj, d, popcum = ci[keep], cj[keep], d[keep], popcum[keep]
    ptr = np.searchsorted(ci, np.arange(n_loc + 1)).astype(np.int64)
    return ptr, cj.astype(np.int64), popcum.astype(np.float64), d


def space_time_permutation_scan(
    data: SpaceTimeData,
    *,
    max_distance_km: float | None,
    max_pct_population: float = 50.0,
    min_window_days: int = 1,
    max_window_days: int = 7,
    min_cases: int = 2,
    replications: int = 999,
    seed: int = 12345,
    early_termination: int | None = None,
    n_threads: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Prospective space-time permutation scan on aggregated cases.

    See the module docstring for the statistic. Returns ``{"clusters": [...]}``, most likely
    first, each cluster with ``center``, ``location_ids``, ``radius_km``, ``start_date``,
    ``end_date`` (ISO), ``observed``, ``expected``, ``llr``, ``p_value`` and
    ``recurrence_interval_days`` (``None`` when ``replications == 0``).

    Time ``O((R + 1) sum_i K_i W)`` over R replications, K_i locations in circle i and W window
    lengths; memory ``O(sum_i K_i + L W + n)``.

    Raises
    ------
    SatscanError
        On no cases, fewer than 2 cases, ``replications`` between 1 and 8, or a time window
        longer than the study period.
    """
    n_days = data.n_days
    n_loc = len(data.location_ids)
    n = int(data.case_location.shape[0])
    if n == 0:
        raise SatscanError("CaseFile: no cases in the study period")
    if n < max(2, min_cases):
        raise SatscanError(
            f"CaseFile: {n} case(s) is fewer than the {max(2, min_cases)} a cluster needs"
        )
    if replications != 0 and replications < 9:
        raise SatscanError(f"replications: must be 0 or >= 9, got {replications}")
    if max_window_days < 1 or min_window_days < 1 or min_window_days > max_window_days:
        raise SatscanError(
            f"MaxTemporalSize: window of {min_window_days}..{max_window_days} days is empty"
        )
    if max_window_days > n_days:
        raise SatscanError(
            f"MaxTemporalSize: {max_window_days} days is longer than the study period "
            f"({n_days} days)"
        )
    if max_distance_km is not None and max_distance_km <= 0:
        raise SatscanError(
            f"MaxSpatialSizeInDistanceFromCenter: must be > 0, got {max_distance_km}"
        )
    if not 0 < max_pct_population <= 50:
        raise SatscanError(
            f"MaxSpatialSizeInPopulationAtRisk: must be in (0, 50], got {max_pct_population}"
        )
    if n_threads is not None and n_threads < 1:
        raise SatscanError(f"n_threads: must be >= 1, got {n_threads}")

    loc_total = np.bincount(data.case_location, minlength=n_loc).astype(np.float64)
    day_total = np.bincount(data.case_day, minlength=n_days).astype(np.float64)
    total = float(n)
    w_max = max_window_days
    # wsum[w] = cases over the last w+1 days
    wsum = np.cumsum(day_total[::-1][:w_max])
    ptr, idx, popcum, dist = _circles(
        data.xyz_km,
        loc_total,
        max_distance=max_distance_km,
        max_pop=max_pct_population / 100.0 * total,
    )
    # observed tail counts: tail[z, w] = cases at z in the last w+1 days
    off = (n_days - 1) - data.case_day
    in_tail = off < w_max
    cnt = np.zeros((n_loc, w_max))
    np.add.at(cnt, (data.case_location[in_tail], off[in_tail]), 1.0)
    tail = np.cumsum(cnt, axis=1)

    k = _kernels()
    import numba as nb

    old_threads = nb.get_num_threads()
    if n_threads is not None:
        nb.set_num_threads(min(n_threads, int(getattr(nb.config, "NUMBA_NUM_THREADS", 1))))
    try:
        best, best_k, best_w = k.scan_centres(
            tail, ptr, idx, popcum, wsum, min_window_days, float(min_cases), total
        )
        sims = np.zeros(0)
        if replications > 0 and best.max() > 0:
            tail_off = np.sort(off[in_tail]).astype(np.int64)
            case_loc = data.case_location.astype(np.int64)
            args = (ptr, idx, popcum, wsum, min_window_days, float(min_cases), total)
            top = float(best.max())
            if early_termination is None:
                sims = k.replicate(
                    case_loc,
                    tail_off,
                    n_loc,
                    replications,
                    0,
                    seed,
                    min(_N_CHUNKS, replications),
                    *args,
                )
            else:
                parts: list[NDArray[np.float64]] = []
                done = 0
                batch = max(50, replications // 10)
                while done < replications:
                    b = min(batch, replications - done)
                    parts.append(
                        k.replicate(
                            case_loc, tail_off, n_loc, b, done, seed, min(_N_CHUNKS, b), *args
                        )
                    )
                    done += b
                    exceed = np.cumsum(np.concatenate(parts) >= top - _LLR_TOLERANCE)
                    if exceed[-1] >= early_termination:
                        # stop exactly where SaTScan would: at the threshold-th exceedance
                        stop = int(np.searchsorted(exceed, early_termination)) + 1
                        parts = [np.concatenate(parts)[:stop]]
                        break
                sims = np.concatenate(parts)
        elif replications > 0:
            sims = np.zeros(replications)
    finally:
        nb.set_num_threads(old_threads)

    return {
        "clusters": _report(
            data,
            best,
            best_k,
            best_w,
            ptr,
            idx,
            dist,
            tail,
            loc_total,
            wsum,
            total,
            sims,
            replications,
            early_termination,
        )
    }


def _report(
    data: SpaceTimeData,
    best: NDArray[np.float64],
    best_k: NDArray[np.int64],
    best_w: NDArray[np.int64],
    ptr: NDArray[np.int64],
    idx: NDArray[np.int64],
    dist: NDArray[np.float64],
    tail: NDArray[np.float64],
    loc_total: NDArray[np.float64],
    wsum: NDArray[np.float64],
    total: float,
    sims: NDArray[np.float64],
    replications: int,
    early_termination: int | None,
) -> list[dict[str, Any]]:
    order = np.lexsort((np.arange(best.shape[0]), -best))
    used = np.zeros(best.shape[0], dtype=bool)
    end = data.start_date + dt.timedelta(days=data.n_days - 1)
    n_done = int(sims.shape[0])
    stopped_early = early_termination is not None and 0 < n_done < replications
    out: list[dict[str, Any]] = []
    for i in order:
        if best[i] <= 0:
            break
        kk, w = int(best_k[i]), int(best_w[i])
        members = idx[ptr[i] : ptr[i] + kk + 1]
        if used[members].any():
            continue
        used[members] = True
        observed = round(float(tail[members, w].sum()))
        expected = float(loc_total[members].sum() * wsum[w] / total)
        llr = float(best[i])
        chord = float(dist[ptr[i] + kk])
        if data.geographic:
            r2 = 2 * SATSCAN_EARTH_RADIUS_KM
            radius = r2 * math.asin(min(1.0, chord / r2))
        else:
            radius = chord
        p: float | None = None
        ri: float | None = None
        if n_done > 0:
            rank = int((sims >= llr - _LLR_TOLERANCE).sum())
            # early stop (SaTScan): exceedances / replications done; else rank / (R + 1)
            p = max(rank, 1) / n_done if stopped_early else (rank + 1) / (n_done + 1)
            ri = 1.0 / p
        out.append(
            {
                "center": data.location_ids[int(i)],
                "location_ids": [data.location_ids[int(z)] for z in members],
                "radius_km": radius,
                "start_date": (end - dt.timedelta(days=w)).isoformat(),
                "end_date": end.isoformat(),
                "observed": observed,
                "expected": expected,
                "llr": llr,
                "p_value": p,
                "recurrence_interval_days": ri,
            }
        )
    return out
