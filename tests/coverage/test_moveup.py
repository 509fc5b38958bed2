"""Move-up kernel: every round's gain equals brute force over every (unit, site) pair."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from pingan.coverage import MoveUp
from pingan.coverage.siting import SitingInputError


def _covered(cols: list[np.ndarray], w: np.ndarray) -> float:
    if not cols:
        return 0.0
    return float(w[np.any(np.column_stack(cols), axis=1)].sum())


def _brute(
    a: np.ndarray, b: np.ndarray, w: np.ndarray, units: list[int], used: set[int], moved: set[int]
) -> tuple[float, set[tuple[int, int]]]:
    """Best gain of one more move from the configuration ``units`` (a list of columns of the
    stacked [a | b] matrix) and every pair reaching it."""
    full = np.column_stack([a, b])
    base = _covered([full[:, c] for c in units], w)
    best, pairs = -np.inf, set()
    for pos, _col in enumerate(units):
        if pos in moved:
            continue
        for k in range(b.shape[1]):
            if k in used:
                continue
            cfg = units.copy()
            cfg[pos] = a.shape[1] + k
            g = _covered([full[:, c] for c in cfg], w) - base
            if g > best + 1e-9:
                best, pairs = g, {(pos, k)}
            elif abs(g - best) <= 1e-9:
                pairs.add((pos, k))
    return best, pairs


@pytest.mark.parametrize("seed", range(8))
def test_each_move_has_the_best_gain_by_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, u, s = 60, 7, 9
    cu = rng.uniform(0, 400, (n, u))
    cs = rng.uniform(0, 400, (n, s))
    cu[rng.random((n, u)) < 0.5] = np.inf
    w = rng.integers(0, 6, n).astype(float)
    sparse_cs = sp.csr_matrix(np.where(np.isinf(cs), 0, cs + 1e-6))  # stored = finite costs
    m = MoveUp.from_cost_matrices(cu, sparse_cs, w, standard_s=180).solve(3, min_gain=-np.inf)
    a = cu <= 180
    b = cs <= 180
    units = list(range(u))
    used: set[int] = set()
    moved: set[int] = set()
    for mv in m.result_.moves:
        best, pairs = _brute(a, b, w, units, used, moved)
        assert mv.gain == pytest.approx(best)
        assert (mv.unit, mv.site) in pairs
        units[mv.unit] = u + mv.site
        used.add(mv.site)
        moved.add(mv.unit)
    assert m.result_.covered_after == pytest.approx(
        _covered([np.column_stack([a, b])[:, c] for c in units], w)
    )


def test_moves_stop_when_nothing_gains_and_prefer_the_short_move() -> None:
    # two demand points, one unit covering the first; two sites covering the second
    cu = np.array([[10.0], [np.inf], [np.inf]])
    cs = np.array([[np.inf, np.inf], [10.0, 10.0], [np.inf, np.inf]])
    w = np.array([1.0, 5.0, 1.0])
    m = MoveUp.from_cost_matrices(cu, cs, w, standard_s=60, move_cost_s=[[300.0, 120.0]])
    r = m.solve(3).result_
    assert [(x.unit, x.site) for x in r.moves] == [(0, 1)]  # the shorter of two equal moves
    assert r.moves[0].gain == 4.0 and r.covered_before == 1.0 and r.covered_after == 5.0
    far = MoveUp.from_cost_matrices(
        cu, cs, w, standard_s=60, move_cost_s=[[300.0, 120.0]], max_move_s=100
    ).solve(3)
    assert far.result_.moves == ()


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(SitingInputError, match="site_cost_s: needs one row per demand"):
        MoveUp.from_cost_matrices(np.zeros((3, 2)), np.zeros((2, 2)), None, standard_s=60)
    with pytest.raises(SitingInputError, match=r"move_cost_s: must be units × sites \(2 × 2\)"):
        MoveUp.from_cost_matrices(
            np.zeros((3, 2)), np.zeros((3, 2)), None, standard_s=60, move_cost_s=np.zeros(3)
        )
