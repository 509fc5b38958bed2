"""Prospective space-time permutation scan statistic (Kulldorff et al. 2005), SaTScan-compatible.

This module reads SaTScan's own parameter (``.prm``), case (``.cas``) and coordinates (``.geo``)
files and reproduces what SaTScan v10.3 reports for the space-time permutation model with a
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
refused with a ``SatscanError`` naming the key.

The numba kernels are imported lazily and compiled with ``cache=True``. One scan over all
cylinders costs ``O(sum_i K_i * W)`` for ``K_i`` locations in circle ``i`` and ``W`` window
lengths; a replication adds ``O(L W + m)`` for ``L`` locations and ``m`` cases in the last ``W``
days. Replications run in parallel over both cores. Memory: ``O(sum_i K_i + L W + n)``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SATSCAN_EARTH_RADIUS_KM",
    "SatscanError",
    "SatscanParams",
    "SpaceTimeData",
    "main",
    "read_cas",
    "read_geo",
    "read_prm",
    "run_satscan_prm",
    "space_time_permutation_scan",
]

SATSCAN_EARTH_RADIUS_KM = 6367.0
_LLR_TOLERANCE = 1e-9
_N_CHUNKS = 32  # fixed replication chunks: results do not depend on the thread count


class SatscanError(ValueError):
    """A SaTScan parameter, input file or option that cannot be used (message names it)."""


@dataclass(frozen=True)
class SatscanParams:
    """The subset of a SaTScan ``.prm`` file this module uses (paths resolved to absolute)."""

    case_file: Path
    coordinates_file: Path
    start_date: dt.date
    end_date: dt.date
    coordinates_type: int = 1
    analysis_type: int = 4
    model_type: int = 2
    scan_areas: int = 1
    time_aggregation_units: int = 3
    time_aggregation_length: int = 1
    max_spatial_pct_population: float = 50.0
    use_max_distance: bool = False
    max_distance_km: float = 0.0
    min_temporal_size: int = 1
    max_temporal_size: float = 50.0
    max_temporal_interpretation: int = 0
    min_cases_high: int = 2
    pvalue_report_type: int = 0
    early_termination_threshold: int = 50
    replications: int = 999
    prospective_start_date: dt.date | None = None
    adjust_for_earlier_analyses: bool = False
    secondary_criteria: int = 0
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def n_days(self) -> int:
        """Number of days in the study period, both ends included."""
        return (self.end_date - self.start_date).days + 1

    @property
    def max_window_days(self) -> int:
        """Longest time window in days (percentages are of the study period, rounded down)."""
        if self.max_temporal_interpretation == 1:
            return int(self.max_temporal_size)
        return math.floor(self.n_days * self.max_temporal_size / 100.0)


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


def _parse_date(text: str, *, what: str) -> dt.date:
    parts = text.strip().replace("-", "/").split("/")
    try:
        if len(parts) != 3:
            raise ValueError
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise SatscanError(f"{what}: {text!r} is not a date YYYY/MM/DD") from None


def _bool(text: str) -> bool:
    return text.strip().lower() in ("y", "yes", "true", "1")


def read_prm(path: str | os.PathLike[str]) -> SatscanParams:
    """Read a SaTScan ``.prm`` parameter file.

    The file is INI-like (``[Section]`` headers, ``Key=Value`` lines, ``;`` comments). File names
    are resolved relative to the ``.prm``'s folder. Only keys this module understands are typed;
    every key is kept in ``raw``. O(file size).

    Raises
    ------
    SatscanError
        When the file is missing, a required key is absent, or a value does not parse.
    """
    p = Path(path)
    if not p.is_file():
        raise SatscanError(f"path: parameter file {str(p)!r} does not exist")
    raw: dict[str, str] = {}
    for line in p.read_text(encoding="utf-8", errors="replace").splitlines():
        s = line.strip()
        if not s or s.startswith(";") or s.startswith("["):
            continue
        if "=" in s:
            k, v = s.split("=", 1)
            raw[k.strip()] = v.strip()

    def need(key: str) -> str:
        if key not in raw or raw[key] == "":
            raise SatscanError(f"{key}: missing from parameter file {p.name}")
        return raw[key]

    def num(key: str, default: float) -> float:
        v = raw.get(key, "")
        if v == "":
            return default
        try:
            return float(v)
        except ValueError:
            raise SatscanError(f"{key}: {v!r} is not a number") from None

    base = p.resolve().parent
    psd = raw.get("ProspectiveStartDate", "")
    return SatscanParams(
        case_file=(base / need("CaseFile")).resolve(),
        coordinates_file=(base / need("CoordinatesFile")).resolve(),
        start_date=_parse_date(need("StartDate"), what="StartDate"),
        end_date=_parse_date(need("EndDate"), what="EndDate"),
        coordinates_type=int(num("CoordinatesType", 1)),
        analysis_type=int(num("AnalysisType", 4)),
        model_type=int(num("ModelType", 2)),
        scan_areas=int(num("ScanAreas", 1)),
        time_aggregation_units=int(num("TimeAggregationUnits", 3)),
        time_aggregation_length=int(num("TimeAggregationLength", 1)),
        max_spatial_pct_population=num("MaxSpatialSizeInPopulationAtRisk", 50.0),
        use_max_distance=_bool(raw.get("UseDistanceFromCenterOption", "n")),
        max_distance_km=num("MaxSpatialSizeInDistanceFromCenter", 0.0),
        min_temporal_size=int(num("MinimumTemporalClusterSize", 1)),
        max_temporal_size=num("MaxTemporalSize", 50.0),
        max_temporal_interpretation=int(num("MaxTemporalSizeInterpretation", 0)),
        min_cases_high=int(num("MinimumCasesInHighRateClusters", 2)),
        pvalue_report_type=int(num("PValueReportType", 0)),
        early_termination_threshold=int(num("EarlyTerminationThreshold", 50)),
        replications=int(num("MonteCarloReps", 999)),
        prospective_start_date=_parse_date(psd, what="ProspectiveStartDate") if psd else None,
        adjust_for_earlier_analyses=_bool(raw.get("AdjustForEarlierAnalyses", "n")),
        secondary_criteria=int(num("CriteriaForReportingSecondaryClusters", 0)),
        raw=raw,
    )


def _check_supported(prm: SatscanParams) -> None:
    r = prm.raw
    checks: list[tuple[str, bool, str]] = [
        ("ModelType", prm.model_type == 2, "only 2 (space-time permutation) is supported"),
        ("AnalysisType", prm.analysis_type == 4, "only 4 (prospective space-time) is supported"),
        ("ScanAreas", prm.scan_areas == 1, "only 1 (high rates) is supported"),
        ("TimeAggregationUnits", prm.time_aggregation_units == 3, "only 3 (day) is supported"),
        ("TimeAggregationLength", prm.time_aggregation_length == 1, "only 1 is supported"),
        ("CoordinatesType", prm.coordinates_type in (0, 1), "must be 0 or 1"),
        ("UseGridFile", not _bool(r.get("UseGridFile", "n")), "grid files are not supported"),
        (
            "SpatialWindowShapeType",
            r.get("SpatialWindowShapeType", "0") in ("", "0"),
            "only circular windows are supported",
        ),
        (
            "IncludePurelyTemporal",
            not _bool(r.get("IncludePurelyTemporal", "n")),
            "purely temporal clusters are not supported",
        ),
        (
            "IncludePurelySpatial",
            not _bool(r.get("IncludePurelySpatial", "n")),
            "purely spatial clusters are not supported",
        ),
        (
            "AdjustForWeeklyTrends",
            not _bool(r.get("AdjustForWeeklyTrends", "n")),
            "weekly adjustment is not supported",
        ),
        ("IterativeScan", not _bool(r.get("IterativeScan", "n")), "iterative scan not supported"),
        (
            "UseNeighborsFile",
            not _bool(r.get("UseNeighborsFile", "n")),
            "neighbours files are not supported",
        ),
        (
            "UseLocationsNetworkFile",
            not _bool(r.get("UseLocationsNetworkFile", "n")),
            "network files are not supported",
        ),
        (
            "UseMaxCirclePopulationFileOption",
            not _bool(r.get("UseMaxCirclePopulationFileOption", "n")),
            "max circle population files are not supported",
        ),
        (
            "CriteriaForReportingSecondaryClusters",
            prm.secondary_criteria == 0,
            "only 0 (no geographical overlap) is supported",
        ),
        (
            "AdjustForEarlierAnalyses",
            not prm.adjust_for_earlier_analyses,
            "only n is supported (a single prospective analysis)",
        ),
    ]
    for key, ok, why in checks:
        if not ok:
            raise SatscanError(f"{key}: {r.get(key, '')!r} is not supported: {why}")
    if prm.end_date < prm.start_date:
        raise SatscanError(
            f"EndDate: {prm.end_date.isoformat()} is before StartDate {prm.start_date.isoformat()}"
        )


def read_geo(
    path: str | os.PathLike[str], *, coordinates_type: int = 1
) -> tuple[list[str], NDArray[np.float64]]:
    """Read a SaTScan coordinates file: ``loc lat lon`` (type 1) or ``loc x y [...]`` (type 0).

    Returns the location ids and Cartesian coordinates in km: for latitude/longitude,
    ``x = R cos(lon) cos(lat)``, ``y = R sin(lon) cos(lat)``, ``z = R sin(lat)`` with R = 6367 km;
    Cartesian files are returned as given. O(L).
    """
    p = Path(path)
    if not p.is_file():
        raise SatscanError(f"CoordinatesFile: {str(p)!r} does not exist")
    ids: list[str] = []
    rows: list[list[float]] = []
    for ln, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) < 3:
            raise SatscanError(f"CoordinatesFile: line {ln} of {p.name} needs 'id coord coord'")
        try:
            rows.append([float(v) for v in parts[1:]])
        except ValueError:
            raise SatscanError(f"CoordinatesFile: line {ln} of {p.name} has a bad number") from None
        ids.append(parts[0])
    if not ids:
        raise SatscanError(f"CoordinatesFile: {p.name} has no locations")
    if len(set(ids)) != len(ids):
        raise SatscanError(f"CoordinatesFile: {p.name} repeats a location id")
    width = min(len(r) for r in rows)
    a = np.array([r[:width] for r in rows], dtype=np.float64)
    if coordinates_type == 1:
        lat = np.radians(a[:, 0])
        lon = np.radians(a[:, 1])
        if np.any(np.abs(a[:, 0]) > 90) or np.any(np.abs(a[:, 1]) > 180):
            raise SatscanError(f"CoordinatesFile: {p.name} has latitude/longitude out of range")
        r = SATSCAN_EARTH_RADIUS_KM
        xyz = np.column_stack(
            [r * np.cos(lon) * np.cos(lat), r * np.sin(lon) * np.cos(lat), r * np.sin(lat)]
        )
        return ids, xyz
    return ids, a


def read_cas(
    path: str | os.PathLike[str],
    *,
    location_ids: Sequence[str],
    start_date: dt.date,
    end_date: dt.date,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Read a SaTScan case file ``loc count date`` into one entry per case.

    Returns ``(case_location, case_day)`` as index arrays (day 0 = ``start_date``). A line with
    count k gives k cases. O(n).

    Raises
    ------
    SatscanError
        On an unknown location id, a negative count, or a date outside the study period.
    """
    p = Path(path)
    if not p.is_file():
        raise SatscanError(f"CaseFile: {str(p)!r} does not exist")
    index = {lid: i for i, lid in enumerate(location_ids)}
    locs: list[int] = []
    days: list[int] = []
    counts: list[int] = []
    seen: dict[str, dt.date] = {}
    for ln, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3:
            raise SatscanError(f"CaseFile: line {ln} of {p.name} needs 'id count date'")
        if parts[0] not in index:
            raise SatscanError(
                f"CaseFile: line {ln} of {p.name}: location {parts[0]!r} is not in the "
                "coordinates file"
            )
        try:
            k = int(float(parts[1]))
        except ValueError:
            raise SatscanError(f"CaseFile: line {ln} of {p.name}: bad count {parts[1]!r}") from None
        if k < 0:
            raise SatscanError(f"CaseFile: line {ln} of {p.name}: negative count {k}")
        d = seen.get(parts[2])
        if d is None:
            d = seen[parts[2]] = _parse_date(parts[2], what=f"CaseFile line {ln}")
        if d < start_date or d > end_date:
            raise SatscanError(
                f"CaseFile: line {ln} of {p.name}: date {d.isoformat()} is outside the study "
                f"period {start_date.isoformat()}..{end_date.isoformat()}"
            )
        locs.append(index[parts[0]])
        days.append((d - start_date).days)
        counts.append(k)
    c = np.asarray(counts, dtype=np.int64)
    loc = np.repeat(np.asarray(locs, dtype=np.int64), c)
    day = np.repeat(np.asarray(days, dtype=np.int64), c)
    return loc, day


# --------------------------------------------------------------------------------------------
# numba kernels (compiled lazily, cached on disk)
# --------------------------------------------------------------------------------------------


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


def run_satscan_prm(
    path: str | os.PathLike[str],
    *,
    replications: int | None = None,
    seed: int = 12345,
    n_threads: int | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Run the scan a SaTScan ``.prm`` file describes; return ``{"clusters": [...]}``.

    Reads the ``.prm`` and the ``.cas``/``.geo`` files it names, checks the options are the
    supported ones (see the module docstring) and calls :func:`space_time_permutation_scan`.
    ``replications`` overrides ``MonteCarloReps``. ``PValueReportType=0`` enables SaTScan's
    early termination (``EarlyTerminationThreshold`` exceedances); ``1`` runs all replications.
    Time and memory as :func:`space_time_permutation_scan` plus O(file size) for reading.
    """
    prm = read_prm(path)
    _check_supported(prm)
    ids, xyz = read_geo(prm.coordinates_file, coordinates_type=prm.coordinates_type)
    loc, day = read_cas(
        prm.case_file, location_ids=ids, start_date=prm.start_date, end_date=prm.end_date
    )
    data = SpaceTimeData(
        ids, xyz, loc, day, prm.start_date, prm.n_days, geographic=prm.coordinates_type == 1
    )
    reps = prm.replications if replications is None else replications
    early = prm.early_termination_threshold if prm.pvalue_report_type == 0 else None
    return space_time_permutation_scan(
        data,
        max_distance_km=prm.max_distance_km if prm.use_max_distance else None,
        max_pct_population=prm.max_spatial_pct_population,
        min_window_days=prm.min_temporal_size,
        max_window_days=prm.max_window_days,
        min_cases=max(prm.min_cases_high, 0),
        replications=reps,
        seed=seed,
        early_termination=early,
        n_threads=n_threads,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pingan.analytics.satscan FILE.prm [--replications N] [--json OUT]``."""
    ap = argparse.ArgumentParser(prog="python -m pingan.analytics.satscan")
    ap.add_argument("prm", help="SaTScan parameter file (.prm)")
    ap.add_argument("--replications", type=int, default=None)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", dest="json_out", default=None, help="write the clusters here")
    ns = ap.parse_args(argv)
    try:
        res = run_satscan_prm(
            ns.prm, replications=ns.replications, seed=ns.seed, n_threads=ns.threads
        )
    except SatscanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(res, indent=2)
    if ns.json_out:
        Path(ns.json_out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
