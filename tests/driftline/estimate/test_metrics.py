"""Realized metrics agree with scikit-learn; expected metrics and spreads with label draws."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from driftline.estimate import metrics as m


@pytest.mark.parametrize("k", [2, 3])
def test_realized_metrics_equal_scikit_learn(k):
    rng = np.random.default_rng(k)
    n = 600
    codes = rng.integers(0, k, n)
    proba = rng.dirichlet(np.ones(k), n)
    proba[:50] = proba[0]  # ties in the scores
    pred = proba.argmax(axis=1)
    average = "binary" if k == 2 else "macro"
    assert m.accuracy(codes, pred) == pytest.approx(accuracy_score(codes, pred))
    assert m.f1(codes, pred, k) == pytest.approx(f1_score(codes, pred, average=average))
    scores = proba[:, 1] if k == 2 else proba
    assert m.roc_auc(codes, proba, k) == pytest.approx(
        roc_auc_score(codes, scores, multi_class="ovr")
    )


def test_metrics_of_a_draw_matrix_are_per_draw():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2, (5, 100))
    proba = rng.dirichlet([1, 1], 100)
    pred = proba.argmax(axis=1)
    per_draw = m.roc_auc(codes, proba, 2)
    assert per_draw.shape == (5,)
    assert per_draw[3] == pytest.approx(roc_auc_score(codes[3], proba[:, 1]))
    assert m.f1(codes, pred, 2)[1] == pytest.approx(f1_score(codes[1], pred))


def test_auc_is_nan_without_both_classes():
    assert np.isnan(m.roc_auc(np.zeros(10, int), np.linspace(0, 1, 10), 2))


@pytest.mark.parametrize("k", [2, 3])
def test_expected_metrics_are_the_mean_over_label_draws(k):
    """Point estimates: the exact expectation (accuracy) and ratios of expectations (F1,
    AUC), close to the mean realized value when labels are drawn from ``q`` (4,000 draws)."""
    rng = np.random.default_rng(10 + k)
    q = rng.dirichlet(np.ones(k) * 0.7, 800)
    scores = q + rng.normal(0, 0.05, q.shape)  # a model ranking rows nearly as q does
    pred = scores.argmax(axis=1)
    draws = m.sample_codes(q, 4000, rng)
    assert m.expected_accuracy(q, pred) == pytest.approx(m.accuracy(draws, pred).mean(), abs=2e-3)
    assert m.expected_f1(q, pred) == pytest.approx(m.f1(draws, pred, k).mean(), abs=3e-3)
    assert m.expected_roc_auc(q, scores) == pytest.approx(
        np.nanmean(m.roc_auc(draws, scores, k)), abs=3e-3
    )


def test_sampled_codes_follow_the_probabilities():
    rng = np.random.default_rng(1)
    q = np.tile([0.2, 0.5, 0.3], (50, 1))
    draws = m.sample_codes(q, 2000, rng)
    shares = np.bincount(draws.ravel(), minlength=3) / draws.size
    assert shares == pytest.approx([0.2, 0.5, 0.3], abs=0.01)


def test_binary_spreads_match_label_draws():
    rng = np.random.default_rng(3)
    for trial in range(5):
        n = int(rng.integers(100, 800))
        q1 = rng.beta(0.6, 0.6, n)
        scores = q1 + rng.normal(0, 0.1, n)
        pred = (scores > 0.5).astype(int)
        sd = m.binary_sd(q1, pred, scores)
        draws = (rng.random((6000, n)) < q1).astype(int)
        mc = {
            "accuracy": m.accuracy(draws, pred).std(),
            "f1": m.f1(draws, pred, 2).std(),
            "roc_auc": np.nanstd(m.roc_auc(draws, scores, 2)),
        }
        for metric, value in sd.items():
            assert value == pytest.approx(mc[metric], rel=0.08), (trial, metric)
