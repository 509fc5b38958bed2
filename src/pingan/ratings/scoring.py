"""The star-rating kernel: every premises of a city scored at once (numpy and scipy only).

Inputs are arrays in local metres; neighbours are found with one ``cKDTree`` per layer and one
``sparse_distance_matrix`` between the premises tree and each layer's tree, so a city of 7,000
premises, 200,000 incidents and 20,000 cameras is scored in well under a second, where a query
per premises takes tens of seconds (``benchmarks/bench_ratings.py``).

Per item and premises the points are:

- ``feature``: the maximum when the feature is recorded present, else 0;
- ``cameras``: the maximum × min(cameras within ``camera_radius_m`` / ``full_at``, 1);
- ``inspection``: the maximum when the latest inspection in the window passed, else 0;
- ``hazards``: open hazards linked to the premises or within ``hazard_radius_m``: none → the
  maximum, one → half, more → 0;
- ``rectification``: the share of the premises' rectification orders that were due (accepted,
  or open past their deadline) and were accepted by their deadline × the maximum; the maximum
  when none was due;
- ``incidents``: incidents within ``incident_radius_m`` in the window against the median count
  of the premises of the same kind: at most the median → the maximum, at most twice the median
  (at least 2) → half, more → 0. Place-based only: incidents are counted by where they happened.

The score is the sum of the points; stars are the most whose share threshold the score reaches;
the colour follows the stars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

__all__ = [
    "ITEM_TYPES",
    "Criteria",
    "Item",
    "Neighbours",
    "ScoreInput",
    "ScoreResult",
    "neighbours",
    "score",
]

ITEM_TYPES = ("feature", "cameras", "inspection", "hazards", "incidents", "rectification")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Item:
    """One criteria item: its code, how it is measured and its labels."""

    code: str
    type: str
    label_zh: str
    label_en: str
    full_at: int = 1


@dataclass(frozen=True)
class Criteria:
    """A versioned criteria set: items, the maximum points of each item per set of kinds, the
    star thresholds (share of the maximum) and the colours."""

    version: str
    items: tuple[Item, ...]
    sets: dict[str, dict[str, float]]
    stars: dict[int, float]
    colours: dict[int, str]
    valid_days: int = 365
    camera_radius_m: float = 50.0
    incident_radius_m: float = 100.0
    incident_window_days: int = 365
    inspection_window_days: int = 365
    hazard_radius_m: float = 100.0

    def set_of(self, kind: str) -> str:
        """The name of the set that applies to premises of ``kind``."""
        return kind if kind in self.sets else "default"

    def max_matrix(self, kinds: list[str]) -> FloatArray:
        """The maximum points, premises × items (0 where the kind's set has no such item)."""
        codes = [i.code for i in self.items]
        per_set = {
            name: np.array([float(s.get(c, 0.0)) for c in codes]) for name, s in self.sets.items()
        }
        if not kinds:
            return np.zeros((0, len(codes)))
        return np.vstack([per_set[self.set_of(k)] for k in kinds])

    def stars_of(self, share: FloatArray) -> IntArray:
        """Stars (1–5) for each share of the maximum."""
        out = np.ones(share.shape, dtype=np.int64)
        for n in sorted(self.stars):
            out = np.where(share >= self.stars[n] - 1e-9, n, out)
        return out


@dataclass(frozen=True)
class Neighbours:
    """Pairs (premises ``i``, layer row ``j``) within a radius, sorted by ``i`` (CSR form)."""

    indptr: IntArray
    indices: IntArray

    def count(self) -> IntArray:
        """Neighbours per premises."""
        return np.diff(self.indptr)

    def of(self, i: int) -> IntArray:
        """The layer rows near premises ``i``."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


def neighbours(tree: cKDTree, xy: FloatArray, radius_m: float, n_premises: int) -> Neighbours:
    """The rows of ``xy`` within ``radius_m`` of each point of ``tree`` (one sparse query)."""
    if len(xy) == 0 or n_premises == 0:
        return Neighbours(np.zeros(n_premises + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))
    other = cKDTree(xy)
    pairs = tree.sparse_distance_matrix(other, radius_m, output_type="ndarray")
    i = pairs["i"].astype(np.int64)
    j = pairs["j"].astype(np.int64)
    order = np.lexsort((j, i))
    i, j = i[order], j[order]
    indptr = np.zeros(n_premises + 1, dtype=np.int64)
    np.cumsum(np.bincount(i, minlength=n_premises), out=indptr[1:])
    return Neighbours(indptr, j)


@dataclass(frozen=True)
class ScoreInput:
    """Everything the kernel needs, as arrays (``N`` premises).

    ``features`` is N × (feature items, in criteria order) booleans; ``inspection_passed`` is
    whether the latest inspection in the window passed; ``hazard_premises`` names the premises row
    a hazard is linked to (-1: none); ``kind_codes`` groups the premises for the incident median.
    """

    kinds: list[str]
    xy_m: FloatArray
    features: BoolArray
    inspection_passed: BoolArray
    camera_xy_m: FloatArray
    hazard_xy_m: FloatArray
    hazard_premises: IntArray
    incident_xy_m: FloatArray
    rectify_share: FloatArray | None = None
    """per premises, the share of due rectification orders fixed on time (NaN: none due)"""


@dataclass
class ScoreResult:
    """Points and maxima (premises × items), totals, stars and colours, and the neighbours
    behind the evidence."""

    codes: list[str]
    points: FloatArray
    maxima: FloatArray
    score: FloatArray
    max_score: FloatArray
    stars: IntArray
    colours: list[str]
    cameras: Neighbours
    incidents: Neighbours
    hazards: Neighbours
    incident_median: FloatArray
    extra: dict[str, object] = field(default_factory=dict)


def _median_by_kind(kinds: list[str], counts: IntArray) -> FloatArray:
    """The median count of each premises' kind, per premises."""
    names, inverse = np.unique(np.asarray(kinds, dtype=object), return_inverse=True)
    out = np.zeros(len(kinds))
    for g in range(len(names)):
        members = inverse == g
        out[members] = float(np.median(counts[members]))
    return out


def _hazards(inp: ScoreInput, tree: cKDTree, radius_m: float, n: int) -> Neighbours:
    """Open hazards near each premises or linked to it (each hazard once per premises)."""
    near = neighbours(tree, inp.hazard_xy_m, radius_m, n)
    linked = np.flatnonzero(inp.hazard_premises >= 0)
    i = np.concatenate([np.repeat(np.arange(n), near.count()), inp.hazard_premises[linked]])
    j = np.concatenate([near.indices, linked])
    if len(i) == 0:
        return near
    pairs = np.unique(np.stack([i, j], axis=1), axis=0)  # sorted by premises, then hazard
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs[:, 0], minlength=n), out=indptr[1:])
    return Neighbours(indptr, pairs[:, 1].astype(np.int64))


def score(
    criteria: Criteria, inp: ScoreInput, *, kind_median: dict[str, float] | None = None
) -> ScoreResult:
    """Score every premises of ``inp`` against ``criteria`` (see the module docstring).

    ``kind_median`` gives the incident median of kinds known from a whole-city computation, for
    scoring a few premises alone (kinds not in it use the median over ``inp``)."""
    n = len(inp.kinds)
    codes = [i.code for i in criteria.items]
    maxima = criteria.max_matrix(inp.kinds)
    points = np.zeros((n, len(codes)))
    tree = cKDTree(inp.xy_m) if n else cKDTree(np.zeros((1, 2)))
    cams = neighbours(tree, inp.camera_xy_m, criteria.camera_radius_m, n)
    incs = neighbours(tree, inp.incident_xy_m, criteria.incident_radius_m, n)
    hazs = _hazards(inp, tree, criteria.hazard_radius_m, n)
    inc_count = incs.count()
    median = _median_by_kind(inp.kinds, inc_count) if n else np.zeros(0)
    if kind_median:
        known = [kind_median.get(k) for k in inp.kinds]
        median = np.array([m if k is None else k for m, k in zip(median, known, strict=True)])
    f = 0
    for k, item in enumerate(criteria.items):
        m = maxima[:, k]
        if item.type == "feature":
            points[:, k] = np.where(inp.features[:, f], m, 0.0)
            f += 1
        elif item.type == "cameras":
            points[:, k] = m * np.minimum(cams.count() / max(item.full_at, 1), 1.0)
        elif item.type == "inspection":
            points[:, k] = np.where(inp.inspection_passed, m, 0.0)
        elif item.type == "hazards":
            h = hazs.count()
            points[:, k] = np.where(h == 0, m, np.where(h == 1, m / 2, 0.0))
        elif item.type == "rectification":
            share_ok = inp.rectify_share if inp.rectify_share is not None else np.full(n, np.nan)
            points[:, k] = m * np.where(np.isnan(share_ok), 1.0, share_ok)
        elif item.type == "incidents":
            half_at = np.maximum(2 * median, 2)
            points[:, k] = np.where(
                inc_count <= median, m, np.where(inc_count <= half_at, m / 2, 0.0)
            )
        else:  # pragma: no cover - criteria are validated when loaded
            raise ValueError(f"items.{item.code}.type: unknown type {item.type!r}")
    total = points.sum(axis=1)
    top = maxima.sum(axis=1)
    share = np.divide(total, top, out=np.zeros(n), where=top > 0)
    stars = criteria.stars_of(share)
    colours = [criteria.colours[int(s)] for s in stars]
    return ScoreResult(
        codes=codes,
        points=points,
        maxima=maxima,
        score=total,
        max_score=top,
        stars=stars,
        colours=colours,
        cameras=cams,
        incidents=incs,
        hazards=hazs,
        incident_median=median,
    )
