"""Calibration maps of a fitted model's probabilities: they repair monotone distortions."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.errors import ConfigError
from driftline.estimate import ProbabilityCalibration


def _ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.minimum((p * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(p[edges == b].mean() - y[edges == b].mean()) * (edges == b).mean()
            for b in range(bins)
            if (edges == b).any()
        )  # fmt: skip
    )


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_a_distorted_binary_model_is_recalibrated(method):
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, 6000)
    y = (rng.random(6000) < 1 / (1 + np.exp(-z))).astype(int)
    s = 1 / (1 + np.exp(-3 * z))  # over-confident
    proba = np.c_[1 - s, s]
    cal = ProbabilityCalibration(method).fit(proba[:3000], y[:3000])
    q = cal.transform(proba[3000:])
    assert np.allclose(q.sum(axis=1), 1.0)
    assert _ece(q[:, 1], y[3000:]) < 0.03 < _ece(s[3000:], y[3000:])


def test_multiclass_rows_are_renormalised():
    rng = np.random.default_rng(1)
    p = rng.dirichlet([1, 1, 1], 2000)
    y = np.array([rng.choice(3, p=row**2 / (row**2).sum()) for row in p])
    q = ProbabilityCalibration().fit(p, y).transform(p)
    assert np.allclose(q.sum(axis=1), 1.0) and (q >= 0).all()
    assert abs(q[:, 0].mean() - (y == 0).mean()) < 0.02


def test_none_passes_through_and_unknown_methods_are_refused():
    p = np.array([[0.3, 0.7], [0.9, 0.1]])
    assert np.allclose(ProbabilityCalibration("none").fit(p, np.array([1, 0])).transform(p), p)
    with pytest.raises(ConfigError, match="calibration method"):
        ProbabilityCalibration("beta").fit(p, np.array([1, 0]))
    with pytest.raises(ConfigError, match="not fitted"):
        ProbabilityCalibration().transform(p)


def test_platt_with_one_class_only_predicts_it():
    p = np.array([[0.3, 0.7], [0.6, 0.4]])
    q = ProbabilityCalibration("sigmoid").fit(p, np.array([1, 1])).transform(p)
    assert np.allclose(q[:, 1], 1.0)
