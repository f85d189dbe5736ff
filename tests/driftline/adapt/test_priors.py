"""Label shift: prior estimation (BBSE, EM) and the corrected model (seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from driftline.adapt import (
    BlackBoxShiftEstimator,
    EMPriorEstimator,
    PriorCorrectedClassifier,
    PriorEstimate,
    PriorShiftCorrection,
    prediction_shift,
    recalibrate_priors,
)
from driftline.errors import ConfigError, DataError
from driftline.training import ModelSpec

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="sgd")


def draw(prior: float, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Label shift: p(x|y) fixed (two Gaussians), p(y=1) = prior."""
    y = (rng.random(n) < prior).astype(int)
    x = rng.normal(0, 1, size=(n, 2)) + 1.5 * y[:, None]
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(10)
    train, holdout = draw(0.5, 5000, rng), draw(0.5, 5000, rng)
    model = LogisticRegression().fit(train[["x1", "x2"]], train.y)
    return model, holdout, rng


@pytest.mark.parametrize("estimator", [BlackBoxShiftEstimator(), EMPriorEstimator()])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prior_moved_from_half_to_fifth_is_estimated_within_003(fitted, estimator, seed):
    model, holdout, _ = fitted
    shifted = draw(0.2, 5000, np.random.default_rng(100 + seed))
    est = estimator.estimate(
        model.predict_proba(holdout[["x1", "x2"]]),
        holdout.y,
        model.predict_proba(shifted[["x1", "x2"]]),
        classes=model.classes_,
    )
    assert abs(est.priors[1] - 0.2) < 0.03, est
    assert abs(sum(est.priors) - 1) < 1e-9 and est.converged
    assert abs(est.reference_priors[1] - 0.5) < 0.03


@pytest.mark.parametrize(
    "estimator, p95",
    [
        (BlackBoxShiftEstimator(), 0.02),
        (BlackBoxShiftEstimator(soft=False), 0.03),
        (EMPriorEstimator(), 0.02),
    ],
)
def test_prior_error_distribution_over_seeds(fitted, estimator, p95):
    """Over 60 seeded batches (prior 0.5 -> 0.2, n = 5,000) the 95th percentile of the
    absolute error stays under ``p95``; measured: soft BBSE 0.016, hard 0.028, EM 0.018
    (mean absolute error 0.008, 0.014, 0.007)."""
    model, holdout, _ = fitted
    ref_p = model.predict_proba(holdout[["x1", "x2"]])
    errors = []
    for seed in range(60):
        cur = draw(0.2, 5000, np.random.default_rng(1000 + seed))
        est = estimator.estimate(ref_p, holdout.y, model.predict_proba(cur[["x1", "x2"]]))
        errors.append(abs(est.priors[1] - 0.2))
    assert np.quantile(errors, 0.95) < p95, np.quantile(errors, 0.95)


def test_no_shift_gives_reference_priors_and_calibrated_error(fitted):
    """Under no shift the BBSE error is small across 20 seeds (sd at n=5000 about 0.01)."""
    model, holdout, _ = fitted
    ref_p = model.predict_proba(holdout[["x1", "x2"]])
    errors = []
    for seed in range(20):
        cur = draw(0.5, 5000, np.random.default_rng(200 + seed))
        est = BlackBoxShiftEstimator().estimate(
            ref_p, holdout.y, model.predict_proba(cur[["x1", "x2"]])
        )
        errors.append(est.priors[1] - np.mean(cur.y))
    assert abs(np.mean(errors)) < 0.01 and np.std(errors) < 0.02


def test_corrected_model_has_lower_log_loss_on_the_shifted_batch(fitted):
    model, holdout, _ = fitted
    shifted = draw(0.2, 5000, np.random.default_rng(7))
    unlabelled = shifted.drop(columns="y")
    adapted = recalibrate_priors(model, SPEC, holdout, unlabelled)
    assert adapted.accepted and adapted.model is not None
    X = shifted[["x1", "x2"]]
    before = log_loss(shifted.y, model.predict_proba(X))
    after = log_loss(shifted.y, adapted.model.predict_proba(X))
    assert after < before - 0.02, (before, after)
    acc_before = np.mean(model.predict(X) == shifted.y)
    acc_after = np.mean(adapted.model.predict(X) == shifted.y)
    assert acc_after > acc_before
    # the gate rows are the hold-out resampled toward the new priors
    assert abs(adapted.holdout.y.mean() - 0.2) < 0.05
    report = adapted.to_dict()
    assert report["prior_estimate"]["method"] == "bbse"
    # re-correcting a corrected model replaces the correction instead of stacking it
    again = recalibrate_priors(adapted.model, SPEC, holdout, unlabelled)
    assert again.model.base is model


def test_correction_formula_and_round_trip():
    c = PriorShiftCorrection(("a", "b"), (0.5, 0.5), (0.2, 0.8))
    out = c.apply(np.array([[0.5, 0.5], [0.8, 0.2]]))
    np.testing.assert_allclose(out, [[0.2, 0.8], [0.5, 0.5]])
    assert PriorShiftCorrection.from_dict(c.to_dict()) == c
    est = PriorEstimate("em", (0, 1), (0.5, 0.5), (0.7, 0.3), 10, 10, 5, True)
    assert PriorEstimate.from_dict(est.to_dict()) == est


def test_bad_inputs_raise_clear_errors(fitted):
    model, holdout, _ = fitted
    p = model.predict_proba(holdout[["x1", "x2"]])
    with pytest.raises(DataError, match="not probabilities"):
        BlackBoxShiftEstimator().estimate(p * 2, holdout.y, p)
    with pytest.raises(DataError, match="shape"):
        BlackBoxShiftEstimator().estimate(p[:, 0], holdout.y, p)
    with pytest.raises(DataError, match="columns"):
        BlackBoxShiftEstimator().estimate(p, holdout.y, np.c_[p, np.zeros(len(p))])
    with pytest.raises(DataError, match="not one of the classes"):
        BlackBoxShiftEstimator().estimate(p, holdout.y + 5, p)
    with pytest.raises(DataError, match="never occur"):
        BlackBoxShiftEstimator().estimate(p, np.zeros(len(p), int), p)
    with pytest.raises(DataError, match="min_rows"):
        BlackBoxShiftEstimator().estimate(p[:5], holdout.y[:5], p)
    with pytest.raises(ConfigError, match="max_iter"):
        EMPriorEstimator(max_iter=0).estimate(p, holdout.y, p)
    with pytest.raises(ConfigError, match="priors"):
        PriorShiftCorrection((0, 1), (0.5, 0.5), (0.9, 0.9))
    with pytest.raises(ConfigError, match="classes"):
        PriorCorrectedClassifier(model, PriorShiftCorrection(("a", "b"), (0.5, 0.5), (0.5, 0.5)))
    with pytest.raises(ConfigError, match="classifier"):
        recalibrate_priors(model, ModelSpec("regression", "y", numeric=("x1",)), holdout, holdout)


def test_a_shift_no_prior_change_explains_is_refused_with_its_reason(fitted):
    """Covariate shift beyond the class-1 mean: the champion predicts class 1 for more
    rows than its true-positive rate allows under any prior, so BBSE leaves the simplex."""
    model, holdout, _ = fitted
    rng = np.random.default_rng(9)
    far = pd.DataFrame({"x1": rng.normal(3.0, 0.5, 2000), "x2": rng.normal(3.0, 0.5, 2000)})
    adapted = recalibrate_priors(model, SPEC, holdout, far)
    assert not adapted.accepted and adapted.model is None and adapted.holdout is None
    assert adapted.reason.startswith("refused") and "contradict a label shift" in adapted.reason
    assert adapted.estimate.clipped and adapted.to_dict()["accepted"] is False


def test_prediction_shift_false_alarms_and_power(fitted):
    """BBSD, as the DAG runs it on an unlabelled batch: calibrated under no shift, and it
    sees a prior change of 0.5 -> 0.35 at n = 1000 (seeded, 200 batches each)."""
    model, holdout, _ = fitted
    ref = holdout[["x1", "x2"]].iloc[:2000]
    rng = np.random.default_rng(11)
    same = [prediction_shift(model, ref, draw(0.5, 1000, rng)[["x1", "x2"]]) for _ in range(200)]
    moved = [prediction_shift(model, ref, draw(0.35, 1000, rng)[["x1", "x2"]]) for _ in range(200)]
    false_alarms = np.mean([r.is_drift for r in same])
    power = np.mean([r.is_drift for r in moved])
    assert false_alarms <= 0.08, false_alarms  # alpha 0.05 + 3 binomial sd
    assert power >= 0.9, power
    assert {r.kind for r in moved} == {"label"}


def test_prediction_shift_tests_a_corrected_model_through_its_base(fitted):
    model, holdout, rng = fitted
    X = holdout[["x1", "x2"]]
    corrected = PriorCorrectedClassifier(
        model, PriorShiftCorrection(classes=(0, 1), reference_priors=(0.5, 0.5), priors=(0.2, 0.8))
    )
    batch = draw(0.5, 2000, np.random.default_rng(12))[["x1", "x2"]]
    a, b = prediction_shift(corrected, X, batch), prediction_shift(model, X, batch)
    assert a.p_value == b.p_value and a.statistic == b.statistic


def test_prediction_shift_needs_probabilities(fitted):
    from sklearn.svm import LinearSVC

    _, holdout, _ = fitted
    svc = LinearSVC().fit(holdout[["x1", "x2"]], holdout.y)
    with pytest.raises(ConfigError, match="no predict_proba"):
        prediction_shift(svc, holdout[["x1", "x2"]], holdout[["x1", "x2"]])
