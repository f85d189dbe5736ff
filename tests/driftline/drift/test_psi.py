"""PSI: values by hand, reference quantile bins, chi-square approximation, categories."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from driftline.drift import PSI, CategoricalPSI, psi


def test_psi_by_hand() -> None:
    # r = (0.5, 0.5), c = (0.6, 0.4): 0.1 ln(1.2) + (-0.1) ln(0.8)
    expected = 0.1 * math.log(0.6 / 0.5) + (-0.1) * math.log(0.4 / 0.5)
    assert psi(np.array([50, 50]), np.array([60, 40])) == pytest.approx(expected)


def test_empty_bin_is_floored_not_infinite() -> None:
    value = psi(np.array([100, 0]), np.array([50, 50]), epsilon=1e-4)
    r = np.maximum(np.array([1.0, 0.0]), 1e-4)
    r /= r.sum()
    c = np.array([0.5, 0.5])
    assert value == pytest.approx(float(np.sum((c - r) * np.log(c / r))))


def test_reference_deciles_hold_a_tenth_each() -> None:
    rng = np.random.default_rng(0)
    r = PSI().test(rng.normal(size=1000), rng.normal(size=700))
    assert r.details["reference_counts"] == (100,) * 10
    assert sum(r.details["current_counts"]) == 700
    assert len(r.details["bin_edges"]) == 9


def test_chi_square_approximation() -> None:
    rng = np.random.default_rng(1)
    r = PSI().test(rng.normal(size=800), rng.normal(0.1, 1, 1200))
    statistic = r.effect_size / (1 / 800 + 1 / 1200)
    assert r.statistic == pytest.approx(statistic)
    assert r.p_value == pytest.approx(stats.chi2.sf(statistic, 9))


def test_ties_merge_bins() -> None:
    rng = np.random.default_rng(2)
    r = PSI().test(rng.integers(0, 3, 500), rng.integers(0, 3, 500))
    assert r.details["bin_edges"] == (0.0, 1.0, 2.0)  # nine deciles, three distinct values
    assert r.details["reference_counts"][-1] == 0  # the bin above the reference maximum
    assert r.details["dof"] == 2


def test_siddiqi_bands() -> None:
    big = CategoricalPSI().test_counts({"a": 500, "b": 500}, {"a": 200, "b": 800})
    assert big.details["band"] == "significant" and big.effect_size > 0.25
    mid = CategoricalPSI().test_counts({"a": 500, "b": 500}, {"a": 300, "b": 700})
    assert mid.details["band"] == "moderate"


def test_categorical_psi_unseen_level_weighs_heavily() -> None:
    r = CategoricalPSI().test(["a"] * 500 + ["b"] * 500, ["a"] * 450 + ["b"] * 450 + ["new"] * 100)
    assert r.details["unseen_levels"] == ("new",)
    assert r.effect_size > 0.25 and r.is_drift


@pytest.mark.parametrize("discrete", [False, True])
def test_same_sample_has_zero_psi(discrete: bool) -> None:
    x = np.random.default_rng(3).normal(size=999)
    x = np.round(x) if discrete else x
    r = PSI().test(x, x.copy())
    assert r.details["reference_counts"] == r.details["current_counts"]
    assert r.effect_size == pytest.approx(0.0, abs=1e-12) and r.p_value == pytest.approx(1.0)
