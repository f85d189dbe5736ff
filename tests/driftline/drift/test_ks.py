"""Kolmogorov-Smirnov: agreement with scipy and behaviour on ties and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.drift import KolmogorovSmirnov
from driftline.drift.statistics import EXACT_MAX_N, ks_statistic


@pytest.mark.parametrize(
    ("n", "m", "discrete"),
    [(50, 70, False), (500, 500, False), (300, 800, True), (EXACT_MAX_N + 500, 12_000, False)],
)
def test_statistic_and_p_value_equal_scipy(n: int, m: int, discrete: bool) -> None:
    rng = np.random.default_rng(n + m)
    a, b = rng.normal(size=n), rng.normal(0.1, 1.0, m)
    if discrete:
        a, b = np.round(a * 2), np.round(b * 2)  # many ties
    result = KolmogorovSmirnov().test(a, b)
    expected = stats.ks_2samp(a, b, method="auto")
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.effect_size == result.statistic
    exact = max(n, m) <= EXACT_MAX_N
    # above EXACT_MAX_N scipy's kstwo and Stephens' form are both approximations of the
    # exact two-sample p-value (here 6.968e-8: kstwo 6.981e-8, Stephens 6.813e-8)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6 if exact else 0.03, abs=1e-12)
    assert result.details["p_method"] == ("exact" if exact else "asymptotic")


def test_statistic_by_hand() -> None:
    # F_ref jumps at 1, 2, 3; F_cur at 2.5, 3.5. At x = 2: 2/3 - 0 = 0.667.
    assert ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5])) == pytest.approx(2 / 3)


def test_identical_samples_have_no_drift() -> None:
    x = np.random.default_rng(0).normal(size=200)
    r = KolmogorovSmirnov().test(x, x.copy())
    assert r.statistic == 0.0 and r.p_value == 1.0 and not r.is_drift


def test_shape_change_without_mean_change_is_detected() -> None:
    rng = np.random.default_rng(1)
    r = KolmogorovSmirnov().test(rng.normal(0, 1, 2000), rng.normal(0, 1.5, 2000))
    assert r.is_drift
