"""Shared types, time-budget constants, the clock and the error classes of the siting models."""

from __future__ import annotations

import math
import time
from typing import Literal

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]
Method = Literal["exact", "heuristic"]

_TOL = 1e-9
_SEARCH_DEFAULT_S = 10.0  # heuristic without time_limit_s: local search cap (or 300 idle rounds)
_BOUND_DEFAULT_S = 12.0  # heuristic without time_limit_s: Lagrangian bound cap (or convergence)
_SEARCH_EXACT_S = 2.0  # exact: local search for the cut-off (or 30 idle rounds)
# HiGHS time limits are checked inside its solvers, not while scipy and HiGHS set the model
# up, presolve it or (for a MIP) solve the root LP by dual simplex: on 100,000 × 5,000 a
# milp(time_limit=10) ran 325 s. So the expensive calls are only made when an estimate says
# they fit in what is left of the budget. IPM LP seconds ≈ _LP_S_REF · (nnz / _LP_NNZ_REF)^1.38
# (measured: 1.2 s at 115,000 constraint non-zeros, 134 s at 3.25 million).
_LP_S_REF = 1.2
_LP_NNZ_REF = 115_000.0
_LP_EXP = 1.38
_MIP_ROOT_FACTOR = 8.0  # a MIP needs its root LP by dual simplex (~6x the IPM) and more
_BOUND_RESERVE_S = 12.0  # exact with a limit: kept back for a fallback bound if the LP fails


def _lp_seconds(nnz: int) -> float:
    """Rough wall seconds of a HiGHS LP with ``nnz`` constraint non-zeros (see above)."""
    return float(_LP_S_REF * (max(nnz, 1) / _LP_NNZ_REF) ** _LP_EXP)


class _Clock:
    """The wall-time budget of one ``solve()``: every HiGHS call gets what is left."""

    def __init__(self, t0: float, time_limit_s: float | None) -> None:
        self.t0 = t0
        self.limited = time_limit_s is not None
        self.deadline = t0 + (float(time_limit_s) if time_limit_s is not None else math.inf)

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def highs_limit(self, reserve: float = 0.0) -> float | None:
        """``time_limit`` for the next HiGHS call (None: unlimited)."""
        if not self.limited:
            return None
        return max(self.left() - reserve, 0.01)

    def fits(self, seconds: float, reserve: float = 0.0) -> bool:
        """Whether a step estimated at ``seconds`` fits in what is left (always, unlimited)."""
        return not self.limited or seconds <= self.left() - reserve


class SitingInputError(ValueError):
    """A siting model was given an argument it cannot use; the message names it and the fix."""


class NotSolvedError(ValueError, AttributeError):
    """``result_`` was read before ``solve()``."""
