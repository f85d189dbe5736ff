"""Chi-square test of homogeneity and Cramér's V."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftline.drift import ChiSquare, chi2_homogeneity


def test_cramers_v_on_a_hand_computed_table() -> None:
    # reference: a=30, b=70; current: a=50, b=50. N = 200, column totals 80 and 120.
    # expected: 40 / 60 in both rows; chi2 = 2 * (10^2/40 + 10^2/60) = 8.3333
    r = ChiSquare().test_counts({"a": 30, "b": 70}, {"a": 50, "b": 50})
    chi2 = 2 * (100 / 40 + 100 / 60)
    assert r.statistic == pytest.approx(chi2)
    assert r.effect_size == pytest.approx(math.sqrt(chi2 / 200))  # V = sqrt(chi2 / (N (2-1)))
    assert r.p_value == pytest.approx(stats.chi2.sf(chi2, 1))
    assert r.details["dof"] == 1


def test_agrees_with_scipy_contingency() -> None:
    ref, cur = np.array([120, 80, 40, 60]), np.array([100, 110, 30, 60])
    chi2, p, dof, _ = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    h = chi2_homogeneity(ref, cur)
    assert (h.chi2, h.dof) == (pytest.approx(chi2), dof)
    assert h.p_value == pytest.approx(p)


def test_unseen_and_vanished_levels_are_listed() -> None:
    ref = ["a"] * 300 + ["b"] * 300 + ["gone"] * 50
    cur = ["a"] * 300 + ["b"] * 250 + ["new"] * 80 + ["newer"] * 20
    r = ChiSquare().test(ref, cur, column="city")
    assert r.details["unseen_levels"] == ("new", "newer")  # most frequent first
    assert r.details["n_unseen_levels"] == 2
    assert r.details["unseen_share_current"] == pytest.approx(100 / 650)
    assert r.details["vanished_levels"] == ("gone",)
    assert r.details["vanished_share_reference"] == pytest.approx(50 / 650)
    assert r.is_drift


def test_missing_values_are_their_own_level() -> None:
    ref = ["a"] * 500 + ["b"] * 500
    cur = ["a"] * 400 + ["b"] * 400 + [None] * 100 + [float("nan")] * 100
    r = ChiSquare().test(np.array(ref, dtype=object), np.array(cur, dtype=object))
    assert r.details["unseen_levels"] == ("<null>",)  # None and NaN are one level
    assert r.details["n_levels"] == 3


def test_rare_levels_are_pooled() -> None:
    ref = np.array([500, 500] + [1] * 30)
    cur = np.array([500, 500] + [1] * 30)
    h = chi2_homogeneity(ref, cur)
    assert h.n_pooled_levels == 30 and h.dof == 2
    assert h.chi2 == pytest.approx(0.0)


def test_single_level_is_no_drift() -> None:
    r = ChiSquare().test(["x"] * 10, ["x"] * 20)
    assert r.statistic == 0.0 and r.p_value == 1.0 and r.effect_size == 0.0


def test_counts_and_samples_give_the_same_result() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.choice(list("abcd"), 900), rng.choice(list("abce"), 700)
    from_samples = ChiSquare().test(ref, cur)
    levels_r, counts_r = np.unique(ref, return_counts=True)
    levels_c, counts_c = np.unique(cur, return_counts=True)
    from_counts = ChiSquare().test_counts(
        dict(zip(levels_r, counts_r, strict=True)), dict(zip(levels_c, counts_c, strict=True))
    )
    assert from_counts.statistic == pytest.approx(from_samples.statistic)
    assert from_counts.details["unseen_levels"] == from_samples.details["unseen_levels"]


def test_mixed_types_and_integers() -> None:
    r = ChiSquare().test(np.array([1, 2, 2, 3] * 50), np.array(["1", "2", "2", "3"] * 50))
    assert r.details["n_levels"] == 6  # 1 and "1" are different levels
