import json
from importlib import metadata
from types import SimpleNamespace

import numpy as np
import pytest

from driftline.drift import DriftReport, ReferenceProfile
from driftline.errors import ModelError
from driftline.training import full_retrain, pip_requirements, reference_profile
from driftline.training.tracking import _as_json, _drift_html, skops_trusted_types


def test_requirements_are_pinned_to_installed_versions():
    reqs = pip_requirements()
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in reqs
    assert {r.split("==")[0] for r in reqs} >= {
        "mlflow",
        "scikit-learn",
        "numpy",
        "pandas",
        "scipy",
        "skops",
    }
    with pytest.raises(ModelError, match="not installed"):
        pip_requirements(("surely-not-a-package-xyz",))


def test_trusted_types_are_limited_to_scientific_packages(frames, spec):
    model = full_retrain(spec, frames(100, 0)).model
    types = skops_trusted_types(model)
    assert types and all(t.startswith(("numpy.", "scipy.", "sklearn.")) for t in types)
    model.named_steps["model"].extra = SimpleNamespace(x=1)  # an arbitrary Python object
    with pytest.raises(ModelError, match="not safe"):
        skops_trusted_types(model)


def test_reports_are_logged_as_json_whatever_their_form():
    r = DriftReport(
        batch_id="b1",
        created_at="2025-01-01T00:00:00+00:00",
        alpha=0.05,
        correction="holm",
        is_drift=False,
        kinds=(),
        severity="none",
        max_effect=0.0,
        columns=(),
        n_reference=1,
        n_current=1,
    )
    assert json.loads(_as_json(r))["batch_id"] == "b1"
    assert json.loads(_as_json(r.to_dict()))["batch_id"] == "b1"
    assert _as_json('{"a": 1}') == '{"a": 1}' and _as_json(None) is None
    with pytest.raises(ModelError):
        _as_json(object())
    assert "<html" in _drift_html(r.to_dict(), None).lower()  # rendered from the dict
    assert _drift_html({"not": "a report"}, None) is None
    assert _drift_html(r, "<p>given</p>") == "<p>given</p>"


def test_reference_profile_of_the_training_rows(frames, spec):
    df = frames(300, 0).assign(extra=np.arange(300))
    model = full_retrain(spec, df).model
    profile = reference_profile(df, spec, model, {"holdout_accuracy": 0.8})
    again = ReferenceProfile.from_json(profile.to_json())
    assert again.n_rows == 300 and again.target == "y"
    assert again.features == ["x1", "x2", "c"] and "extra" not in again.roles
    assert again.predictions is not None and again.performance == {"holdout_accuracy": 0.8}
