"""SaTScan files for the space-time permutation scan: read a ``.prm`` parameter file and the
``.cas`` case and ``.geo`` coordinates files it names, check that its options are the ones the
kernel (:mod:`pingan.analytics.satscan`) reproduces, run it, and the command line
``python -m pingan.analytics.satscan_files FILE.prm [--replications N] [--json OUT]``.

Every error is a :class:`~pingan.analytics.satscan.SatscanError` naming the key or file line.
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

from pingan.analytics.satscan import (
    SatscanError,
    SpaceTimeData,
    space_time_permutation_scan,
    sphere_xyz_km,
)

__all__ = [
    "SatscanParams",
    "main",
    "read_cas",
    "read_geo",
    "read_prm",
    "run_satscan_prm",
]


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
        if np.any(np.abs(a[:, 0]) > 90) or np.any(np.abs(a[:, 1]) > 180):
            raise SatscanError(f"CoordinatesFile: {p.name} has latitude/longitude out of range")
        return ids, sphere_xyz_km(a[:, 0], a[:, 1])
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
    """``python -m pingan.analytics.satscan_files FILE.prm [--replications N] [--json OUT]``."""
    ap = argparse.ArgumentParser(prog="python -m pingan.analytics.satscan_files")
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
