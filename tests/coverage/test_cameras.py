"""Camera coverage kernel: exact against the brute force, boundaries, wrap-around, occlusion."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from numpy.testing import assert_array_equal

from pingan.coverage import (
    MCLP,
    camera_coverage,
    camera_coverage_brute,
    camera_coverage_matrix,
    camera_coverage_occluded,
    camera_pairs,
)


def _loop(points, cams, heading, fov, rng):
    """A third, plain-Python reading of the definition (math module, one pair at a time)."""
    m = len(cams)
    h = np.broadcast_to(np.asarray(heading, float), (m,))
    f = np.broadcast_to(np.asarray(fov, float), (m,))
    r = np.broadcast_to(np.asarray(rng, float), (m,))
    out = []
    for px, py in points:
        n = 0
        for j, (cx, cy) in enumerate(cams):
            dx, dy = px - cx, py - cy
            d = math.hypot(dx, dy)
            if d > r[j] + 1e-9:
                continue
            if f[j] >= 360 or d == 0:
                n += 1
                continue
            b = math.degrees(math.atan2(dx, dy))
            off = abs((b - h[j] + 180.0) % 360.0 - 180.0)
            n += off <= f[j] / 2 + 1e-9
        out.append(n)
    return np.array(out)


def test_docstring_example():
    assert camera_coverage([[0, 50], [50, 0], [0, 101]], [[0, 0]], 0, 90, 100).tolist() == [1, 0, 0]


def test_exactly_at_range_is_seen_and_just_beyond_is_not():
    pts = [[0, 100], [0, 100.000001], [60, 80], [60.0001, 80]]
    got = camera_coverage(pts, [[0, 0]], 20, 90, 100)
    assert got.tolist() == [1, 0, 1, 0]
    # on the arc at an angle that hypot does not hit exactly
    a = math.radians(33.3)
    p = [[100 * math.sin(a), 100 * math.cos(a)]]
    assert camera_coverage(p, [[0, 0]], 30, 20, 100).tolist() == [1]


def test_exactly_at_half_fov_is_seen_on_both_edges():
    # heading 0 (north), fov 90: the edges are bearings 315 and 45
    pts = [[10, 10], [-10, 10], [10.001, 10], [-10.001, 10], [0, 10], [0, -10]]
    assert camera_coverage(pts, [[0, 0]], 0, 90, 50).tolist() == [1, 1, 0, 0, 1, 0]
    # east-facing (90), fov 180: due north and due south are on the edges
    assert camera_coverage([[0, 5], [0, -5], [-1, 5]], [[0, 0]], 90, 180, 10).tolist() == [
        1,
        1,
        0,
    ]


def test_heading_wraps_around_north():
    # heading 350, fov 40: bearings 330..10 seen
    pts = [[math.sin(math.radians(b)) * 20, math.cos(math.radians(b)) * 20] for b in range(360)]
    got = camera_coverage(pts, [[0, 0]], 350, 40, 30)
    seen = {b for b in range(360) if got[b]}
    assert seen == set(range(330, 360)) | set(range(0, 11))
    # the same camera written with heading -10 and 710
    assert_array_equal(camera_coverage(pts, [[0, 0]], -10, 40, 30), got)
    assert_array_equal(camera_coverage(pts, [[0, 0]], 710, 40, 30), got)
    # heading 5, fov 20: bearings 355..15
    got = camera_coverage(pts, [[0, 0]], 5, 20, 30)
    assert {b for b in range(360) if got[b]} == set(range(355, 360)) | set(range(0, 16))


def test_camera_at_the_point_and_domes():
    pts = [[3, 4], [0, 0], [-50, -50]]
    assert camera_coverage(pts, [[3, 4]], 180, 10, 5).tolist() == [1, 0, 0]
    # a 360° dome sees every direction; fov above 360 too
    assert camera_coverage(pts, [[0, 0]], 0, 360, 5).tolist() == [1, 1, 0]
    assert camera_coverage(pts, [[0, 0]], 0, 400, 80).tolist() == [1, 1, 1]
    # fov 0 sees only along the heading
    assert camera_coverage([[0, 5], [0.1, 5]], [[0, 0]], 0, 0, 10).tolist() == [1, 0]


def test_counts_several_cameras_and_per_camera_arrays():
    cams = [[0, 0], [10, 0], [0, 0]]
    pts = [[5, 0], [0, 5], [20, 0]]
    got = camera_coverage(pts, cams, [90, 270, 0], [60, 60, 360], [6, 20, 5])
    # (0, 5): not the east-facing one; the west-facing one at 26.6° off axis; the dome at 5 m
    assert got.tolist() == [3, 2, 0]


def test_agrees_with_brute_force_and_the_loop_on_random_cities():
    rng = np.random.default_rng(7)
    for trial in range(6):
        n, m = 3000, 150
        pts = rng.uniform(0, 1500, (n, 2))
        # points on grid corners and cameras on some of them: ties and zero distances
        pts[:500] = np.round(pts[:500] / 10) * 10
        cams = rng.uniform(0, 1500, (m, 2))
        cams[:30] = pts[:30]
        odd = trial % 2
        heading = rng.choice([0, 45, 90, 180, 270, 359.5], m) if odd else rng.uniform(-720, 720, m)
        fov = np.where(rng.random(m) < 0.2, 360, rng.choice([0, 30, 90, 180, 270], m))
        rr = rng.choice([0, 10, 50, 100, 150, 400], m) if odd else rng.uniform(0, 300, m)
        got = camera_coverage(pts, cams, heading, fov, rr)
        assert_array_equal(got, camera_coverage_brute(pts, cams, heading, fov, rr))
        assert_array_equal(got, camera_coverage_brute(pts, cams, heading, fov, rr, chunk_pairs=7))
        few = slice(0, 300)
        assert_array_equal(got[few], _loop(pts[few], cams, heading, fov, rr))
        assert got.sum() > 0


def test_pairs_and_matrix():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 500, (800, 2))
    cams = rng.uniform(0, 500, (40, 2))
    h, f, r = rng.uniform(0, 360, 40), 90.0, rng.uniform(20, 120, 40)
    ci, pj = camera_pairs(pts, cams, h, f, r)
    a = camera_coverage_matrix(pts, cams, h, f, r)
    assert a.shape == (800, 40)
    assert a.nnz == ci.size
    assert_array_equal(np.asarray(a.sum(axis=1)).ravel(), camera_coverage(pts, cams, h, f, r))
    assert all(a[p, c] for c, p in zip(ci[:50], pj[:50], strict=True))


def test_empty_inputs():
    assert camera_coverage(np.empty((0, 2)), [[0, 0]], 0, 90, 10).tolist() == []
    assert camera_coverage([[1, 1]], np.empty((0, 2)), [], [], []).tolist() == [0]
    assert camera_coverage_brute([[1, 1]], np.empty((0, 2)), [], [], []).tolist() == [0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"points_xy_m": [[1, 2, 3]]}, r"points_xy_m: expected an \(n, 2\) array"),
        ({"cam_xy_m": [[np.nan, 0]]}, r"cam_xy_m: 1 rows not finite"),
        ({"fov_deg": -1}, r"fov_deg: 1 values not finite or below 0"),
        ({"range_m": [10, 20]}, r"range_m: expected a number or one per camera \(1\)"),
        ({"heading_deg": np.inf}, r"heading_deg: 1 values not finite"),
    ],
)
def test_errors_name_the_argument(kwargs, match):
    args = {
        "points_xy_m": [[0, 1]],
        "cam_xy_m": [[0, 0]],
        "heading_deg": 0,
        "fov_deg": 90,
        "range_m": 10,
    } | kwargs
    with pytest.raises(ValueError, match=match):
        camera_coverage(**args)


def test_occlusion_by_footprints():
    cams = [[0, 0]]
    pts = [[0, 50], [20, 50], [0, 10], [0, 25], [-12, 30]]
    house = shapely.box(-5, 20, 5, 30)  # straight ahead, 20-30 m north
    # sees all five without the house
    assert camera_coverage(pts, cams, 0, 90, 100).tolist() == [1, 1, 1, 1, 1]
    got = camera_coverage_occluded(pts, cams, 0, 90, 100, [house])
    # behind the house: blocked; beside it: seen; in front: seen; inside: blocked;
    # the line to (-12, 30) passes beside the house's west wall: seen
    assert got.tolist() == [0, 1, 1, 0, 1]
    # a camera on a wall, looking away from its building, sees out
    wall = shapely.box(-10, -10, 0, 10)
    assert camera_coverage_occluded([[20, 0], [0, 5]], cams, 90, 180, 50, [wall]).tolist() == [
        1,
        1,
    ]
    # no footprints: the same as camera_coverage
    assert camera_coverage_occluded(pts, cams, 0, 90, 100, []).tolist() == [1, 1, 1, 1, 1]


def test_feeds_mclp_as_a_coverage_matrix():
    pts = np.array([[0, 10], [0, 20], [10, 0], [-10, 0]], float)
    cand = np.zeros((4, 2))
    heading = np.array([0, 90, 180, 270], float)
    a = camera_coverage_matrix(pts, cand, heading, 60, 30).astype(float)
    res = MCLP.from_cost_matrix(a, [1, 1, 5, 1], standard_s=1, n_sites=1).solve().result_
    assert res.selected.tolist() == [1]
    assert res.covered_weight == 5


def _occluded_loop(points, cams, heading, fov, rng, footprints):
    """The reference for occlusion: the plain-Python predicate, then each seen pair's segment
    against every footprint, one at a time."""
    m = len(cams)
    out = []
    for p in points:
        n = 0
        for j in range(m):
            if not _loop([p], [cams[j]], [heading[j]], [fov[j]], [rng[j]])[0]:
                continue
            if tuple(p) != tuple(cams[j]):
                seg = shapely.LineString([cams[j], p])
                if any(seg.relate_pattern(f, "T********") for f in footprints):
                    continue
            n += 1
        out.append(n)
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_occlusion_exact_against_brute_force(seed):
    from pingan.coverage import camera_coverage_matrix_occluded

    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 300, (400, 2))
    cams = rng.uniform(0, 300, (25, 2))
    heading = rng.uniform(0, 360, 25)
    fov = rng.choice([60.0, 90.0, 360.0], 25)
    rngm = rng.uniform(40, 120, 25)
    corners = rng.uniform(0, 280, (30, 2))
    sizes = rng.uniform(5, 25, (30, 2))
    houses = [
        shapely.box(x, y, x + w, y + h) for (x, y), (w, h) in zip(corners, sizes, strict=True)
    ]
    houses = list(shapely.unary_union(houses).geoms)  # footprints do not overlap
    want = _occluded_loop(pts, cams, heading, fov, rngm, houses)
    got = camera_coverage_occluded(pts, cams, heading, fov, rngm, houses)
    np.testing.assert_array_equal(got, want)
    a = camera_coverage_matrix_occluded(pts, cams, heading, fov, rngm, houses)
    np.testing.assert_array_equal(np.asarray(a.sum(axis=1)).ravel(), want)
    assert (got <= camera_coverage(pts, cams, heading, fov, rngm)).all()
    assert (got < camera_coverage(pts, cams, heading, fov, rngm)).any()  # something is blocked
