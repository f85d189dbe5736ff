"""Wasserstein: distance, scale, permutation p-value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftline.drift import Wasserstein


def test_distance_equals_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.exponential(size=300), rng.normal(1, 2, 450)
    r = Wasserstein(n_permutations=0).test(a, b)
    assert r.statistic == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-10)
    assert r.details["distance"] == r.statistic
    assert r.p_value is None


def test_effect_is_location_shift_in_reference_sd() -> None:
    a = np.linspace(-3, 3, 1001)
    r = Wasserstein(n_permutations=0).test(a, a + 0.25 * a.std(ddof=1))
    assert r.effect_size == pytest.approx(0.25, rel=1e-9)
    assert r.details["scale_kind"] == "std"


def test_constant_reference_falls_back_to_absolute_distance() -> None:
    r = Wasserstein(n_permutations=0).test(np.zeros(50), np.full(50, 2.0))
    assert r.details["scale_kind"] == "none" and r.effect_size == pytest.approx(2.0)


def test_permutation_p_value_resolution_and_determinism() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=400), rng.normal(1.0, 1.0, 400)
    r = Wasserstein(n_permutations=99, seed=3).test(a, b)
    assert r.p_value == pytest.approx(1 / 100)  # nothing as extreme: the floor 1/(B+1)
    same = Wasserstein(n_permutations=99, seed=3).test(a, b)
    assert same.to_dict() == r.to_dict()


def test_p_value_is_one_for_identical_samples() -> None:
    x = np.random.default_rng(2).normal(size=100)
    assert Wasserstein(n_permutations=50).test(x, x.copy()).p_value == 1.0


def test_permutation_batches_cover_all_permutations(monkeypatch: pytest.MonkeyPatch) -> None:
    import driftline.drift.wasserstein as mod

    rng = np.random.default_rng(4)
    a, b = rng.normal(size=60), rng.normal(0.2, 1, 60)
    whole = Wasserstein(n_permutations=101, seed=5).test(a, b).p_value
    monkeypatch.setattr(mod, "_CELLS_PER_BATCH", 120 * 7)  # 7 permutations per batch
    batched = Wasserstein(n_permutations=101, seed=5).test(a, b).p_value
    assert batched == whole  # rows are shuffled in stream order: batching is invisible
    assert 0.01 < whole < 1


def test_early_stopping_reports_h_over_l() -> None:
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=300), rng.normal(size=300)
    full = Wasserstein(n_permutations=999, stop_after=None).test(a, b).p_value
    early = Wasserstein(n_permutations=999, stop_after=5).test(a, b).p_value
    assert full is not None and early is not None and full > 0.2
    draws = 5 / early
    assert draws == pytest.approx(round(draws)) and 5 <= round(draws) <= 999
    assert early == pytest.approx(full, abs=0.35)  # both estimate the same p-value


def test_large_samples_use_the_brownian_bridge_limit() -> None:
    rng = np.random.default_rng(7)
    for shift in (0.0, 0.05, 0.09):
        a, b = rng.normal(size=2500), rng.normal(shift, 1.0, 2500)
        exact = Wasserstein(n_permutations=1000, stop_after=None).test(a, b)
        limit = Wasserstein(n_permutations=1000, max_exact=1000).test(a, b)
        assert exact.details["p_method"] == "permutation"
        assert limit.details["p_method"] == "asymptotic"
        assert limit.p_value == pytest.approx(exact.p_value, abs=0.06)
        assert limit.statistic == exact.statistic


@pytest.mark.slow
def test_brownian_bridge_p_value_is_calibrated() -> None:
    rng = np.random.default_rng(8)
    alarms = 0
    for seed in range(200):
        a, b = rng.gamma(2.0, size=3000), rng.gamma(2.0, size=2000)
        p = Wasserstein(n_permutations=199, max_exact=1000, seed=seed).test(a, b).p_value
        alarms += p is not None and p < 0.05
    print(f"\nWasserstein (Brownian-bridge limit): false-alarm rate {alarms / 200:.3f}")
    assert alarms / 200 <= 0.07
