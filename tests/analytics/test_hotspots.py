"""Gi* against esda, FDR against scipy, KDE against scikit-learn, repeats and Knox."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse, stats

from pingan.analytics import (
    fdr_bh,
    getis_ord_gi_star,
    gi_star_irregular,
    gi_star_pvalues,
    kde_exact,
    kde_grid,
    knox_test,
    near_repeat_table,
    repeat_addresses,
    spatial_weights,
)


def _esda_z(y: np.ndarray, w_sparse: sparse.spmatrix) -> np.ndarray:
    from esda.getisord import G_Local
    from libpysal.weights import WSP

    w = WSP(sparse.csr_matrix(w_sparse)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(y, w, star=True, transform="B", permutations=0)
    return np.asarray(g.Zs)


def _grid_weights(ny: int, nx: int, r: int, kind: str) -> sparse.csr_matrix:
    ii, jj = np.divmod(np.arange(ny * nx), nx)
    di = np.abs(ii[:, None] - ii[None, :])
    dj = np.abs(jj[:, None] - jj[None, :])
    if kind == "queen":
        m = (di <= r) & (dj <= r)
    elif kind == "rook":
        m = di + dj <= r
    else:
        m = di * di + dj * dj <= r * r
    np.fill_diagonal(m, False)
    return sparse.csr_matrix(m.astype(float))


@pytest.mark.parametrize("kind", ["queen", "rook", "disc"])
@pytest.mark.parametrize("r", [1, 2])
def test_gi_star_grid_matches_esda(kind: str, r: int) -> None:
    rng = np.random.default_rng(r)
    y = rng.poisson(2.0, size=(9, 13)).astype(float)
    y[3:5, 6:8] += 6
    z = getis_ord_gi_star(y, radius_cells=r, kernel=kind)  # type: ignore[arg-type]
    ref = _esda_z(y.ravel(), _grid_weights(9, 13, r, kind))
    assert z.shape == y.shape
    assert_allclose(z.ravel(), ref, atol=1e-8, rtol=0)


def test_gi_star_float_values_match_esda() -> None:
    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, 1.5, size=(12, 10))
    z = getis_ord_gi_star(y)
    assert_allclose(z.ravel(), _esda_z(y.ravel(), _grid_weights(12, 10, 1, "queen")), atol=1e-8)


def test_gi_star_irregular_distance_band_and_knn_match_esda() -> None:
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 5000, size=(80, 2))
    y = rng.poisson(3.0, 80).astype(float)
    for w in (spatial_weights(xy, distance_band=900.0), spatial_weights(xy, k=5)):
        off = w.tolil()
        off.setdiag(0)
        ref = _esda_z(y, sparse.csr_matrix(off))
        assert_allclose(gi_star_irregular(y, w), ref, atol=1e-8)


def test_knn_weights_match_libpysal() -> None:
    from libpysal.weights import KNN

    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 1000, size=(40, 2))
    ours = spatial_weights(xy, k=4).toarray()
    np.fill_diagonal(ours, 0)
    ref = KNN.from_array(xy, k=4).sparse.toarray()
    assert_allclose(ours, ref)


def test_gi_star_errors() -> None:
    with pytest.raises(ValueError, match="counts: must be a 2-D array"):
        getis_ord_gi_star(np.ones(5))
    with pytest.raises(ValueError, match="counts: the grid is empty"):
        getis_ord_gi_star(np.ones((0, 3)))
    with pytest.raises(ValueError, match="counts: all values are zero"):
        getis_ord_gi_star(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="zero variance"):
        getis_ord_gi_star(np.ones((4, 4)))
    with pytest.raises(ValueError, match="radius_cells: must be an integer >= 1"):
        getis_ord_gi_star(np.eye(4), radius_cells=0)
    with pytest.raises(ValueError, match="kernel: must be"):
        getis_ord_gi_star(np.eye(4), kernel="hex")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distance_band, k: give exactly one"):
        spatial_weights(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="k: must be in"):
        spatial_weights(np.random.default_rng(0).random((3, 2)), k=3)


def test_fdr_matches_scipy_and_keeps_shape() -> None:
    rng = np.random.default_rng(6)
    z = rng.normal(size=(20, 30))
    z[:3, :3] = 6.0
    p = gi_star_pvalues(z)
    assert_allclose(p, 2 * stats.norm.sf(np.abs(z)))
    sig, adj = fdr_bh(p, alpha=0.05)
    assert sig.shape == adj.shape == z.shape
    assert_allclose(adj.ravel(), stats.false_discovery_control(p.ravel(), method="bh"))
    assert np.array_equal(sig, adj <= 0.05)
    assert sig[:3, :3].all()
    with pytest.raises(ValueError, match="alpha: must be in"):
        fdr_bh(p, alpha=0)
    with pytest.raises(ValueError, match="p_values: must lie in"):
        fdr_bh([0.5, 1.5])


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(2500, 250, n // 2), rng.uniform(0, 6000, n - n // 2)])
    y = np.concatenate([rng.normal(2000, 400, n // 2), rng.uniform(0, 4000, n - n // 2)])
    keep = (x > 0) & (x < 6000) & (y > 0) & (y < 4000)
    return x[keep], y[keep]


@pytest.mark.parametrize(("bw", "cell"), [(250.0, 100.0), (400.0, 100.0), (150.0, 200.0)])
def test_kde_grid_within_one_percent_of_sklearn(bw: float, cell: float) -> None:
    from sklearn.neighbors import KernelDensity

    x, y = _points(3000, 7)
    bounds = (0.0, 0.0, 6000.0, 4000.0)
    ours = kde_grid(x, y, bandwidth_m=bw, cell_m=cell, bounds=bounds, edge_correction=False)
    ny, nx = ours.shape
    assert (ny, nx) == (int(4000 / cell), int(6000 / cell))
    gx, gy = np.meshgrid((np.arange(nx) + 0.5) * cell, (np.arange(ny) + 0.5) * cell)
    kd = KernelDensity(kernel="gaussian", bandwidth=bw).fit(np.column_stack([x, y]))
    ref = np.exp(kd.score_samples(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(ny, nx)
    ref *= x.size
    mask = ref > 0.01 * ref.max()
    assert float((np.abs(ours - ref) / ref)[mask].max()) < 0.01
    exact = kde_exact(x, y, bandwidth_m=bw, cell_m=cell, bounds=bounds, edge_correction=False)
    assert_allclose(exact, ref, rtol=1e-9, atol=1e-12 * ref.max())


def test_kde_edge_correction_flattens_uniform_points() -> None:
    rng = np.random.default_rng(8)
    x, y = rng.uniform(0, 5000, 40000), rng.uniform(0, 5000, 40000)
    b = (0.0, 0.0, 5000.0, 5000.0)
    raw = kde_grid(x, y, bandwidth_m=300, cell_m=100, bounds=b, edge_correction=False)
    cor = kde_grid(x, y, bandwidth_m=300, cell_m=100, bounds=b)
    true = 40000 / 5000**2
    assert raw[0, 0] < 0.4 * true  # the corner loses about 3/4 of its kernel mass
    assert abs(cor[0, 0] / true - 1) < 0.15
    assert abs(cor.mean() / true - 1) < 0.02
    ex = kde_exact(x[:2000], y[:2000], bandwidth_m=300, cell_m=100, bounds=b)
    gr = kde_grid(x[:2000], y[:2000], bandwidth_m=300, cell_m=100, bounds=b)
    assert float(np.abs(gr / ex - 1).max()) < 0.01


def test_kde_errors() -> None:
    b = (0.0, 0.0, 1000.0, 1000.0)
    with pytest.raises(ValueError, match="bandwidth_m: must be > 0, got 0"):
        kde_grid([1.0], [1.0], bandwidth_m=0, cell_m=10, bounds=b)
    with pytest.raises(ValueError, match="cell_m: must be > 0, got -5"):
        kde_grid([1.0], [1.0], bandwidth_m=10, cell_m=-5, bounds=b)
    with pytest.raises(ValueError, match=r"cell_m: 0\.01 m gives a 100000 x 100000 grid"):
        kde_grid([1.0], [1.0], bandwidth_m=10, cell_m=0.01, bounds=b)
    with pytest.raises(
        ValueError, match=r"bandwidth_m: 0\.001 m with cell_m 1 m needs an internal"
    ):
        kde_grid([1.0], [1.0], bandwidth_m=0.001, cell_m=1, bounds=b)
    with pytest.raises(ValueError, match="no points inside bounds"):
        kde_grid([], [], bandwidth_m=10, cell_m=10, bounds=b)
    with pytest.raises(ValueError, match="bounds: need xmin < xmax"):
        kde_grid([1.0], [1.0], bandwidth_m=10, cell_m=10, bounds=(5.0, 0.0, 1.0, 1.0))


def test_repeat_addresses() -> None:
    ids = ["a", "b", "a", "c", "a", "b", "d"]
    addr, cnt, summ = repeat_addresses(ids)
    assert addr.tolist() == ["a", "b"]
    assert cnt.tolist() == [3, 2]
    assert summ["share_repeat"] == pytest.approx(5 / 7)
    with pytest.raises(ValueError, match="address_ids: empty selection"):
        repeat_addresses([])


def test_knox_detects_near_repeats_and_not_random() -> None:
    rng = np.random.default_rng(9)
    n = 300
    x, y, t = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    res0 = knox_test(x, y, t, distance_m=200, time_days=7, permutations=199, seed=1)
    assert res0["p_value"] > 0.05
    # add near repeats: copies 50 m and 2 days away
    k = 60
    x2 = np.concatenate([x, x[:k] + 50])
    y2 = np.concatenate([y, y[:k]])
    t2 = np.concatenate([t, t[:k] + 2])
    res = knox_test(x2, y2, t2, distance_m=200, time_days=7, permutations=199, seed=1)
    assert res["observed"] >= k
    assert res["p_value"] == pytest.approx(1 / 200)
    assert res["ratio"] > 3
    ratio, p = near_repeat_table(
        x2, y2, t2, distance_bands_m=[100, 400], time_bands_days=[7, 14], permutations=99, seed=1
    )
    assert ratio.shape == p.shape == (2, 2)
    assert p[0, 0] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="permutations: must be >= 19"):
        knox_test(x, y, t, distance_m=200, time_days=7, permutations=5)
    with pytest.raises(ValueError, match="x_m: the Knox test needs at least 3 events"):
        knox_test([1.0], [1.0], [1.0], distance_m=200, time_days=7)
