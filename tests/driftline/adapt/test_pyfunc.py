"""The prior-corrected pyfunc round-trips through MLflow's model format (local, no server)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from driftline.adapt import PriorCorrectedClassifier, PriorShiftCorrection
from driftline.adapt.pyfunc import PriorCorrectedModel
from driftline.training.registry import _load_flavored as load_model
from driftline.training.tracking import pip_requirements, skops_trusted_types


def test_saved_pyfunc_loads_as_the_corrected_estimator(tmp_path):
    import mlflow.pyfunc
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=400)})
    y = (X.x + rng.normal(0, 0.5, 400) > 0).astype(int)
    base = LogisticRegression().fit(X, y)
    correction = PriorShiftCorrection((0, 1), (0.5, 0.5), (0.8, 0.2))
    base_dir = tmp_path / "base"
    mlflow.sklearn.save_model(
        base,
        str(base_dir),
        serialization_format="skops",
        skops_trusted_types=skops_trusted_types(base),
        pip_requirements=pip_requirements(),
    )
    corr = tmp_path / "correction.json"
    corr.write_text(json.dumps(correction.to_dict()))
    mlflow.pyfunc.save_model(
        str(tmp_path / "model"),
        python_model=PriorCorrectedModel(),
        artifacts={"base_model": str(base_dir), "correction": str(corr)},
        pip_requirements=pip_requirements(),
    )
    loaded = load_model(str(tmp_path / "model"))
    expected = PriorCorrectedClassifier(base, correction)
    assert isinstance(loaded, PriorCorrectedClassifier)
    np.testing.assert_allclose(loaded.predict_proba(X), expected.predict_proba(X))
    # the correction moves predictions toward class 0, as its priors say
    assert loaded.predict(X).mean() < base.predict(X).mean()
    pyfunc = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    np.testing.assert_array_equal(np.asarray(pyfunc.predict(X)), expected.predict(X))
    # a plain sklearn model still loads as itself
    assert isinstance(load_model(str(base_dir)), LogisticRegression)
