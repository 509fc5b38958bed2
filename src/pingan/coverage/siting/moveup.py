"""Move-up (relocation) of available units to restore coverage when others are busy.

Formulation. Demand points ``i`` with weights ``w_i``; the available units ``j`` cover
``a_ij = [t_ij <= S]`` from where they stand, candidate sites ``k`` would cover
``b_ik = [s_ik <= S]``. Coverage of a set of positions is ``sum_i w_i [covered by one of
them]``. A move ``(j -> k)`` replaces unit ``j``'s column by site ``k``'s. With
``c_i = sum_j a_ij`` (how many units cover ``i`` now) the gain of every move is exact and comes
for all pairs at once from three sparse products::

    gain(j, k) = g_k - l_j + o_jk
    g_k  = sum_i w_i [c_i = 0] b_ik                (what the site adds)
    l_j  = sum_i w_i [c_i = 1] a_ij                (what only unit j covers: lost when it leaves)
    o_jk = sum_i w_i [c_i = 1] a_ij b_ik           (of that, what the site covers again)

``solve(n_moves)`` is greedy: it takes the move of largest gain (ties: the shortest move by
``move_cost_s``), applies it, recomputes the counts and repeats, each unit and site moved at
most once, while a move gains more than ``min_gain``. Pairs whose ``move_cost_s`` exceeds
``max_move_s`` are not considered. The gain of each round is exact (checked against brute force
over every pair in the tests); the sequence of moves is greedy, as move-up advice is given one
move at a time.

Complexity per round: O(nnz(A) + nnz(B) + U·S) time for U units and S sites (the product
``o`` costs O(sum over demand covered once of its covering sites)), O(U·S) memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from pingan.coverage.siting.common import F64, I64, NotSolvedError, SitingInputError
from pingan.coverage.siting.validation import (
    _check_costs,
    _check_standard,
    _check_weights,
    _coverage_matrix,
)

__all__ = ["Move", "MoveUp", "MoveUpResult"]


@dataclass(frozen=True)
class Move:
    """One suggested move: unit column ``unit`` to site column ``site``, the weight it
    restores (``gain``) and the coverage after it."""

    unit: int
    site: int
    gain: float
    covered_after: float
    move_cost_s: float


@dataclass(frozen=True)
class MoveUpResult:
    """The moves in the order they were chosen, and the covered weight before and after."""

    moves: tuple[Move, ...]
    covered_before: float
    covered_after: float
    total_weight: float
    explanation: str


class MoveUp:
    """Greedy exact-gain move-up of available units to candidate sites (see the module)."""

    name = "move-up"

    def __init__(self) -> None:
        self._result: MoveUpResult | None = None
        self.a = sp.csr_matrix((0, 0), dtype=bool)
        self.b = sp.csr_matrix((0, 0), dtype=bool)
        self.weights: F64 = np.empty(0)
        self.standard_s = 0.0
        self.move_cost_s: F64 | None = None
        self.max_move_s = np.inf

    @classmethod
    def from_cost_matrices(
        cls,
        unit_cost_s: Any,
        site_cost_s: Any,
        weights: ArrayLike | None,
        *,
        standard_s: float,
        move_cost_s: ArrayLike | None = None,
        max_move_s: float = np.inf,
    ) -> MoveUp:
        """Build from demand × unit and demand × site costs (dense with ``inf``, or sparse with
        the finite entries) and an optional unit × site ``move_cost_s`` (``inf``: not allowed).
        """
        self = cls()
        cu = _check_costs(unit_cost_s)
        cs = _check_costs(site_cost_s)
        if cu.shape[0] != cs.shape[0]:
            raise SitingInputError(
                f"site_cost_s: needs one row per demand point like unit_cost_s ({cu.shape[0]}), "
                f"got {cs.shape[0]}"
            )
        s = _check_standard(standard_s)
        assert s is not None
        self.standard_s = s
        self.weights = _check_weights(weights, cu.shape[0])
        self.a = _coverage_matrix(cu, s)
        self.b = _coverage_matrix(cs, s)
        if move_cost_s is not None:
            m = np.asarray(move_cost_s, dtype=np.float64)
            if m.shape != (cu.shape[1], cs.shape[1]):
                raise SitingInputError(
                    f"move_cost_s: must be units × sites ({cu.shape[1]} × {cs.shape[1]}), "
                    f"got shape {m.shape}"
                )
            if np.isnan(m).any() or (m < 0).any():
                raise SitingInputError("move_cost_s: must be >= 0, inf where not allowed")
            self.move_cost_s = m
        if not max_move_s > 0:
            raise SitingInputError(f"max_move_s: must be > 0, got {max_move_s:g}")
        self.max_move_s = float(max_move_s)
        return self

    @property
    def result_(self) -> MoveUpResult:
        """The :class:`MoveUpResult` of the last ``solve()``."""
        if self._result is None:
            raise NotSolvedError("result_: MoveUp is not solved; call .solve()")
        return self._result

    def gains(self, counts: I64 | None = None) -> F64:
        """The exact gain of every (unit, site) move given the cover counts ``counts`` (the
        current ones by default): a units × sites array."""
        w = self.weights
        c = self._counts() if counts is None else counts
        g = np.asarray(self.b.T.astype(np.float64) @ (w * (c == 0))).ravel()
        once = w * (c == 1)
        lost = np.asarray(self.a.T.astype(np.float64) @ once).ravel()
        a_once = sp.csr_matrix(self.a.multiply(once[:, None]).astype(np.float64))
        over = (a_once.T @ self.b.astype(np.float64)).toarray()
        out: F64 = g[None, :] - lost[:, None] + over
        return out

    def _counts(self) -> I64:
        return np.asarray(self.a.sum(axis=1)).ravel().astype(np.int64)

    def solve(self, n_moves: int = 3, *, min_gain: float = 0.0) -> Self:
        """Choose up to ``n_moves`` moves greedily (each of largest exact gain); returns self."""
        if n_moves < 0:
            raise SitingInputError(f"n_moves: must be >= 0, got {n_moves}")
        w = self.weights
        a = sp.csc_matrix(self.a)
        b = sp.csc_matrix(self.b)
        counts = self._counts()
        before = float(w[counts >= 1].sum())
        covered = before
        n_units, n_sites = self.a.shape[1], self.b.shape[1]
        move = np.zeros((n_units, n_sites)) if self.move_cost_s is None else self.move_cost_s.copy()
        allowed = move <= self.max_move_s
        moves: list[Move] = []
        for _ in range(n_moves):
            if n_units == 0 or n_sites == 0 or not allowed.any():
                break
            gain = np.where(allowed, self.gains(counts), -np.inf)
            best = float(gain.max())
            if not best > min_gain:
                break
            ties = np.flatnonzero(gain.ravel() >= best - 1e-9 * max(1.0, abs(best)))
            pick = int(ties[np.argmin(move.ravel()[ties])])
            j, k = divmod(pick, n_sites)
            counts = counts - a[:, j].toarray().ravel() + b[:, k].toarray().ravel()
            covered = float(w[counts >= 1].sum())
            moves.append(
                Move(
                    j,
                    k,
                    covered - (moves[-1].covered_after if moves else before),
                    covered,
                    float(move[j, k]),
                )
            )
            allowed[j, :] = False
            allowed[:, k] = False
        total = float(w.sum())
        self._result = MoveUpResult(
            tuple(moves),
            before,
            covered,
            total,
            (
                f"{len(moves)} move(s) restore {covered - before:g} of {total:g} weight within "
                f"{self.standard_s:g} s ({before:g} covered before, {covered:g} after); each "
                "chosen for its exact gain, the shortest move among equals"
            ),
        )
        return self
