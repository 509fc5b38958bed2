"""Patrol routes: a prize-collecting routing problem solved with PyVRP.

A patrol shift visits hot cells (the forecast's cells of the time block), dwells at each and comes
back to its station within a shift budget. With ``n_routes`` units leaving one depot the problem
is the team orienteering problem with service times (a prize-collecting vehicle routing problem):

.. math::

    \\max \\sum_i p_i y_i \\quad\\text{s.t.}\\quad
    \\sum_{(i,j) \\in r} t_{ij} + \\sum_{i \\in r} d_i \\le B \\quad \\forall r,
    \\qquad y_i = 1 \\iff i \\text{ is on some route } r

where ``t`` is the travel time (seconds, road network for foot and car; air distance over speed
for drones), ``d`` the dwell time, ``p`` the prize (expected incidents of the cell in the block)
and ``B`` the shift budget (a drone's battery endurance). Each site is visited at most once.

The search is PyVRP's iterated local search (Wouda, Lan & Kool 2024), which handles optional
clients with prizes and a hard shift duration. PyVRP works in integers: travel and dwell times
are rounded **up** to whole seconds and the budget **down**, so every route PyVRP accepts is
within the real budget; prizes are scaled so that the travel cost, which PyVRP minimises beside
the uncollected prize (it breaks ties toward shorter routes), weighs at most 0.1% of the total
prize. A route that the search leaves over budget (it never did in the tests) is repaired by
dropping the visit with the least prize per second saved until it fits.

``bound`` is a proven upper bound on the prize: the fractional knapsack over the sites that fit
a route alone, each costing its dwell plus the cheapest arc into it, against the capacity
``n_routes × budget``. It is loose when travel dominates; it says how far from optimal a result
cannot be, not how close it is.

Complexity: validation and the bound O(n²); the search is bounded by ``time_limit_s`` (each
iteration is a local search over granular neighbourhoods, roughly O(n·k) moves, k = 40).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from pingan.roads import RoadNetwork

__all__ = [
    "PatrolResult",
    "PatrolRoutes",
    "air_travel_s",
    "node_xy_m",
    "road_travel_matrix",
    "snap_to_mode",
]

F64 = NDArray[np.float64]
_COST_SHARE = 1e-3  # the travel cost's weight against the total prize
_BIG = 10**12  # an unreachable arc (inf travel time)


@dataclass(frozen=True)
class PatrolResult:
    """The answer of :class:`PatrolRoutes`.

    Attributes
    ----------
    routes : list of list of int
        Site indices (of the input matrix) in visiting order, depot excluded; one list per unit
        (empty when a unit has nothing worth visiting).
    prize : float
        Total prize collected (each site once).
    duration_s : list of float
        Per route: travel plus dwell, depot to depot, in the input's (unrounded) seconds.
    travel_s : list of float
        Per route: the travel part of ``duration_s``.
    bound : float
        A proven upper bound on the prize (see the module docstring).
    gap : float
        ``(bound - prize) / bound`` (0 when the bound is reached, i.e. proven optimal).
    status : str
        ``"feasible"`` (a search ran), ``"optimal"`` (the bound is reached) or ``"empty"``
        (no site fits a route within the budget).
    solve_time_s : float
        Wall time of ``solve()``.
    iterations : int
        Iterations of PyVRP's search.
    n_sites, n_candidates : int
        Sites in the input (depot excluded) and those with a positive prize that fit a route.
    explanation : str
        One paragraph saying how the numbers were computed.
    """

    routes: list[list[int]]
    prize: float
    duration_s: list[float]
    travel_s: list[float]
    bound: float
    gap: float
    status: str
    solve_time_s: float
    iterations: int
    n_sites: int
    n_candidates: int
    explanation: str = field(default="")


def air_travel_s(xy_m: ArrayLike, *, speed_mps: float) -> F64:
    """Straight-line flight times (s) between points in a metric projection (drones).

    ``xy_m`` is ``(n, 2)`` metres; the answer is the ``(n, n)`` matrix ``‖a-b‖ / speed_mps``.
    O(n²) time and memory.
    """
    xy = np.asarray(xy_m, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"xy_m: expected an (n, 2) array of metres, got shape {xy.shape}")
    if not np.all(np.isfinite(xy)):
        raise ValueError("xy_m: coordinates must be finite")
    if not (math.isfinite(speed_mps) and speed_mps > 0):
        raise ValueError(f"speed_mps: expected a positive speed, got {speed_mps}")
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    return d / float(speed_mps)


# --- per-network memo ------------------------------------------------------------------------
# A nightly run plans four blocks of every station on one network: the nodes' projected
# coordinates, the strongly connected part of a mode's graph, an area's subgraph and the Dijkstra
# rows from its nodes are the same each time. They are kept per network object (identity, a
# strong reference so the id is not reused) and per area; a network is immutable once built.
_MEMO_NETWORKS = 2
_MEMO_AREAS = 4
_memo_lock = threading.Lock()
_memo: dict[int, tuple[object, dict[Any, Any]]] = {}


def _net_memo(network: RoadNetwork) -> dict[Any, Any]:
    with _memo_lock:
        hit = _memo.get(id(network))
        if hit is None or hit[0] is not network:
            while len(_memo) >= _MEMO_NETWORKS:
                _memo.pop(next(iter(_memo)))
            hit = (network, {})
            _memo[id(network)] = hit
        return hit[1]


def clear_memo() -> None:
    """Forget the per-network memo (tests, or to free its memory)."""
    with _memo_lock:
        _memo.clear()


def node_xy_m(network: RoadNetwork) -> F64:
    """The ``(V, 2)`` node coordinates in ``network.projection`` metres, computed once per
    network (O(V) the first time, O(1) after)."""
    memo = _net_memo(network)
    xy = memo.get("xy")
    if xy is None:
        x, y = network.projection.forward(network.node_lon, network.node_lat)
        xy = memo["xy"] = np.column_stack([x, y])
    return np.asarray(xy, dtype=np.float64)


def _strong_part(network: RoadNetwork, mode: str) -> tuple[NDArray[np.int64], Any]:
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    memo = _net_memo(network)
    hit = memo.get(("strong", mode))
    if hit is None:
        _, label = connected_components(network.graph(mode), directed=True, connection="strong")
        keep = np.flatnonzero(label == np.bincount(label).argmax())
        hit = memo[("strong", mode)] = (keep, cKDTree(node_xy_m(network)[keep]))
    return hit  # type: ignore[no-any-return]


def snap_to_mode(
    network: RoadNetwork, lon: ArrayLike, lat: ArrayLike, *, mode: str = "car"
) -> tuple[NDArray[np.int64], F64]:
    """Snap points to the nearest node of the largest strongly connected part of the ``mode``
    graph (a car must be able to leave and come back), with the walk to it (s, at 5 km/h).

    O(V + E) for the components (scipy.sparse.csgraph) the first time per network and mode
    (then memoised), O(n log V) for the nearest nodes.
    """
    keep, tree = _strong_part(network, mode)
    px, py = network.projection.forward(
        np.atleast_1d(np.asarray(lon, dtype=np.float64)),
        np.atleast_1d(np.asarray(lat, dtype=np.float64)),
    )
    d, i = tree.query(np.column_stack([px, py]))
    return keep[np.asarray(i, dtype=np.int64)], np.asarray(d, dtype=np.float64) / (5.0 / 3.6)


def _area(network: RoadNetwork, mode: str, at: dt.time | None, keep: NDArray[np.bool_]) -> Any:
    """The memo of one area (mask) of a mode's graph: its node list, positions, subgraph and
    the Dijkstra rows computed so far (the last ``_MEMO_AREAS`` areas are kept)."""
    memo = _net_memo(network)
    areas: dict[Any, dict[str, Any]] = memo.setdefault("areas", {})
    key = (mode, at, hash(keep.tobytes()), int(keep.sum()))
    with _memo_lock:
        hit = areas.pop(key, None)
        if hit is None or not np.array_equal(hit["keep"], keep):
            sub = np.flatnonzero(keep)
            pos = np.full(network.n_nodes, -1, dtype=np.int64)
            pos[sub] = np.arange(sub.size)
            g = network.graph(mode, at)[sub][:, sub]
            hit = {"keep": keep.copy(), "pos": pos, "g": g, "rows": {}}
        areas[key] = hit  # most recent last
        while len(areas) > _MEMO_AREAS:
            areas.pop(next(iter(areas)))
    return hit


def road_travel_matrix(
    network: RoadNetwork,
    nodes: ArrayLike,
    *,
    mode: str = "car",
    at: dt.time | None = None,
    access_s: ArrayLike | None = None,
    within: ArrayLike | None = None,
) -> F64:
    """Travel times (s) between road nodes, ``(k, k)``: row ``i`` is Dijkstra from ``nodes[i]``.

    ``access_s`` (k,) is the walk from each site to its snapped node, added on leaving and on
    arriving (the site itself, not its node, is the stop). ``within`` (a boolean mask over the
    network's nodes that holds every one of ``nodes``) restricts the paths to those nodes: a
    station's area with a margin instead of the whole city, much faster, and exact whenever no
    shortest path leaves the area (else an overestimate, never an underestimate). ``inf`` where
    unreachable. O(k (V + E) log V) time (scipy.sparse.csgraph), O(k V) memory, V and E those
    of the area. With ``within``, the area's subgraph and every Dijkstra row are memoised per
    network and area (the last four areas): a source asked again costs O(V) — the nightly
    plans of one station's four blocks share most of their hot cells.
    """
    from scipy.sparse.csgraph import dijkstra

    idx = np.asarray(nodes, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"nodes: expected a non-empty 1-d array of node indices, got {idx.shape}")
    if idx.min() < 0 or idx.max() >= network.n_nodes:
        raise ValueError(f"nodes: indices must be in [0, {network.n_nodes - 1}]")
    uniq, inv = np.unique(idx, return_inverse=True)
    if within is None:
        d = np.asarray(dijkstra(network.graph(mode, at), directed=True, indices=uniq))
        cols = uniq
    else:
        keep = np.asarray(within, dtype=bool)
        if keep.shape != (network.n_nodes,) or not keep[uniq].all():
            raise ValueError("within: expected a mask over the nodes that holds every node given")
        area = _area(network, mode, at, keep)
        rows: dict[int, F64] = area["rows"]
        missing = [int(u) for u in uniq if int(u) not in rows]
        if missing:
            got = np.asarray(dijkstra(area["g"], directed=True, indices=area["pos"][missing]))
            rows.update(zip(missing, got, strict=True))
        d = np.vstack([rows[int(u)] for u in uniq])
        cols = area["pos"][uniq]
    t = d[inv][:, cols][:, inv]
    if access_s is not None:
        a = np.asarray(access_s, dtype=np.float64)
        if a.shape != idx.shape or np.any(a < 0) or not np.all(np.isfinite(a)):
            raise ValueError("access_s: expected one finite non-negative time per node")
        t = t + a[:, None] + a[None, :]
    np.fill_diagonal(t, 0.0)
    return t


def _vector(name: str, values: ArrayLike, n: int) -> F64:
    a = np.asarray(values, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{name}: expected {n} values (one per site of travel_s), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: values must be finite")
    if np.any(a < 0):
        raise ValueError(f"{name}: values must be >= 0, got {float(a.min()):g}")
    return a


class PatrolRoutes:
    """Prize-collecting patrol routes from one depot (team orienteering with dwell times).

    Build with :meth:`from_cost_matrix`, then ``solve(time_limit_s=...)``; the answer is
    ``result_`` (:class:`PatrolResult`). See the module docstring for the formulation.

    Parameters
    ----------
    n_routes : int
        Units leaving the depot (each makes at most one route).
    budget_s : float
        The longest route allowed, travel plus dwell, depot to depot (seconds).
    depot : int
        Index of the depot in the matrices (its prize and dwell are ignored).
    seed : int
        PyVRP's random seed.
    """

    def __init__(self, *, n_routes: int, budget_s: float, depot: int = 0, seed: int = 0) -> None:
        self.n_routes = n_routes
        self.budget_s = budget_s
        self.depot = depot
        self.seed = seed
        self.travel_s: F64 = np.zeros((0, 0))
        self.prize: F64 = np.zeros(0)
        self.dwell_s: F64 = np.zeros(0)
        self._result: PatrolResult | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        travel_s: ArrayLike,
        prize: ArrayLike,
        dwell_s: ArrayLike,
        *,
        depot: int = 0,
        n_routes: int,
        budget_s: float,
        seed: int = 0,
    ) -> PatrolRoutes:
        """A model over a square travel-time matrix (row: from, column: to; ``inf`` =
        unreachable), prizes and dwell times per site (seconds, the depot's ignored)."""
        t = np.asarray(travel_s, dtype=np.float64)
        if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 1:
            raise ValueError(f"travel_s: expected a square (n, n) matrix, got shape {t.shape}")
        n = t.shape[0]
        if np.any(np.isnan(t)):
            raise ValueError("travel_s: NaN travel time (use inf for an unreachable pair)")
        if np.any(t < 0):
            raise ValueError(f"travel_s: travel times must be >= 0, got {float(t.min()):g}")
        p = _vector("prize", prize, n)
        d = _vector("dwell_s", dwell_s, n)
        if isinstance(depot, bool) or not isinstance(depot, int | np.integer):
            raise ValueError(f"depot: expected an integer index, got {depot!r}")
        if not 0 <= int(depot) < n:
            raise ValueError(f"depot: expected an index in [0, {n - 1}], got {depot}")
        if isinstance(n_routes, bool) or not isinstance(n_routes, int | np.integer):
            raise ValueError(f"n_routes: expected a positive integer, got {n_routes!r}")
        if n_routes < 1:
            raise ValueError(f"n_routes: expected a positive integer, got {n_routes}")
        if not (isinstance(budget_s, int | float) and math.isfinite(budget_s) and budget_s > 0):
            raise ValueError(f"budget_s: expected a positive number of seconds, got {budget_s!r}")
        model = cls(n_routes=int(n_routes), budget_s=float(budget_s), depot=int(depot), seed=seed)
        model.travel_s, model.prize, model.dwell_s = t, p, d
        return model

    @property
    def result_(self) -> PatrolResult:
        """The answer of the last ``solve()``."""
        if self._result is None:
            raise AttributeError("result_: call solve() first")
        return self._result

    # --- helpers -------------------------------------------------------------------------

    def _candidates(self) -> np.ndarray:
        """Sites with a positive prize that fit a route alone (depot → site → depot)."""
        dep = self.depot
        alone = self.travel_s[dep, :] + self.dwell_s + self.travel_s[:, dep]
        ok = (self.prize > 0) & (alone <= self.budget_s)
        ok[dep] = False
        return np.flatnonzero(ok)

    def _bound(self, cand: np.ndarray) -> float:
        if cand.size == 0:
            return 0.0
        sub = np.concatenate([[self.depot], cand])
        t = self.travel_s[np.ix_(sub, sub)].copy()
        np.fill_diagonal(t, np.inf)
        arrive = t[:, 1:].min(axis=0)  # cheapest arc into each candidate
        cost = self.dwell_s[cand] + arrive
        p = self.prize[cand]
        cap = self.n_routes * self.budget_s
        free = cost <= 0
        total = float(p[free].sum())
        order = np.argsort(-(p[~free] / cost[~free]), kind="stable")
        pc, cc = p[~free][order], cost[~free][order]
        for pi, ci in zip(pc.tolist(), cc.tolist(), strict=True):
            if ci <= cap:
                total += pi
                cap -= ci
            else:
                total += pi * cap / ci
                break
        return min(total, float(p.sum()))

    def route_duration_s(self, route: list[int]) -> tuple[float, float]:
        """(duration, travel) of a route of site indices, depot to depot, in seconds."""
        if not route:
            return 0.0, 0.0
        path = [self.depot, *route, self.depot]
        travel = float(sum(self.travel_s[a, b] for a, b in itertools.pairwise(path)))
        return travel + float(self.dwell_s[route].sum()), travel

    def _repair(self, route: list[int]) -> list[int]:
        """Drop visits (least prize per second saved first) until the route fits the budget."""
        route = list(route)
        while route and self.route_duration_s(route)[0] > self.budget_s:
            base = self.route_duration_s(route)[0]
            best_k, best_ratio = 0, math.inf
            for k in range(len(route)):
                saved = base - self.route_duration_s(route[:k] + route[k + 1 :])[0]
                ratio = self.prize[route[k]] / max(saved, 1e-9)
                if ratio < best_ratio:
                    best_k, best_ratio = k, ratio
            route.pop(best_k)
        return route

    # --- solve ----------------------------------------------------------------------------

    def solve(
        self,
        time_limit_s: float = 10.0,
        *,
        max_iterations: int | None = None,
        no_improvement: int | None = None,
    ) -> Self:
        """Search for routes and set ``result_``; returns self.

        Parameters
        ----------
        time_limit_s : float
            Wall time of PyVRP's search (the model build and the bound come on top: O(n²)).
        max_iterations : int, optional
            Also stop after this many iterations (a run that stops on iterations alone is
            reproducible; one that stops on time depends on the machine).
        no_improvement : int, optional
            Also stop after this many iterations in a row that did not improve the best
            routes (PyVRP's ``NoImprovement``): small instances settle early and need not
            run their whole time limit. Reproducible, like ``max_iterations``.
        """
        if not (isinstance(time_limit_s, int | float) and math.isfinite(time_limit_s)):
            raise ValueError(f"time_limit_s: expected a positive number, got {time_limit_s!r}")
        if time_limit_s <= 0:
            raise ValueError(f"time_limit_s: expected a positive number, got {time_limit_s}")
        if max_iterations is not None and max_iterations < 1:
            raise ValueError(f"max_iterations: expected a positive integer, got {max_iterations}")
        if no_improvement is not None and no_improvement < 1:
            raise ValueError(f"no_improvement: expected a positive integer, got {no_improvement}")
        t0 = time.perf_counter()
        cand = self._candidates()
        bound = self._bound(cand)
        n_sites = self.travel_s.shape[0] - 1
        if cand.size == 0:
            self._result = PatrolResult(
                routes=[[] for _ in range(self.n_routes)],
                prize=0.0,
                duration_s=[0.0] * self.n_routes,
                travel_s=[0.0] * self.n_routes,
                bound=0.0,
                gap=0.0,
                status="empty",
                solve_time_s=time.perf_counter() - t0,
                iterations=0,
                n_sites=n_sites,
                n_candidates=0,
                explanation=(
                    f"No site has a positive prize and fits a route of {self.budget_s:g} s alone "
                    "(depot → site → depot with its dwell): nothing to patrol."
                ),
            )
            return self
        routes, iterations = self._search(cand, time_limit_s, max_iterations, no_improvement)
        routes = [self._repair(r) for r in routes]
        durations = [self.route_duration_s(r) for r in routes]
        prize = float(sum(self.prize[r].sum() for r in routes if r))
        bound = max(bound, prize)
        gap = (bound - prize) / bound if bound > 0 else 0.0
        status = "optimal" if gap <= 1e-9 else "feasible"
        visited = sum(len(r) for r in routes)
        text = (
            f"PyVRP iterated local search ({iterations} iterations, {time_limit_s:g} s limit): "
            f"{visited} of {cand.size} candidate sites on {sum(1 for r in routes if r)} of "
            f"{self.n_routes} routes collect {prize:g} of the prize (bound {bound:g}, gap "
            f"{gap:.1%}); longest route {max(d for d, _ in durations):.0f} s of the "
            f"{self.budget_s:g} s budget. {n_sites - cand.size} sites were left out before the "
            "search (no prize, or unreachable within the budget even alone). The bound is the "
            "fractional knapsack of dwell plus cheapest arc in, against routes × budget."
        )
        self._result = PatrolResult(
            routes=routes,
            prize=prize,
            duration_s=[d for d, _ in durations],
            travel_s=[t for _, t in durations],
            bound=bound,
            gap=gap,
            status=status,
            solve_time_s=time.perf_counter() - t0,
            iterations=iterations,
            n_sites=n_sites,
            n_candidates=int(cand.size),
            explanation=text,
        )
        return self

    def _search(
        self,
        cand: np.ndarray,
        time_limit_s: float,
        max_iterations: int | None,
        no_improvement: int | None = None,
    ) -> tuple[list[list[int]], int]:
        import pyvrp
        from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

        sub = np.concatenate([[self.depot], cand])
        t = self.travel_s[np.ix_(sub, sub)]
        ti = np.where(np.isfinite(t), np.ceil(t - 1e-9), _BIG).astype(np.int64)
        np.fill_diagonal(ti, 0)
        dwell = np.ceil(self.dwell_s[cand] - 1e-9).astype(np.int64)
        budget = math.floor(self.budget_s + 1e-9)
        p = self.prize[cand]
        scale = self.n_routes * budget / (_COST_SHARE * float(p.sum()))
        prize_i = np.maximum(1, np.rint(p * scale)).astype(np.int64)
        m = sub.size
        data = pyvrp.ProblemData(
            locations=[pyvrp.Location(0.0, 0.0) for _ in range(m)],
            clients=[
                pyvrp.Client(
                    location=k + 1,
                    service_duration=int(dwell[k]),
                    prize=int(prize_i[k]),
                    required=False,
                )
                for k in range(cand.size)
            ],
            depots=[pyvrp.Depot(location=0)],
            vehicle_types=[
                pyvrp.VehicleType(
                    num_available=self.n_routes, shift_duration=budget, unit_distance_cost=1
                )
            ],
            distance_matrices=[ti],  # type: ignore[list-item]
            duration_matrices=[ti],  # type: ignore[list-item]
        )
        stops: list[object] = [MaxRuntime(float(time_limit_s))]
        if max_iterations is not None:
            stops.append(MaxIterations(int(max_iterations)))
        if no_improvement is not None:
            stops.append(NoImprovement(int(no_improvement)))
        stop = MultipleCriteria(stops) if len(stops) > 1 else stops[0]  # type: ignore[arg-type]
        res = pyvrp.solve(data, stop=stop, seed=self.seed, collect_stats=False)  # type: ignore[arg-type]
        routes: list[list[int]] = []
        for r in res.best.routes():  # an activity's idx is the client's index among clients
            routes.append([int(cand[a.idx]) for a in r if a.is_client()])
        routes += [[] for _ in range(self.n_routes - len(routes))]
        return routes, int(res.num_iterations)
