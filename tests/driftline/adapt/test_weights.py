"""Covariate shift: importance weights, ESS refusal, weighted vs unweighted retraining (seeded)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.adapt import (
    ImportanceWeighting,
    InsufficientOverlap,
    effective_sample_size,
    importance_resample,
    reweight_retrain,
)
from driftline.errors import ConfigError, DataError, ModelError
from driftline.training import FullRetrain, ModelSpec, Window

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="sgd", seed=0)


def draw(mean: float, sd: float, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Covariate shift: x1 ~ N(mean, sd), x2 ~ N(0, 1.5); y = 1[x2 > x1^2 - 1] (fixed p(y|x)).

    A linear model is misspecified for the parabola: fitted on x1 near 0 it learns a flat
    boundary; where x1 is near 1.5 the boundary has slope 3.
    """
    x1 = rng.normal(mean, sd, n)
    x2 = rng.normal(0.0, 1.5, n)
    y = (x2 > x1**2 - 1 + rng.normal(0, 0.1, n)).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


def accuracy(model, frame):
    return float(np.mean(model.predict(frame[["x1", "x2"]]) == frame.y))


def test_weighted_retrain_beats_unweighted_on_the_shifted_distribution():
    rng = np.random.default_rng(3)
    reference = draw(0.0, 1.0, 6000, rng)
    holdout = draw(0.0, 1.0, 2000, rng)
    shifted = draw(1.3, 0.5, 4000, rng)  # labels only used to score
    adapted = reweight_retrain(
        SPEC, reference, shifted.drop(columns="y"), reference_holdout=holdout, seed=0
    )
    assert adapted.accepted, adapted.reason
    unweighted = FullRetrain(Window.all()).train(SPEC, reference).model
    weighted_acc, plain_acc = accuracy(adapted.model, shifted), accuracy(unweighted, shifted)
    assert weighted_acc > plain_acc + 0.03, (weighted_acc, plain_acc)
    w = adapted.weights
    assert 0.05 < w.ess_ratio < 0.9 and abs(w.weights.mean() - 1) < 1e-9
    # the gate rows lean toward the new region of x1
    assert adapted.holdout.x1.mean() > holdout.x1.mean() + 0.5
    assert len(adapted.holdout) == pytest.approx(
        effective_sample_size(
            ImportanceWeighting()
            .fit(reference[["x1", "x2"]], shifted[["x1", "x2"]])
            .ratio(holdout[["x1", "x2"]])
        ),
        rel=0.2,
    )
    assert adapted.to_dict()["importance_weights"]["accepted"] is True


def test_too_small_effective_sample_size_is_refused_with_its_reason():
    rng = np.random.default_rng(4)
    reference = draw(0.0, 1.0, 3000, rng)
    far = draw(4.0, 0.3, 2000, rng).drop(columns="y")  # almost no reference rows near x1 = 4
    adapted = reweight_retrain(SPEC, reference, far, seed=0)
    assert not adapted.accepted and adapted.model is None
    assert "effective sample size" in adapted.reason and "below the floor" in adapted.reason
    assert adapted.weights.ess < 0.1 * 3000
    with pytest.raises(InsufficientOverlap, match="effective sample size"):
        adapted.weights.require()
    report = adapted.to_dict()
    assert report["accepted"] is False and report["reason"].startswith("refused")


def test_no_shift_keeps_weights_near_one():
    rng = np.random.default_rng(5)
    a, b = draw(0, 1, 3000, rng), draw(0, 1, 3000, rng)
    w = ImportanceWeighting().fit(a[["x1", "x2"]], b[["x1", "x2"]]).weights(a[["x1", "x2"]])
    assert w.accepted and w.ess_ratio > 0.9


def test_kish_ess_and_resampling():
    assert effective_sample_size(np.ones(10)) == 10.0
    assert effective_sample_size([1, 0, 0, 0]) == 1.0
    assert effective_sample_size([0, 0]) == 0.0
    f = pd.DataFrame({"v": range(5)})
    assert set(importance_resample(f, [0, 0, 0, 0, 1], size=3).v) == {4}
    with pytest.raises(DataError, match="weights"):
        effective_sample_size([-1, 1])
    with pytest.raises(DataError, match="one weight per row"):
        importance_resample(f, [1, 1])


def test_bad_parameters_and_inputs_raise_clear_errors():
    ref = pd.DataFrame({"x1": [0.0] * 20, "x2": [1.0] * 20})
    with pytest.raises(ConfigError, match="min_ess_ratio"):
        ImportanceWeighting(min_ess_ratio=0).fit(ref, ref)
    with pytest.raises(ConfigError, match="clip"):
        ImportanceWeighting(clip=1).fit(ref, ref)
    with pytest.raises(DataError, match="different columns"):
        ImportanceWeighting().fit(ref, ref[["x1"]])
    with pytest.raises(ModelError, match="not fitted"):
        ImportanceWeighting().weights(ref)
    with pytest.raises(DataError, match="labelled"):
        reweight_retrain(SPEC, ref, ref)
