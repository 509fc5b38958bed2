"""The scorecard kernel against hand-computed numbers and numpy references."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pingan.evaluation.scoring import grouped_quantile, grouped_sum, rank_desc, score

NAN = np.nan


def test_score_by_hand() -> None:
    # entity 0: a = 0.9/0.9 = 1, 1.0/1.2 = 0.8333; k = 100*3*1/4 = 75, 100*1*0.8333/4 = 20.833
    # entity 1: first indicator missing (weight spread), a = 1/0.5 = 2 capped at 1.2 -> 120
    r = score(
        [[0.9, 1.2], [NAN, 0.5]],
        targets=[0.9, 1.0],
        weights=[3, 1],
        higher_is_better=[True, False],
        cap=1.2,
    )
    assert_allclose(r.achievement, [[1.0, 1 / 1.2], [NAN, 1.2]])
    assert_allclose(r.contribution, [[75.0, 100 / 1.2 / 4], [0.0, 120.0]])
    assert_allclose(r.score, [75.0 + 100 / 1.2 / 4, 120.0])
    assert_allclose(r.coverage, [1.0, 0.25])
    assert_array_equal(rank_desc(r.score), [2, 1])


def test_lower_is_better_zero_value_reaches_the_cap_and_no_data_is_nan() -> None:
    r = score([[0.0], [NAN]], targets=[5], weights=[1], higher_is_better=[False], cap=1.5)
    assert r.score[0] == pytest.approx(150.0)
    assert np.isnan(r.score[1]) and r.coverage[1] == 0


def test_zero_weight_indicator_counts_for_nothing() -> None:
    r = score([[0.5, 1.0]], targets=[1, 1], weights=[0, 2], higher_is_better=[True, True])
    assert r.score[0] == pytest.approx(100.0)
    assert r.contribution[0, 0] == 0


def test_vectorised_matches_a_loop() -> None:
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 2, (200, 6))
    v[rng.uniform(size=v.shape) < 0.2] = NAN
    t, w = rng.uniform(0.5, 1.5, 6), rng.uniform(0, 3, 6)
    hi = rng.uniform(size=6) < 0.5
    r = score(v, targets=t, weights=w, higher_is_better=hi, cap=1.2)
    for e in range(200):
        num = den = 0.0
        for i in range(6):
            if np.isnan(v[e, i]):
                continue
            a = v[e, i] / t[i] if hi[i] else (t[i] / v[e, i] if v[e, i] > 0 else 1.2)
            num += w[i] * min(a, 1.2)
            den += w[i]
        assert r.score[e] == pytest.approx(100 * num / den if den else NAN, nan_ok=True)


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"targets": [0, 1]}, "targets: every target must be a finite number > 0"),
        ({"weights": [0, 0]}, "weights: must sum to more than 0"),
        ({"weights": [-1, 2]}, "weights: every weight must be a finite number >= 0"),
        ({"targets": [1]}, r"targets: expected 2 values \(one per indicator\), got 1"),
        ({"cap": 0.0}, "cap: must be a finite number > 0"),
    ],
)
def test_bad_arguments_are_named(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "targets": [1, 1],
        "weights": [1, 1],
        "higher_is_better": [True, True],
    }
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        score([[1.0, 1.0]], **args)  # type: ignore[arg-type]


def test_ranks_share_ties_and_skip() -> None:
    assert_array_equal(rank_desc([90, 95, 95, NAN, 80]), [3, 1, 1, 0, 4])


def test_grouped_quantile_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    g = rng.integers(-1, 30, 5000)
    x = rng.exponential(300, 5000)
    for q in (0.5, 0.9):
        got = grouped_quantile(g, x, 32, q)
        for k in range(32):
            sel = x[g == k]
            want = np.quantile(sel, q) if sel.size else NAN
            assert got[k] == pytest.approx(want, nan_ok=True)
    assert_allclose(grouped_sum([0, 1, 1, -1], [1, 2, 3, 4], 3), [1, 5, 0])
    with pytest.raises(ValueError, match=r"q: must be in \[0, 1\]"):
        grouped_quantile([0], [1.0], 1, 1.5)
