"""Backup coverage (BACOP2): prefer demand reached by two sites."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from pingan.coverage.siting.common import SitingInputError
from pingan.coverage.siting.mclp import _MaxCoverage


class BackupCoverage(_MaxCoverage):
    r"""Backup coverage (Hogan & ReVelle 1986, BACOP2): prefer demand reached by two sites.

    .. math::

        \max\ \theta \sum_i w_i y_i + (1-\theta) \sum_i w_i u_i \quad\text{s.t.}\quad
        y_i + u_i \le \sum_j a_{ij} x_j,\quad u_i \le y_i,\quad \sum_j x_j = p,\quad
        x_j = 1\ (j \in R),\quad x_j \in \{0,1\},\ 0 \le u_i, y_i \le 1

    ``y_i`` = covered at least once, ``u_i`` = covered at least twice (backup). With the
    default ``primary_weight θ = 0`` the objective is the weight covered twice (BACOP with
    primary coverage unconstrained); ``0 < θ < 1`` trades first coverage against backup.
    ``result_.objective`` is that weighted sum, ``result_.backup_weight`` the weight covered
    twice, ``covered_weight`` the weight covered at least once. Dominance keeps a candidate
    unless two other candidates cover supersets of its demand.

    Complexity: as :class:`MCLP` with twice the ``y`` variables.
    """

    name = "backup"

    def __init__(self, primary_weight: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= primary_weight < 1.0:
            raise SitingInputError(
                f"primary_weight: must be in [0, 1) (1 would ignore backup), got {primary_weight}"
            )
        self.primary_weight = float(primary_weight)
        self.theta = np.array([self.primary_weight, 1.0 - self.primary_weight])

    @classmethod
    def from_cost_matrix(
        cls,
        cost_s: Any,
        weights: ArrayLike | None,
        *,
        standard_s: float,
        n_sites: int,
        required: ArrayLike | None = None,
        primary_weight: float = 0.0,
    ) -> BackupCoverage:
        """Build from a demand × candidate cost matrix (dense with ``inf``, or sparse)."""
        self = cls(primary_weight)
        self._setup(cost_s, weights, standard_s, n_sites, required)
        return self
