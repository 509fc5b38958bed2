"""Benchmark: prospective space-time permutation scan vs SaTScan v10.3.2 (recorded timings).

SaTScan is not installed here and cannot be fetched, so its times are the recorded ones from the
issue (999 replications, 2 threads): 1.8 s on 20,000 cases x 500 locations x 365 days (3 km,
7 days) and 9.9 s on 100,000 cases x 2,000 locations. This script writes seeded synthetic
instances of those sizes as SaTScan files (.prm/.cas/.geo), runs the whole command as a
subprocess, exactly as a user would,

    .venv/bin/pingan analyze scan --satscan FILE.prm --replications 999 --json out.json

and times it (Python start-up, imports and loading the cached numba kernels included). It also
checks the most likely cluster against a brute-force Python reference (every cylinder's
observed, expected and LLR computed from the definition) on a small instance and on NYCfever.

Locations are uniform in a square with about 1 location per km^2 (so a 3 km circle holds about
28 locations); case days are uniform over 365 days, and a planted outbreak (x3 rate in a 2 km
disc over the last 4 days) gives a real most likely cluster.

    .venv/bin/python benchmarks/bench_analytics_scan.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NYC = ROOT.parent / "shared" / "data" / "satscan" / "NYCSpaceTimePermutation.prm"
SATSCAN_S = {(20_000, 500): 1.8, (100_000, 2_000): 9.9}

PRM = """[Input]
CaseFile={cas}
PrecisionCaseTimes=3
StartDate={start}
EndDate={end}
CoordinatesFile={geo}
UseGridFile=n
CoordinatesType=1
[Analysis]
AnalysisType=4
ModelType=2
ScanAreas=1
TimeAggregationUnits=3
TimeAggregationLength=1
[Spatial Window]
MaxSpatialSizeInPopulationAtRisk=50
UseDistanceFromCenterOption=y
MaxSpatialSizeInDistanceFromCenter={radius_km}
IncludePurelyTemporal=n
SpatialWindowShapeType=0
[Temporal Window]
MinimumTemporalClusterSize=1
MaxTemporalSizeInterpretation=1
MaxTemporalSize={max_days}
IncludePurelySpatial=n
[Cluster Restrictions]
MinimumCasesInHighRateClusters=2
[Inference]
PValueReportType=1
MonteCarloReps=999
AdjustForEarlierAnalyses=n
ProspectiveStartDate={end}
IterativeScan=n
[Spatial Output]
CriteriaForReportingSecondaryClusters=0
"""


def write_instance(
    folder: Path,
    *,
    n_cases: int,
    n_locations: int,
    n_days: int = 365,
    seed: int = 7,
    radius_km: float = 3.0,
    max_days: int = 7,
) -> Path:
    """Write a seeded synthetic SaTScan instance; return the .prm path."""
    rng = np.random.default_rng(seed)
    side_km = math.sqrt(n_locations)  # ~1 location per km^2
    lat0, lon0 = 24.88, 102.83  # Kunming
    xy = rng.uniform(0, side_km, size=(n_locations, 2))
    lat = lat0 + xy[:, 1] / 111.2
    lon = lon0 + xy[:, 0] / (111.2 * math.cos(math.radians(lat0)))
    ids = [f"L{i:05d}" for i in range(n_locations)]
    weights = rng.gamma(2.0, 1.0, n_locations)
    loc = rng.choice(n_locations, size=n_cases, p=weights / weights.sum())
    day = rng.integers(0, n_days, n_cases)
    # outbreak: extra cases in a 2 km disc during the last 4 days
    centre = xy[rng.integers(n_locations)]
    near = np.flatnonzero(((xy - centre) ** 2).sum(1) <= 4.0)
    extra = max(10, n_cases // 1000)
    loc = np.concatenate([loc, rng.choice(near, extra)])
    day = np.concatenate([day, rng.integers(n_days - 4, n_days, extra)])
    start = dt.date(2025, 1, 1)
    end = start + dt.timedelta(days=n_days - 1)
    geo = folder / "synth.geo"
    cas = folder / "synth.cas"
    geo.write_text("".join(f"{ids[i]} {lat[i]:.6f} {lon[i]:.6f}\n" for i in range(n_locations)))
    key = loc * n_days + day
    uk, cnt = np.unique(key, return_counts=True)
    dates = [start + dt.timedelta(days=int(d)) for d in range(n_days)]
    cas.write_text(
        "".join(
            f"{ids[k // n_days]} {c} {dates[k % n_days]:%Y/%m/%d}\n"
            for k, c in zip(uk.tolist(), cnt.tolist(), strict=True)
        )
    )
    prm = folder / "synth.prm"
    prm.write_text(
        PRM.format(
            cas=cas.name,
            geo=geo.name,
            start=f"{start:%Y/%m/%d}",
            end=f"{end:%Y/%m/%d}",
            radius_km=radius_km,
            max_days=max_days,
        )
    )
    return prm


def brute_force_best(prm_path: Path) -> tuple[set[str], str, int, float, float]:
    """Most likely cluster by the definition: loops over every cylinder in plain Python."""
    from pingan.analytics.satscan import SATSCAN_EARTH_RADIUS_KM
    from pingan.analytics.satscan_files import read_cas, read_geo, read_prm

    prm = read_prm(prm_path)
    ids, xyz = read_geo(prm.coordinates_file)
    loc, day = read_cas(
        prm.case_file, location_ids=ids, start_date=prm.start_date, end_date=prm.end_date
    )
    n_days, big_c = prm.n_days, float(loc.size)
    cz = np.bincount(loc, minlength=len(ids)).astype(float)
    cd = np.bincount(day, minlength=n_days).astype(float)
    assert SATSCAN_EARTH_RADIUS_KM == 6367.0
    best: tuple[float, set[str], str, int, float] = (0.0, set(), "", 0, 0.0)
    for i in range(len(ids)):
        d = np.sqrt(((xyz - xyz[i]) ** 2).sum(1))
        order = np.lexsort((xyz[:, 2], xyz[:, 1], xyz[:, 0], d))
        members: list[int] = []
        for z in order:
            if d[z] > prm.max_distance_km:
                break
            if cz[[*members, z]].sum() > 0.5 * big_c:
                break
            members.append(int(z))
            for w in range(1, prm.max_window_days + 1):
                days = set(range(n_days - w, n_days))
                c = float(
                    sum(1 for a, b in zip(loc, day, strict=True) if a in members and b in days)
                )
                mu = sum(cz[a] * cd[b] for a in members for b in days) / big_c
                if c >= 2 and c > mu:
                    llr = c * math.log(c / mu)
                    if c < big_c:
                        llr += (big_c - c) * math.log((big_c - c) / (big_c - mu))
                    if llr > best[0] + 1e-12:
                        best = (llr, {ids[m] for m in members}, ids[i], int(c), mu)
    start = prm.end_date - dt.timedelta(days=0)
    del start
    return best[1], best[2], best[3], best[4], best[0]


def run_cli(prm: Path, out: Path, reps: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pingan")),
            "analyze",
            "scan",
            "--satscan",
            str(prm),
            "--replications",
            str(reps),
            "--json",
            str(out),
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args()
    sizes = [(20_000, 500)] if ns.quick else [(20_000, 500), (100_000, 2_000)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # exactness: brute force on a small instance and on NYCfever
        small_dir = folder / "small"
        small_dir.mkdir()
        small = write_instance(small_dir, n_cases=300, n_locations=40, n_days=30, seed=3)
        checks = [("small synthetic", small)] + ([("NYCfever", NYC)] if NYC.is_file() else [])
        for name, prm in checks:
            run_cli(prm, folder / "chk.json", 0)  # also warms the numba cache
            got = json.loads((folder / "chk.json").read_text())["clusters"][0]
            locs, centre, obs, mu, llr = brute_force_best(prm)
            ok = (
                set(got["location_ids"]) == locs
                and got["observed"] == obs
                and abs(got["expected"] - mu) < 1e-9
                and abs(got["llr"] - llr) < 1e-9
            )
            print(
                f"{name:16s} brute force centre {centre} obs {obs} exp {mu:.4f} "
                f"llr {llr:.6f}  pingan llr {got['llr']:.6f}  agree={ok}"
            )
            if not ok:
                raise SystemExit(f"{name}: most likely cluster differs from brute force")
        print()
        print(f"{'instance':>28s} {'pingan s':>9s} {'SaTScan s':>10s} {'ratio':>7s}  MLC")
        for n_cases, n_loc in sizes:
            d = folder / f"s{n_cases}"
            d.mkdir()
            prm = write_instance(d, n_cases=n_cases, n_locations=n_loc)
            t = run_cli(prm, d / "out.json", 999)
            top = json.loads((d / "out.json").read_text())["clusters"][0]
            ref = SATSCAN_S[(n_cases, n_loc)]
            print(
                f"{n_cases:>7,d} cases x {n_loc:>5,d} loc x 365 d {t:9.2f} {ref:10.1f} "
                f"{ref / t:6.2f}x  {len(top['location_ids'])} loc, {top['start_date']}.."
                f"{top['end_date']}, obs {top['observed']}, llr {top['llr']:.2f}, "
                f"p {top['p_value']:.3f}"
            )


if __name__ == "__main__":
    main()
