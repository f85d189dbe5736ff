"""Jensen-Shannon distance and its permutation p-value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import distance

from driftline.drift import JensenShannon, js_distance


def test_distance_equals_scipy_without_smoothing() -> None:
    ref, cur = np.array([10, 20, 30, 0]), np.array([5, 25, 20, 10])
    expected = distance.jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2)
    assert js_distance(ref, cur, smoothing=0) == pytest.approx(expected)


def test_smoothing_adds_pseudo_counts() -> None:
    ref, cur = np.array([10, 0]), np.array([0, 10])
    expected = distance.jensenshannon([10.5, 0.5], [0.5, 10.5], base=2)
    assert js_distance(ref, cur, smoothing=0.5) == pytest.approx(expected)


def test_rows_are_independent_pairs() -> None:
    ref = np.array([[10, 20], [5, 5]])
    cur = np.array([[20, 10], [5, 5]])
    out = js_distance(ref, cur)
    assert out[0] == pytest.approx(js_distance(ref[0], cur[0])) and out[1] == 0


def test_p_value_floor_and_determinism() -> None:
    ref = ["a"] * 500 + ["b"] * 500
    cur = ["a"] * 300 + ["b"] * 700
    r = JensenShannon(n_permutations=199, seed=1).test(ref, cur)
    assert r.p_value == pytest.approx(1 / 200)
    assert JensenShannon(n_permutations=199, seed=1).test(ref, cur) == r


def test_no_shift_gives_large_p_and_no_permutations_gives_none() -> None:
    ref = ["a"] * 500 + ["b"] * 500
    r = JensenShannon(n_permutations=200).test(ref, list(ref))
    assert r.effect_size == 0 and r.p_value == 1.0
    assert JensenShannon(n_permutations=0).test(ref, ref).p_value is None
