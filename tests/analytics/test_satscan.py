"""Space-time permutation scan: NYCfever (SaTScan's sample) and a brute-force reference."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from pingan.analytics.satscan import SatscanError, SpaceTimeData, space_time_permutation_scan
from pingan.analytics.satscan_files import main, read_prm, run_satscan_prm

SATSCAN = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "satscan"
NYC_PRM = SATSCAN / "NYCSpaceTimePermutation.prm"
needs_nyc = pytest.mark.skipif(
    not NYC_PRM.is_file(), reason="../shared/data/satscan (SaTScan sample data) is absent"
)


@needs_nyc
def test_read_prm_nyc() -> None:
    prm = read_prm(NYC_PRM)
    assert prm.case_file.name == "NYCfever.cas"
    assert prm.start_date == dt.date(2001, 11, 1)
    assert prm.end_date == dt.date(2001, 11, 24)
    assert prm.n_days == 24
    assert (prm.model_type, prm.analysis_type, prm.scan_areas) == (2, 4, 1)
    assert prm.use_max_distance and prm.max_distance_km == 3.0
    assert prm.max_window_days == 7
    assert prm.max_spatial_pct_population == 50.0
    assert prm.replications == 999 and prm.pvalue_report_type == 0


@needs_nyc
def test_nycfever_most_likely_cluster_as_satscan() -> None:
    res = run_satscan_prm(NYC_PRM, replications=999, seed=1)
    top = res["clusters"][0]
    assert set(top) == {
        "center",
        "location_ids",
        "radius_km",
        "start_date",
        "end_date",
        "observed",
        "expected",
        "llr",
        "p_value",
        "recurrence_interval_days",
    }
    assert top["center"] == "11418"
    assert top["location_ids"] == [
        "11418",
        "11415",
        "11419",
        "11435",
        "11416",
        "11421",
        "11451",
        "11375",
        "11417",
    ]
    assert (top["start_date"], top["end_date"]) == ("2001-11-22", "2001-11-24")
    assert top["observed"] == 4
    assert top["expected"] == pytest.approx(0.6701030927835051, abs=1e-9)
    assert top["llr"] == pytest.approx(3.845418, abs=1e-3)
    assert top["llr"] == pytest.approx(3.8454183710604624, abs=1e-9)
    assert 0 < top["radius_km"] <= 3.0
    # not significant: the p-value is of order 0.2 (SaTScan's depends on its random stream)
    assert 0.05 < top["p_value"] < 0.6
    assert top["recurrence_interval_days"] == pytest.approx(1 / top["p_value"])
    # secondary clusters never share a location with a more likely one
    seen: set[str] = set()
    llrs = []
    for c in res["clusters"]:
        assert not seen & set(c["location_ids"])
        seen |= set(c["location_ids"])
        llrs.append(c["llr"])
    assert llrs == sorted(llrs, reverse=True)


def _random_data(seed: int, n_loc: int = 25, n_days: int = 20, n: int = 200) -> SpaceTimeData:
    rng = np.random.default_rng(seed)
    xyz = np.column_stack([rng.uniform(0, 10, n_loc), rng.uniform(0, 10, n_loc)])
    loc = rng.integers(0, n_loc, n)
    day = rng.integers(0, n_days, n)
    # a small outbreak so that clusters exist
    loc = np.concatenate([loc, np.full(8, 3)])
    day = np.concatenate([day, np.full(8, n_days - 1)])
    return SpaceTimeData(
        [f"z{i}" for i in range(n_loc)],
        xyz,
        loc,
        day,
        dt.date(2024, 1, 1),
        n_days,
        geographic=False,
    )


def _brute_force(data: SpaceTimeData, *, radius: float, max_w: int) -> list[tuple]:
    """Per-centre best cylinder from the definition, then the no-overlap report."""
    n_loc, n_days = len(data.location_ids), data.n_days
    loc, day = data.case_location, data.case_day
    big_c = float(loc.size)
    cz = np.bincount(loc, minlength=n_loc).astype(float)
    cd = np.bincount(day, minlength=n_days).astype(float)
    best = []
    for i in range(n_loc):
        d = np.sqrt(((data.xyz_km - data.xyz_km[i]) ** 2).sum(1))
        order = np.lexsort((data.xyz_km[:, 1], data.xyz_km[:, 0], d))
        members: list[int] = []
        top = (0.0, (), 0, 0, 0.0)
        for z in order:
            if d[z] > radius or cz[[*members, int(z)]].sum() > 0.5 * big_c:
                break
            members.append(int(z))
            for w in range(1, max_w + 1):
                days = list(range(n_days - w, n_days))
                c = float(np.isin(loc, members).__and__(np.isin(day, days)).sum())
                mu = sum(cz[a] * cd[b] for a in members for b in days) / big_c
                if c >= 2 and c > mu:
                    llr = c * math.log(c / mu) + (big_c - c) * math.log((big_c - c) / (big_c - mu))
                    if llr > top[0]:
                        top = (llr, tuple(members), w, int(c), mu)
        best.append(top)
    order_i = sorted(range(n_loc), key=lambda k: (-best[k][0], k))
    used: set[int] = set()
    out = []
    for i in order_i:
        llr, members, w, c, mu = best[i]
        if llr <= 0:
            break
        if used & set(members):
            continue
        used |= set(members)
        out.append((data.location_ids[i], [data.location_ids[m] for m in members], w, c, mu, llr))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scan_matches_brute_force_every_reported_cluster(seed: int) -> None:
    data = _random_data(seed)
    res = space_time_permutation_scan(data, max_distance_km=4.0, max_window_days=5, replications=0)
    ref = _brute_force(data, radius=4.0, max_w=5)
    assert len(res["clusters"]) == len(ref)
    for got, (centre, members, w, c, mu, llr) in zip(res["clusters"], ref, strict=True):
        assert got["center"] == centre
        assert got["location_ids"] == members
        assert got["start_date"] == (dt.date(2024, 1, 20) - dt.timedelta(days=w - 1)).isoformat()
        assert got["observed"] == c
        assert_allclose(got["expected"], mu, rtol=1e-12)
        assert_allclose(got["llr"], llr, rtol=1e-12)
        assert got["p_value"] is None


def test_pvalues_reproducible_and_thread_independent() -> None:
    data = _random_data(5)
    kw = dict(max_distance_km=4.0, max_window_days=5, replications=99, seed=7)
    a = space_time_permutation_scan(data, n_threads=1, **kw)  # type: ignore[arg-type]
    b = space_time_permutation_scan(data, n_threads=2, **kw)  # type: ignore[arg-type]
    assert a == b
    p = a["clusters"][0]["p_value"]
    assert p is not None and 1 / 100 <= p <= 1


def test_planted_outbreak_is_significant() -> None:
    rng = np.random.default_rng(11)
    n_loc, n_days = 30, 60
    xyz = rng.uniform(0, 20, size=(n_loc, 2))
    loc = rng.integers(0, n_loc, 1500)
    day = rng.integers(0, n_days, 1500)
    loc = np.concatenate([loc, np.full(25, 4)])
    day = np.concatenate([day, np.full(25, n_days - 2)])
    data = SpaceTimeData(
        [str(i) for i in range(n_loc)], xyz, loc, day, dt.date(2024, 3, 1), n_days, geographic=False
    )
    res = space_time_permutation_scan(
        data, max_distance_km=3.0, max_window_days=7, replications=199, seed=3
    )
    top = res["clusters"][0]
    assert "4" in top["location_ids"]
    assert top["p_value"] == pytest.approx(1 / 200)
    assert top["recurrence_interval_days"] == pytest.approx(200)


def test_scan_bad_input() -> None:
    data = _random_data(0)
    with pytest.raises(SatscanError, match="MaxTemporalSize: 30 days is longer than the study"):
        space_time_permutation_scan(data, max_distance_km=3.0, max_window_days=30)
    with pytest.raises(SatscanError, match="replications: must be 0 or >= 9, got 5"):
        space_time_permutation_scan(data, max_distance_km=3.0, replications=5)
    one = SpaceTimeData(
        ["a"],
        np.zeros((1, 2)),
        np.array([0]),
        np.array([0]),
        dt.date(2024, 1, 1),
        10,
        geographic=False,
    )
    with pytest.raises(SatscanError, match="1 case\\(s\\) is fewer than the 2 a cluster needs"):
        space_time_permutation_scan(one, max_distance_km=3.0)
    empty = SpaceTimeData(
        ["a"],
        np.zeros((1, 2)),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        dt.date(2024, 1, 1),
        10,
        geographic=False,
    )
    with pytest.raises(SatscanError, match="CaseFile: no cases in the study period"):
        space_time_permutation_scan(empty, max_distance_km=3.0)
    with pytest.raises(SatscanError, match="MaxSpatialSizeInDistanceFromCenter: must be > 0"):
        space_time_permutation_scan(data, max_distance_km=0.0)


def _write(tmp: Path, prm_extra: str = "", cas: str = "a 3 2024/01/05\nb 2 2024/01/10\n") -> Path:
    (tmp / "x.geo").write_text("a 25.0 102.0\nb 25.01 102.0\n")
    (tmp / "x.cas").write_text(cas)
    prm = tmp / "x.prm"
    prm.write_text(
        "[Input]\nCaseFile=x.cas\nCoordinatesFile=x.geo\nStartDate=2024/01/01\n"
        "EndDate=2024/01/10\nCoordinatesType=1\n[Analysis]\nAnalysisType=4\nModelType=2\n"
        "ScanAreas=1\n[Temporal Window]\nMaxTemporalSizeInterpretation=1\nMaxTemporalSize=3\n"
        "[Spatial Window]\nUseDistanceFromCenterOption=y\nMaxSpatialSizeInDistanceFromCenter=5\n"
        "[Inference]\nPValueReportType=1\nMonteCarloReps=99\n" + prm_extra
    )
    return prm


def test_prm_errors(tmp_path: Path) -> None:
    with pytest.raises(SatscanError, match=r"path: parameter file .* does not exist"):
        read_prm(tmp_path / "none.prm")
    prm = _write(tmp_path, "ModelType=0\n")
    with pytest.raises(SatscanError, match="ModelType: '0' is not supported"):
        run_satscan_prm(prm)
    prm = _write(tmp_path, cas="q 1 2024/01/05\n")
    with pytest.raises(SatscanError, match="location 'q' is not in the coordinates file"):
        run_satscan_prm(prm)
    prm = _write(tmp_path, cas="a 1 2023/12/05\n")
    with pytest.raises(SatscanError, match="outside the study period"):
        run_satscan_prm(prm)
    prm = _write(tmp_path, "MaxTemporalSize=30\n")
    with pytest.raises(SatscanError, match="MaxTemporalSize: 30 days is longer"):
        run_satscan_prm(prm)


def test_main_writes_json(tmp_path: Path) -> None:
    prm = _write(tmp_path, cas="a 3 2024/01/09\na 2 2024/01/10\nb 1 2024/01/02\nb 4 2024/01/03\n")
    out = tmp_path / "out.json"
    assert main([str(prm), "--replications", "19", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["clusters"][0]["location_ids"] == ["a"]
    assert res["clusters"][0]["end_date"] == "2024-01-10"
    assert main([str(tmp_path / "missing.prm")]) == 2


def test_early_termination_like_satscan_default_pvalues() -> None:
    rng = np.random.default_rng(8)
    xyz = rng.uniform(0, 10, size=(25, 2))
    data = SpaceTimeData(
        [str(i) for i in range(25)],
        xyz,
        rng.integers(0, 25, 300),
        rng.integers(0, 20, 300),
        dt.date(2024, 1, 1),
        20,
        geographic=False,
    )
    res = space_time_permutation_scan(
        data, max_distance_km=4.0, max_window_days=5, replications=999, early_termination=10
    )
    p = res["clusters"][0]["p_value"]
    n_done = 10 / p
    assert n_done == pytest.approx(round(n_done)) and 10 <= round(n_done) < 999


def test_pruned_replication_kernel_equals_full_scan() -> None:
    from pingan.analytics import _scan_kernels as k
    from pingan.analytics.satscan import _circles

    rng = np.random.default_rng(12)
    n_loc, w_max = 40, 6
    xyz = rng.uniform(0, 10, size=(n_loc, 2))
    for _ in range(5):
        tail = np.cumsum(rng.poisson(0.4, size=(n_loc, w_max)).astype(float), axis=1)
        loc_total = tail[:, -1] + rng.poisson(5.0, n_loc)
        total = float(loc_total.sum())
        wsum = np.cumsum(rng.uniform(0.5, 1.5, w_max))
        wsum *= tail[:, -1].sum() / wsum[-1]
        ptr, idx, popcum, _ = _circles(xyz, loc_total, max_distance=3.0, max_pop=0.5 * total)
        best, _, _ = k.scan_centres(tail, ptr, idx, popcum, wsum, 1, 2.0, total)
        got = k.scan_max(tail, ptr, idx, popcum, wsum, 1, 2.0, total, np.zeros(w_max))
        assert got == pytest.approx(best.max(), rel=1e-14)
