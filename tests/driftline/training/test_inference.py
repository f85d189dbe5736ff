import numpy as np
import pytest

from driftline.errors import DataError, ModelError
from driftline.training import ModelSpec, build_pipeline, prediction_stats, score_batch


def test_score_batch_with_a_given_model(frames, spec):
    df = frames(300, 0)
    df["id"] = np.arange(300) + 1000
    model = build_pipeline(spec).fit(df, df["y"])
    scored = score_batch(df, batch_id="b9", model_uri="models:/m/3", model=model, keep=("id",))
    out = scored.predictions
    assert list(out.columns) == [
        "row",
        "id",
        "prediction",
        "proba_0",
        "proba_1",
        "model_version",
        "batch_id",
    ]
    assert (out["model_version"] == "3").all() and (out["batch_id"] == "b9").all()
    np.testing.assert_allclose(out[["proba_0", "proba_1"]].sum(axis=1), 1.0)
    assert scored.model_name == "m" and scored.model_uri == "models:/m/3"
    stats = prediction_stats(out)
    assert (stats["kind"], stats["n"], stats["model_version"]) == ("classes", 300, "3")
    assert sum(stats["classes"].values()) == pytest.approx(1.0)
    assert stats["mean_proba"]["1"] == pytest.approx(out["proba_1"].mean())


def test_regression_stats(frames):
    df = frames(200, 1)
    df["r"] = 5 * df["x1"]
    spec = ModelSpec("regression", "r", numeric=("x1",), estimator="sgd")
    model = build_pipeline(spec).fit(df, df["r"])
    out = score_batch(df, batch_id="b", model_uri="models:/m/1", model=model).predictions
    stats = prediction_stats(out)
    assert stats["mean"] == pytest.approx(out["prediction"].mean())
    assert stats["quantiles"]["p50"] == pytest.approx(out["prediction"].median())


def test_scoring_errors(frames, spec):
    df = frames(50, 0)
    model = build_pipeline(spec).fit(df, df["y"])
    with pytest.raises(ModelError, match="models:/"):
        score_batch(df, batch_id="b", model_uri="runs:/abc/model", model=model)
    with pytest.raises(DataError, match="batch b"):
        score_batch(df.drop(columns="x1"), batch_id="b", model_uri="models:/m/1", model=model)
    with pytest.raises(DataError, match="keep"):
        score_batch(df, batch_id="b", model_uri="models:/m/1", model=model, keep=("nope",))
    with pytest.raises(ModelError, match="model_uri or model_name"):
        score_batch(df, batch_id="b")
