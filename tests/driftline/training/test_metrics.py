import numpy as np
import pytest
from sklearn import metrics as skm

from driftline.errors import ConfigError, DataError
from driftline.training import ModelSpec, build_pipeline, evaluate, row_scores


def test_row_scores_average_to_the_metrics():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    proba = rng.dirichlet([1, 1, 1], 200)
    pred = proba.argmax(axis=1)
    assert row_scores("accuracy", y, pred).mean() == pytest.approx(skm.accuracy_score(y, pred))
    assert -row_scores("log_loss", y, proba, classes=[0, 1, 2]).mean() == pytest.approx(
        skm.log_loss(y, proba, labels=[0, 1, 2])
    )
    yr, pr = rng.normal(size=100), rng.normal(size=100)
    assert -row_scores("mae", yr, pr).mean() == pytest.approx(skm.mean_absolute_error(yr, pr))
    assert -row_scores("mse", yr, pr).mean() == pytest.approx(skm.mean_squared_error(yr, pr))


def test_row_scores_errors():
    with pytest.raises(ConfigError, match="unknown"):
        row_scores("f1", np.array([1]), np.array([1]))
    with pytest.raises(DataError, match="probability"):
        row_scores("log_loss", np.array([1]), np.array([1]))


def test_evaluate_classification_and_regression(frames, spec):
    df = frames(300, 0)
    model = build_pipeline(spec).fit(df, df["y"])
    m = evaluate(model, df, spec, prefix="train_")
    assert set(m) == {
        "train_accuracy",
        "train_balanced_accuracy",
        "train_log_loss",
        "train_roc_auc",
        "train_rows",
    }
    assert m["train_accuracy"] == pytest.approx(skm.accuracy_score(df["y"], model.predict(df)))
    df["r"] = 3 * df["x1"]
    rspec = ModelSpec("regression", "r", numeric=("x1",), estimator="sgd")
    reg = build_pipeline(rspec).fit(df, df["r"])
    assert set(evaluate(reg, df, rspec)) == {"mae", "rmse", "r2", "rows"}
    assert evaluate(reg, df.head(0), rspec) == {}


def test_missing_columns_and_labels_are_data_errors(frames, spec):
    df = frames(50, 0)
    model = build_pipeline(spec).fit(df, df["y"])
    with pytest.raises(DataError, match=r"\['x2'\]"):
        evaluate(model, df.drop(columns="x2"), spec)
    df.loc[0, "y"] = None
    with pytest.raises(DataError, match="missing values"):
        evaluate(model, df, spec)
