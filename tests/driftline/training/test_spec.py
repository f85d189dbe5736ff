import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError
from driftline.training import ModelSpec, build_pipeline
from driftline.validation import DataContract


@pytest.mark.parametrize("estimator", ["mlp", "sgd", "hgb"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_estimator_fits_both_tasks(frames, estimator, task):
    df = frames(400, 0)
    df["r"] = 50 + 30 * df["x1"] - 10 * df["x2"] + np.where(df["c"] == "a", 20, 0)
    target = "y" if task == "classification" else "r"
    spec = ModelSpec(task, target, numeric=("x1", "x2"), categorical=("c",), estimator=estimator)
    pipe = build_pipeline(spec).fit(df[list(spec.features)], df[target])
    score = pipe.score(df[list(spec.features)], df[target])
    # accuracy well above the 0.5 of guessing; R^2 well above 0 (the rule is learnable)
    assert score > 0.7


def test_unknown_and_missing_categories_are_tolerated(frames, spec):
    df = frames(300, 1)
    for estimator in ("mlp", "hgb"):
        s = ModelSpec(spec.task, spec.target, spec.numeric, spec.categorical, estimator=estimator)
        pipe = build_pipeline(s).fit(df[list(s.features)], df["y"])
        new = df.head(3).copy()
        new["c"] = ["zzz", None, "a"]
        new.loc[0, "x1"] = np.nan
        assert len(pipe.predict(new[list(s.features)])) == 3


def test_same_seed_same_model(frames, spec):
    df = frames(300, 2)
    a = build_pipeline(spec).fit(df, df["y"]).predict_proba(df)
    b = build_pipeline(spec).fit(df, df["y"]).predict_proba(df)
    c = (
        build_pipeline(ModelSpec(**{**spec.to_dict(), "seed": 1}))
        .fit(df, df["y"])
        .predict_proba(df)
    )
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_params_override_defaults(spec):
    s = ModelSpec(**{**spec.to_dict(), "params": {"hidden_layer_sizes": [5], "alpha": 0.1}})
    est = build_pipeline(s).named_steps["model"]
    assert est.hidden_layer_sizes == (5,) and est.alpha == 0.1
    assert est.early_stopping is True  # a default not overridden stays


def test_round_trip_and_hash(spec):
    again = ModelSpec.from_dict(spec.to_dict())
    assert again == spec and hash(again) == hash(spec)


def test_from_contract_infers_roles_and_task(frames):
    df = frames(200, 3)
    df["ts"] = pd.date_range("2025-01-01", periods=200, freq="h")
    df["price"] = df["x1"] * 10
    contract = DataContract.infer(df.drop(columns="price"), target="y", timestamp="ts")
    spec = ModelSpec.from_contract(contract, estimator="sgd", seed=4)
    assert spec.task == "classification"
    assert spec.numeric == ("x1", "x2") and spec.categorical == ("c",)
    assert spec.timestamp == "ts" and spec.estimator == "sgd" and spec.seed == 4
    reg = ModelSpec.from_contract(DataContract.infer(df.drop(columns=["y", "ts"]), target="price"))
    assert reg.task == "regression" and reg.target == "price"


@pytest.mark.parametrize(
    "changes, needle",
    [
        ({"task": "ranking"}, "task="),
        ({"estimator": "xgb"}, "estimator="),
        ({"numeric": (), "categorical": ()}, "no feature"),
        ({"numeric": ("x1", "y")}, "listed twice"),
        ({"params": {"f": object()}}, "JSON"),
    ],
)
def test_invalid_specs_name_the_field(spec, changes, needle):
    bad = ModelSpec(**{**spec.to_dict(), **changes})
    with pytest.raises(ConfigError, match=needle):
        bad.validate()


def test_bad_estimator_parameter_is_a_config_error(spec):
    with pytest.raises(ConfigError, match="MLPClassifier"):
        build_pipeline(ModelSpec(**{**spec.to_dict(), "params": {"colour": 1}}))


def test_supports_fine_tune(spec):
    assert spec.supports_fine_tune
    assert not ModelSpec(**{**spec.to_dict(), "estimator": "hgb"}).supports_fine_tune
