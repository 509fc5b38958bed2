"""PatrolRoutes against an exact reference (Held-Karp over subsets) and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from pingan.coverage import PatrolRoutes, air_travel_s


def _tour_costs(t: np.ndarray, dwell: np.ndarray) -> np.ndarray:
    """Shortest depot→S→depot duration (travel + dwell) for every subset S of sites 1..n-1."""
    n = t.shape[0] - 1
    full = 1 << n
    dp = np.full((full, n), np.inf)
    for j in range(n):
        dp[1 << j, j] = t[0, j + 1] + dwell[j + 1]
    for s in range(full):
        for j in range(n):
            if not (s >> j) & 1 or not np.isfinite(dp[s, j]):
                continue
            for k in range(n):
                if (s >> k) & 1:
                    continue
                v = dp[s, j] + t[j + 1, k + 1] + dwell[k + 1]
                if v < dp[s | 1 << k, k]:
                    dp[s | 1 << k, k] = v
    cost = np.zeros(full)
    for s in range(1, full):
        cost[s] = min(dp[s, j] + t[j + 1, 0] for j in range(n) if (s >> j) & 1)
    return cost


def _best_prize(
    t: np.ndarray, prize: np.ndarray, dwell: np.ndarray, budget: float, k: int
) -> float:
    n = t.shape[0] - 1
    cost = _tour_costs(t, dwell)
    val = np.array([prize[1:][[j for j in range(n) if (s >> j) & 1]].sum() for s in range(1 << n)])
    ok = cost <= budget + 1e-9
    feas = np.flatnonzero(ok)
    if k == 1:
        return float(val[feas].max())
    best = 0.0
    for a in feas:
        for b in feas:
            if a & b == 0:
                best = max(best, float(val[a] + val[b]))
    return best


def _instance(seed: int, n: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 3000, (n, 2))
    t = air_travel_s(xy, speed_mps=1.4) * rng.uniform(1.0, 1.3, (n, n))  # asymmetric, road-like
    np.fill_diagonal(t, 0)
    prize = rng.uniform(0.5, 5.0, n)
    dwell = rng.choice([120.0, 300.0, 600.0], n)
    return t, prize, dwell


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n_routes", [1, 2])
def test_matches_exact_reference(seed: int, n_routes: int) -> None:
    t, prize, dwell = _instance(seed)
    budget = 4000.0
    m = PatrolRoutes.from_cost_matrix(t, prize, dwell, n_routes=n_routes, budget_s=budget)
    r = m.solve(time_limit_s=0.5).result_
    want = _best_prize(t, prize, dwell, budget, n_routes)
    assert r.prize == pytest.approx(want, rel=1e-9)
    assert len(r.routes) == n_routes
    seen = [s for route in r.routes for s in route]
    assert len(seen) == len(set(seen)) and 0 not in seen
    for route, dur, trav in zip(r.routes, r.duration_s, r.travel_s, strict=True):
        assert dur <= budget
        assert (dur, trav) == pytest.approx(m.route_duration_s(route))
    assert r.prize == pytest.approx(sum(prize[s] for s in seen))
    assert r.bound >= want - 1e-9
    assert 0 <= r.gap < 1


def test_every_route_within_budget_on_a_larger_instance() -> None:
    t, prize, dwell = _instance(7, n=80)
    m = PatrolRoutes.from_cost_matrix(t, prize, dwell, depot=5, n_routes=3, budget_s=3600)
    r = m.solve(time_limit_s=1.0).result_
    assert all(d <= 3600 for d in r.duration_s)
    assert all(5 not in route for route in r.routes)
    assert r.prize > 0 and r.prize <= r.bound
    assert "PyVRP" in r.explanation


def test_unreachable_and_worthless_sites_are_left_out() -> None:
    t, prize, dwell = _instance(3, n=6)
    t[0, 2] = t[2, 0] = np.inf
    prize[3] = 0.0
    r = PatrolRoutes.from_cost_matrix(t, prize, dwell, n_routes=1, budget_s=1e6).solve(0.3).result_
    seen = {s for route in r.routes for s in route}
    assert 3 not in seen
    assert seen == {1, 4, 5} or 2 in seen  # 2 only via another site
    assert r.n_candidates == 3


def test_nothing_fits() -> None:
    t, prize, dwell = _instance(3, n=5)
    r = PatrolRoutes.from_cost_matrix(t, prize, dwell, n_routes=2, budget_s=10).solve(1).result_
    assert r.status == "empty" and r.routes == [[], []] and r.prize == 0


def test_drone_air_times() -> None:
    xy = np.array([[0.0, 0.0], [300.0, 400.0]])
    np.testing.assert_allclose(air_travel_s(xy, speed_mps=10), [[0, 50], [50, 0]])
    with pytest.raises(ValueError, match=r"xy_m: expected an \(n, 2\) array"):
        air_travel_s(np.zeros(3), speed_mps=1)
    with pytest.raises(ValueError, match="speed_mps: expected a positive speed"):
        air_travel_s(xy, speed_mps=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"travel_s": np.zeros((2, 3))}, r"travel_s: expected a square \(n, n\) matrix"),
        ({"travel_s": -np.ones((3, 3))}, "travel_s: travel times must be >= 0"),
        ({"travel_s": np.full((3, 3), np.nan)}, "travel_s: NaN travel time"),
        ({"prize": [1, 2]}, "prize: expected 3 values"),
        ({"prize": [1, -2, 0]}, "prize: values must be >= 0"),
        ({"dwell_s": [0, 1, np.inf]}, "dwell_s: values must be finite"),
        ({"dwell_s": [0, -1, 0]}, "dwell_s: values must be >= 0"),
        ({"depot": 3}, r"depot: expected an index in \[0, 2\]"),
        ({"n_routes": 0}, "n_routes: expected a positive integer"),
        ({"budget_s": 0}, "budget_s: expected a positive number of seconds"),
        ({"budget_s": float("inf")}, "budget_s: expected a positive number of seconds"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "travel_s": np.ones((3, 3)),
        "prize": [0, 1, 1],
        "dwell_s": [0, 60, 60],
        "depot": 0,
        "n_routes": 1,
        "budget_s": 600.0,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PatrolRoutes.from_cost_matrix(
            args.pop("travel_s"),
            args.pop("prize"),
            args.pop("dwell_s"),
            **args,  # type: ignore[arg-type]
        )


def test_result_before_solve_and_bad_limit() -> None:
    m = PatrolRoutes.from_cost_matrix(np.ones((2, 2)), [0, 1], [0, 1], n_routes=1, budget_s=9)
    with pytest.raises(AttributeError, match="call solve"):
        _ = m.result_
    with pytest.raises(ValueError, match="time_limit_s: expected a positive number"):
        m.solve(time_limit_s=0)


def test_memoised_travel_times_equal_a_fresh_computation() -> None:
    """The kernel keeps an area's subgraph and Dijkstra rows per network: a second call over
    overlapping nodes (the next block of the same station) reuses rows and must give exactly
    what a cold computation gives, and a different area must not be served from the memo."""
    from pingan.coverage import node_xy_m, road_travel_matrix, snap_to_mode
    from pingan.coverage.patrol_routes import clear_memo
    from tests.coverage.test_fields import city_like

    net = city_like(40, seed=11)
    xy = node_xy_m(net)
    x, y = net.projection.forward(net.node_lon, net.node_lat)
    np.testing.assert_allclose(xy, np.column_stack([x, y]))
    rng = np.random.default_rng(4)
    lon = rng.uniform(net.node_lon.min(), net.node_lon.max(), 30)
    lat = rng.uniform(net.node_lat.min(), net.node_lat.max(), 30)
    node, walk = snap_to_mode(net, lon, lat, mode="car")
    area = np.ones(net.n_nodes, dtype=bool)
    area[np.argsort(xy[:, 0])[: net.n_nodes // 10]] = False  # the west tenth is outside
    area[node] = True
    first = road_travel_matrix(net, node[:20], mode="car", within=area)
    warm = road_travel_matrix(net, node[10:], mode="car", access_s=walk[10:], within=area)
    clear_memo()
    cold = road_travel_matrix(net, node[10:], mode="car", access_s=walk[10:], within=area)
    np.testing.assert_array_equal(warm, cold)
    clear_memo()
    np.testing.assert_array_equal(
        first[10:, 10:], road_travel_matrix(net, node[10:20], mode="car", within=area)
    )
    whole = road_travel_matrix(net, node[10:], mode="car", access_s=walk[10:])
    assert np.all(whole <= warm + 1e-9)  # the smaller area never makes a trip shorter
    other = area.copy()
    other[~area] = True
    np.testing.assert_allclose(
        road_travel_matrix(net, node[10:], mode="car", access_s=walk[10:], within=other), whole
    )
    node2, walk2 = snap_to_mode(net, lon, lat, mode="car")  # memoised components and tree
    np.testing.assert_array_equal(node2, node)
    np.testing.assert_array_equal(walk2, walk)


def test_no_improvement_stops_early_within_budget() -> None:
    t, prize, dwell = _instance(7, n=30)
    budget = float(np.median(t) * 6)
    model = PatrolRoutes.from_cost_matrix(t, prize, dwell, n_routes=3, budget_s=budget)
    full = model.solve(time_limit_s=30, max_iterations=400).result_
    early = model.solve(time_limit_s=30, max_iterations=400, no_improvement=20).result_
    assert early.iterations < full.iterations
    assert all(d <= budget + 1e-6 for d in early.duration_s)
    assert early.prize <= early.bound + 1e-9
    with pytest.raises(ValueError, match="no_improvement: expected a positive integer, got 0"):
        model.solve(time_limit_s=1, no_improvement=0)
