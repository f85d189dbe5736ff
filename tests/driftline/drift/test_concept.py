"""Performance drop on newly labelled data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from driftline.drift import PerformanceDrop
from driftline.errors import DataError


def test_z_test_by_hand() -> None:
    ref = np.r_[np.ones(850), np.zeros(150)]
    cur = np.r_[np.ones(800), np.zeros(200)]
    r = PerformanceDrop().test(ref, cur)
    pooled = (850 + 800) / 2000
    z = 0.05 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert r.statistic == pytest.approx(z)
    assert r.p_value == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))
    assert r.effect_size == pytest.approx(0.05)
    assert r.details["ci_low"] < 0.05 < r.details["ci_high"]
    assert r.is_drift


def test_bootstrap_interval_covers_the_true_drop() -> None:
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(100):
        r = PerformanceDrop(seed=int(rng.integers(1000))).test(
            rng.random(800) < 0.8, rng.random(800) < 0.75
        )
        covered += r.details["ci_low"] <= 0.05 <= r.details["ci_high"]
    assert covered >= 88  # nominal 95 %


def test_pairs_equal_correctness_vectors() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 500)
    pred_ref = np.where(rng.random(500) < 0.9, y, (y + 1) % 3)
    pred_cur = np.where(rng.random(500) < 0.7, y, (y + 1) % 3)
    from_pairs = PerformanceDrop().test((y, pred_ref), (y, pred_cur))
    from_vectors = PerformanceDrop().test(pred_ref == y, pred_cur == y)
    assert from_pairs.to_dict() == from_vectors.to_dict()


def test_custom_metric_uses_bootstrap() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 600)
    good = np.where(rng.random(600) < 0.9, y, 1 - y)
    bad = np.where(rng.random(600) < 0.7, y, 1 - y)
    test = PerformanceDrop(metric=balanced_accuracy_score, n_bootstrap=200)
    r = test.test((y, good), (y, bad))
    assert r.details["metric"] == "balanced_accuracy_score"
    assert r.effect_size == pytest.approx(
        balanced_accuracy_score(y, good) - balanced_accuracy_score(y, bad)
    )
    assert r.p_value == pytest.approx(1 / 201) and r.is_drift
    with pytest.raises(DataError, match="pass \\(y_true, y_pred\\) pairs"):
        test.test(good == y, bad == y)


def test_improvement_is_not_drift() -> None:
    r = PerformanceDrop().test(
        np.r_[np.ones(700), np.zeros(300)], np.r_[np.ones(900), np.zeros(100)]
    )
    assert r.effect_size < 0 and r.p_value > 0.5 and not r.is_drift


def test_perfect_models_on_both_sides() -> None:
    r = PerformanceDrop().test(np.ones(50), np.ones(50))
    assert r.p_value == 1.0 and r.effect_size == 0.0
