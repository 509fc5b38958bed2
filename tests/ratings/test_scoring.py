"""The vectorised rating kernel against a per-premises brute-force loop, and the criteria file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pingan.errors import Invalid
from pingan.ratings.criteria import DEFAULT_FILE, load_criteria
from pingan.ratings.scoring import ScoreInput, score
from tests.ratings.reference import loop_score, synthetic


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_the_per_premises_loop(seed: int) -> None:
    crit = load_criteria(DEFAULT_FILE)
    inp = synthetic(300, seed, cameras=400, incidents=3000, hazards=60)
    res = score(crit, inp)
    points, stars = loop_score(crit, inp)
    assert_allclose(res.points, points)
    assert_array_equal(res.stars, stars)
    assert set(np.unique(res.stars)) >= {2, 3, 4}  # a spread, not one value


def test_stars_and_colours_follow_the_thresholds() -> None:
    crit = load_criteria(DEFAULT_FILE)
    assert_array_equal(
        crit.stars_of(np.array([0.0, 0.39, 0.4, 0.6, 0.75, 0.9, 1.0])), [1, 1, 2, 3, 4, 5, 5]
    )
    assert [crit.colours[n] for n in range(1, 6)] == ["red", "red", "yellow", "green", "green"]


def test_empty_city_scores_nothing() -> None:
    z = np.zeros((0, 2))
    inp = ScoreInput(
        [], z, np.zeros((0, 5), bool), np.zeros(0, bool), z, z, np.zeros(0, np.int64), z
    )
    res = score(load_criteria(DEFAULT_FILE), inp)
    assert res.points.shape == (0, 10)


def test_a_bad_criteria_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "c.yaml"
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace("type: cameras", "type: drones")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(Invalid, match=r"items\.cameras\.type: use one of feature, cameras"):
        load_criteria(bad)
    bad.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace("  4: 0.75", "  4: 0.95"),
        encoding="utf-8",
    )
    with pytest.raises(Invalid, match="stars: thresholds must not fall as stars rise"):
        load_criteria(bad)
