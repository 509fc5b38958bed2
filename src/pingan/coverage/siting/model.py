"""Base classes shared by every siting model: validation, state and the ``result_`` property."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from pingan.coverage.siting.common import F64, I64, Method, NotSolvedError
from pingan.coverage.siting.heuristics import _cover_counts, _value
from pingan.coverage.siting.result import SitingResult
from pingan.coverage.siting.validation import (
    _check_costs,
    _check_n_sites,
    _check_required,
    _check_standard,
    _check_weights,
    _coverage_matrix,
)


class _SitingModel:
    """Shared validation, state and result handling."""

    name: ClassVar[str] = "siting"
    sense: ClassVar[str] = "max"
    weights: F64
    required: I64

    def __init__(self) -> None:
        self._result: SitingResult | None = None
        self.n_demand = 0
        self.n_candidates = 0

    @property
    def result_(self) -> SitingResult:
        """The :class:`SitingResult` of the last ``solve()``."""
        if self._result is None:
            raise NotSolvedError(f"result_: {type(self).__name__} is not solved; call .solve()")
        return self._result

    def solve(
        self, method: Method = "exact", time_limit_s: float | None = None, *, gap: float = 1e-9
    ) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError


class _CoverageModel(_SitingModel):
    """MCLP, LSCP and backup coverage share the coverage matrix and the reduction."""

    theta: F64
    a: sp.csr_matrix
    standard_s: float
    n_sites: int | None

    def _setup(
        self,
        cost_s: Any,
        weights: ArrayLike | None,
        standard_s: float | None,
        n_sites: int | None,
        required: ArrayLike | None,
    ) -> None:
        cost = _check_costs(cost_s)
        n, m = cost.shape
        self.weights = _check_weights(weights, n)
        s = _check_standard(standard_s)
        assert s is not None
        self.standard_s = s
        self.required = _check_required(required, m)
        self.n_sites = (
            _check_n_sites(n_sites, m, int(self.required.size)) if n_sites is not None else None
        )
        self.n_demand, self.n_candidates = n, m
        self.a = _coverage_matrix(cost, s)

    # evaluation on the original matrix: never trust the solver's numbers
    def _evaluate(self, selected: I64) -> tuple[float, float, float]:
        sel = np.zeros(self.n_candidates, dtype=bool)
        sel[selected] = True
        cnt = _cover_counts(self.a, sel)
        w = self.weights
        once = float(w[cnt >= 1].sum())
        twice = float(w[cnt >= 2].sum())
        return once, twice, _value(cnt, w, self.theta)

    def _pad(self, selected: I64, n_total: int) -> I64:
        """Fill up to ``n_total`` sites with the unselected candidates covering most weight
        (they add nothing to the objective; the model asks for exactly ``n_sites``)."""
        if selected.size >= n_total:
            return np.sort(selected)
        colw = np.asarray(self.a.T.astype(np.float64) @ self.weights).ravel()
        colw[selected] = -np.inf
        extra = np.argsort(-colw, kind="stable")[: n_total - selected.size]
        return np.sort(np.concatenate([selected, extra]).astype(np.int64))
