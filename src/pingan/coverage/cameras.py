"""Camera coverage: which points each camera's field-of-view sector reaches.

A camera at ``(cx, cy)`` (metres, a local metric frame) looks along ``heading_deg`` (0 = north,
clockwise) with a field of view of ``fov_deg`` and a range of ``range_m``. A point ``(px, py)``
is **seen** when

* its distance ``hypot(px - cx, py - cy) <= range_m``, and
* its bearing ``atan2(px - cx, py - cy)`` (degrees clockwise from north) lies within
  ``± fov_deg / 2`` of the heading, measured the short way round (so 350° ± 20° reaches 0° to
  10°); ``fov_deg >= 360`` is an omnidirectional dome; a point at the camera is seen.

Boundaries count as seen: the comparisons allow ``1e-9`` m and ``1e-9``° so that rounding in
``hypot`` and ``atan2`` does not decide a point that lies exactly on the arc or on an edge of
the sector. :func:`camera_coverage_brute` is the chunked numpy reference (every camera against
every point) that the tests and ``benchmarks/bench_camera_coverage.py`` compare with; both use
the one predicate :func:`_seen`, so they agree exactly.

Pure numpy/scipy (shapely for the optional occlusion), no database.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "camera_coverage",
    "camera_coverage_brute",
    "camera_coverage_matrix",
    "camera_coverage_matrix_occluded",
    "camera_coverage_occluded",
    "camera_pairs",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BoolA = NDArray[np.bool_]

_EPS_M = 1e-9
"""Slack of the range test (metres): a point on the arc is seen whatever the rounding."""
_EPS_DEG = 1e-9
"""Slack of the angle test (degrees): a point on a sector edge is seen whatever the rounding."""
_CHUNK_PAIRS = 4_000_000
"""Candidate pairs decided at a time: bounds the memory of one step."""


def _xy(name: str, value: ArrayLike) -> F64:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 1 and a.size == 0:
        a = a.reshape(0, 2)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name}: expected an (n, 2) array of x, y metres, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: {int((~np.isfinite(a)).any(axis=1).sum())} rows not finite")
    return a


def _per_camera(name: str, value: ArrayLike, m: int, *, low: float) -> F64:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        a = np.full(m, float(a))
    elif a.ndim != 1 or a.size != m:
        raise ValueError(f"{name}: expected a number or one per camera ({m}), got shape {a.shape}")
    bad = ~np.isfinite(a) | (a < low)
    if bad.any():
        raise ValueError(
            f"{name}: {int(bad.sum())} values not finite or below {low:g} "
            f"(first at camera {int(np.argmax(bad))}: {a[np.argmax(bad)]!r})"
        )
    return a


def _inputs(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
) -> tuple[F64, F64, F64, F64, F64]:
    pts = _xy("points_xy_m", points_xy_m)
    cams = _xy("cam_xy_m", cam_xy_m)
    m = cams.shape[0]
    heading = _per_camera("heading_deg", heading_deg, m, low=-np.inf)
    fov = _per_camera("fov_deg", fov_deg, m, low=0.0)
    rng = _per_camera("range_m", range_m, m, low=0.0)
    return pts, cams, heading, fov, rng


def _seen(dx: F64, dy: F64, heading: F64, fov: F64, rng: F64) -> BoolA:
    """The one predicate: offsets ``(dx, dy)`` from each camera to a point, with that camera's
    heading, field of view and range (arrays of one shape)."""
    d = np.hypot(dx, dy)
    ok = d <= rng + _EPS_M
    if not ok.any():
        return ok
    bearing = np.degrees(np.arctan2(dx, dy))
    off = np.abs((bearing - heading + 180.0) % 360.0 - 180.0)
    seen: BoolA = ok & ((fov >= 360.0) | (d == 0.0) | (off <= 0.5 * fov + _EPS_DEG))
    return seen


def _grid(pts: F64, cell_m: float) -> tuple[float, float, int, int, I64, I64]:
    """Bin the points in square cells: ``(x0, y0, n_cols, n_rows, order, sorted_keys)`` with
    ``key = row * n_cols + col`` and ``order`` the points sorted by key (row-major, so the
    cells of one row from column c0 to c1 are one contiguous run of ``order``)."""
    x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
    col = np.floor((pts[:, 0] - x0) / cell_m).astype(np.int64)
    row = np.floor((pts[:, 1] - y0) / cell_m).astype(np.int64)
    n_cols, n_rows = int(col.max()) + 1, int(row.max()) + 1
    key = row * n_cols + col
    order = np.argsort(key)
    return x0, y0, n_cols, n_rows, order.astype(np.int64), key[order]


def camera_pairs(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
) -> tuple[I64, I64]:
    """Every (camera, point) pair in which the camera sees the point.

    Returns ``(camera_index, point_index)``, int64 arrays of one length, grouped by camera
    (sort them if another order matters). Arguments as in :func:`camera_coverage`.

    The spatial index is a grid: the points are binned in square cells (side half the median
    range, at least 1/2^28 of the extent) and sorted row-major, so the cells that a camera's
    box ``[cx ± r] × [cy ± r]`` overlaps in one row are one contiguous run of the sorted points,
    found by two binary searches. The candidate pairs are the points of those runs, at most
    about ``(2r + 2s)² / (π r²)`` (≈ 1.6 for r = 2s) times the pairs within range; the exact
    predicate then decides each.

    Complexity: O(n log n) to sort the n points by cell, O(R log n) for the R row runs of the
    m cameras (R = Σ (2 r_j / s + 2)), O(k) for the k candidate pairs: O(n log n + R log n + k)
    time, O(n + R + k_chunk) memory (k_chunk ≤ 4,000,000 candidate pairs at a time).
    """
    pts, cams, heading, fov, rng = _inputs(points_xy_m, cam_xy_m, heading_deg, fov_deg, range_m)
    n, m = pts.shape[0], cams.shape[0]
    if n == 0 or m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    extent = float(np.ptp(pts, axis=0).max())
    cell_m = max(0.5 * float(np.median(rng)), extent / 2**28, 1e-6)
    x0, y0, n_cols, n_rows, order, keys = _grid(pts, cell_m)
    # each camera's box, in cells, clipped to the grid (a little wider: the predicate decides)
    reach = rng + _EPS_M + 1e-6
    c0 = np.clip(np.floor((cams[:, 0] - reach - x0) / cell_m), 0, n_cols - 1).astype(np.int64)
    c1 = np.clip(np.floor((cams[:, 0] + reach - x0) / cell_m), -1, n_cols - 1).astype(np.int64)
    r0 = np.clip(np.floor((cams[:, 1] - reach - y0) / cell_m), 0, n_rows - 1).astype(np.int64)
    r1 = np.clip(np.floor((cams[:, 1] + reach - y0) / cell_m), -1, n_rows - 1).astype(np.int64)
    rows_per = np.where(c1 >= c0, np.maximum(r1 - r0 + 1, 0), 0)
    # one run per (camera, row)
    run_cam = np.repeat(np.arange(m, dtype=np.int64), rows_per)
    first = np.cumsum(rows_per) - rows_per
    run_row = r0[run_cam] + (np.arange(run_cam.size, dtype=np.int64) - first[run_cam])
    lo = np.searchsorted(keys, run_row * n_cols + c0[run_cam], side="left")
    hi = np.searchsorted(keys, run_row * n_cols + c1[run_cam], side="right")
    length = (hi - lo).astype(np.int64)
    keep = length > 0
    run_cam, lo, length = run_cam[keep], lo[keep], length[keep]
    out_c: list[I64] = []
    out_p: list[I64] = []
    ends = np.cumsum(length)
    a = 0
    while a < length.size:  # chunks of runs holding at most _CHUNK_PAIRS candidates
        base = int(ends[a - 1]) if a else 0
        b = int(np.searchsorted(ends, base + _CHUNK_PAIRS, side="right"))
        b = max(b, a + 1)
        ln = length[a:b]
        tot = int(ln.sum())
        start = np.cumsum(ln) - ln
        pos = np.arange(tot, dtype=np.int64) - np.repeat(start - lo[a:b], ln)
        pj = order[pos]
        ci = np.repeat(run_cam[a:b], ln)
        ok = _seen(
            pts[pj, 0] - cams[ci, 0],
            pts[pj, 1] - cams[ci, 1],
            heading[ci],
            fov[ci],
            rng[ci],
        )
        out_c.append(ci[ok])
        out_p.append(pj[ok])
        a = b
    if not out_c:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_c), np.concatenate(out_p)


def camera_coverage(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
) -> I64:
    """For each point, how many of the cameras see it.

    Parameters
    ----------
    points_xy_m : (n, 2) array
        Points in a local metric frame (metres).
    cam_xy_m : (m, 2) array
        Camera positions in the same frame. Pass only the cameras that count (the working ones).
    heading_deg : float or (m,) array
        Direction of view, degrees clockwise from north (any real value; taken modulo 360).
    fov_deg : float or (m,) array
        Field of view in degrees, ``>= 0``; ``>= 360`` is an omnidirectional dome.
    range_m : float or (m,) array
        Range in metres, ``>= 0``.

    Returns
    -------
    ndarray of int64, shape (n,)
        Number of cameras seeing each point (0 = a blind spot).

    Raises
    ------
    ValueError
        Naming the argument: wrong shape, values not finite, negative field of view or range.

    Notes
    -----
    A grid index over the points (:func:`camera_pairs`): O(n log n + R log n + k) time and
    O(n + R + k_chunk) memory, with R ≈ Σ (2 r_j / s + 2) row runs of the cameras' boxes and k
    the candidate pairs in those boxes (about 1.6 times the pairs within range), against
    O(n·m) for :func:`camera_coverage_brute`. Exact: the same predicate decides every pair in
    both.

    Examples
    --------
    >>> camera_coverage([[0, 50], [50, 0], [0, 101]], [[0, 0]], 0, 90, 100).tolist()
    [1, 0, 0]
    """
    pts = _xy("points_xy_m", points_xy_m)
    _, pj = camera_pairs(pts, cam_xy_m, heading_deg, fov_deg, range_m)
    return np.bincount(pj, minlength=pts.shape[0]).astype(np.int64)


def camera_coverage_matrix(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
) -> sp.csr_matrix:
    """The point × camera boolean matrix of :func:`camera_pairs` (CSR; ``True`` = seen).

    The coverage matrix of camera siting: pass candidate (site, heading) pairs as cameras and
    hand the matrix to :class:`pingan.coverage.MCLP` as costs (stored ``1.0`` = seen, with
    ``standard_s=1``). Same complexity as :func:`camera_pairs`.
    """
    pts = _xy("points_xy_m", points_xy_m)
    cams = _xy("cam_xy_m", cam_xy_m)
    ci, pj = camera_pairs(pts, cams, heading_deg, fov_deg, range_m)
    return sp.csr_matrix(
        (np.ones(ci.size, dtype=bool), (pj, ci)), shape=(pts.shape[0], cams.shape[0])
    )


def camera_coverage_brute(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
    *,
    chunk_pairs: int = 4_000_000,
) -> I64:
    """The reference: every camera against every point, in chunks of cameras (numpy).

    For each chunk of cameras it computes the distance to every point, and the bearing only
    for the pairs within range, with the same predicate as :func:`camera_coverage`.
    Complexity O(n·m) time, O(chunk_pairs) memory.
    """
    pts, cams, heading, fov, rng = _inputs(points_xy_m, cam_xy_m, heading_deg, fov_deg, range_m)
    n, m = pts.shape[0], cams.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    if n == 0 or m == 0:
        return counts
    step = max(1, chunk_pairs // n)
    for s in range(0, m, step):
        e = min(m, s + step)
        dx = pts[None, :, 0] - cams[s:e, 0, None]
        dy = pts[None, :, 1] - cams[s:e, 1, None]
        near = np.hypot(dx, dy) <= rng[s:e, None] + _EPS_M
        ci, pj = np.nonzero(near)
        ci_all = ci + s
        ok = _seen(dx[ci, pj], dy[ci, pj], heading[ci_all], fov[ci_all], rng[ci_all])
        counts += np.bincount(pj[ok], minlength=n)
    return counts


def _unblocked(cams: F64, pts: F64, ci: I64, pj: I64, footprints: Any) -> BoolA:
    """For each seen pair (camera ``ci``, point ``pj``): True when no footprint's interior lies
    on the segment between them (see :func:`camera_coverage_occluded`)."""
    import shapely
    from shapely import STRtree

    ok = np.ones(ci.size, dtype=bool)
    polys = np.asarray(list(footprints), dtype=object)
    if not (ci.size and polys.size):
        return ok
    bad = ~shapely.is_valid(polys) | shapely.is_empty(polys)
    if bad.any():
        raise ValueError(f"footprints: {int(bad.sum())} invalid or empty polygons")
    moved = np.flatnonzero((cams[ci] != pts[pj]).any(axis=1))  # a point at its camera: seen
    lines = shapely.linestrings(np.stack([cams[ci[moved]], pts[pj[moved]]], axis=1))
    li, fi = STRtree(polys).query(lines, predicate="intersects")
    if li.size:
        inside = shapely.relate_pattern(lines[li], polys[fi], "T********")
        ok[moved[li[inside]]] = False
    return ok


def camera_coverage_occluded(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
    footprints: Any,
) -> I64:
    """:func:`camera_coverage` with building footprints blocking the line of sight.

    ``footprints`` is a sequence (or array) of shapely polygons in the same metric frame. A
    seen pair is blocked when the straight segment from the camera to the point passes through
    the interior of a footprint (``relate`` pattern ``T********``); a segment that only runs
    along or touches a wall is not blocked, so a camera mounted on a wall (on the footprint's
    boundary) sees out, and a point inside a building is not seen from outside it.

    Complexity: :func:`camera_pairs`, then an STR-tree query of the k seen segments against
    the f footprints, O(f log f + k log f + q) with q the (segment, footprint) pairs whose
    boxes overlap, each decided exactly by GEOS.
    """
    pts = _xy("points_xy_m", points_xy_m)
    cams = _xy("cam_xy_m", cam_xy_m)
    ci, pj = camera_pairs(pts, cams, heading_deg, fov_deg, range_m)
    pj = pj[_unblocked(cams, pts, ci, pj, footprints)]
    return np.bincount(pj, minlength=pts.shape[0]).astype(np.int64)


def camera_coverage_matrix_occluded(
    points_xy_m: ArrayLike,
    cam_xy_m: ArrayLike,
    heading_deg: ArrayLike,
    fov_deg: ArrayLike,
    range_m: ArrayLike,
    footprints: Any,
) -> sp.csr_matrix:
    """:func:`camera_coverage_matrix` with the line of sight of
    :func:`camera_coverage_occluded`: the siting's coverage matrix where footprints are
    loaded. Same complexity as :func:`camera_coverage_occluded`."""
    pts = _xy("points_xy_m", points_xy_m)
    cams = _xy("cam_xy_m", cam_xy_m)
    ci, pj = camera_pairs(pts, cams, heading_deg, fov_deg, range_m)
    keep = _unblocked(cams, pts, ci, pj, footprints)
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), (pj[keep], ci[keep])),
        shape=(pts.shape[0], cams.shape[0]),
    )
