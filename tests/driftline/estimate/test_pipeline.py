"""The drift step's estimate (estimate_unlabelled) with a real model, without services: the
hold-out reader is replaced, the monitoring store is a temporary SQLite file."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from driftline.errors import ModelError
from driftline.estimate import estimate_frame, estimate_unlabelled, estimator_for
from driftline.estimate.cbpe import CBPE
from driftline.estimate.dle import DLE
from driftline.settings import Settings
from driftline.validation import DataContract


def frame(n, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(shift, 1, n), rng.normal(0, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 - x2)))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "label": y})


@pytest.fixture
def model():
    train = frame(2000, 0)
    return LogisticRegression().fit(train[["x1", "x2"]], train.label)


def test_estimator_for_the_task():
    assert isinstance(estimator_for("classification"), CBPE)
    assert isinstance(estimator_for("regression"), DLE)


def test_estimate_frame_with_and_without_given_outputs(model):
    holdout, batch = frame(600, 1), frame(400, 2, shift=0.8).drop(columns=["label"])
    a = estimate_frame(model, holdout, batch, features=["x1", "x2"], target="label",
                       task="classification")  # fmt: skip
    X = batch[["x1", "x2"]]
    b = estimate_frame(model, holdout, batch, features=["x1", "x2"], target="label",
                       task="classification", predictions=model.predict(X),
                       proba=model.predict_proba(X))  # fmt: skip
    assert a == b and set(a) == {"accuracy", "f1", "roc_auc"}


def test_estimate_frame_for_a_regressor():
    rng = np.random.default_rng(3)
    f = pd.DataFrame({"x": rng.normal(size=1500)})
    f["y"] = np.sin(f.x) + rng.normal(0, 0.2, 1500)
    reg = HistGradientBoostingRegressor(max_iter=30).fit(f[["x"]][:800], f.y[:800])
    out = estimate_frame(reg, f[800:1200], f[1200:].drop(columns=["y"]), features=["x"],
                         target="y", task="regression")  # fmt: skip
    assert list(out) == ["mae"] and out["mae"].value > 0


def _contract(train):
    return DataContract.infer(train, "label", name="m")


def test_estimate_unlabelled_records_and_checks_the_drop(model, tmp_path, monkeypatch):
    from driftline.monitoring import MonitoringStore

    url = f"sqlite:///{tmp_path / 'm.db'}"
    monkeypatch.setenv("DRIFTLINE_MONITORING_DB_URL", url)
    holdout = frame(600, 1)
    monkeypatch.setattr("driftline.training.tracking.load_holdout", lambda run, uri: holdout)
    champion = SimpleNamespace(version=3, run_id="run-3", tags={})
    hard = frame(3000, 4)
    hard = hard[np.abs(1.5 * hard.x1 - hard.x2) < 0.7].head(400).drop(columns=["label"])
    s = Settings.from_env({"DRIFTLINE_ESTIMATED_DROP_FLOOR": "0.1"})
    out = estimate_unlabelled("b-hard", hard, model=model, champion=champion,
                              contract=_contract(frame(500, 0)), settings=s)  # fmt: skip
    assert out["metric"] == "accuracy" and out["method"] == "cbpe" and out["n"] == 400
    assert out["drop"] is True and out["value"] < out["threshold"] < out["reference_value"]
    assert "below the champion's hold-out" in out["reason"]
    assert set(out["metrics"]) == {"accuracy", "f1", "roc_auc"} and out["model_version"] == "3"
    rows = MonitoringStore(url).estimated_performance(batch_id="b-hard")
    assert {r["metric"] for r in rows} == {"accuracy", "f1", "roc_auc"}
    assert rows[0]["model_version"] == "3" and rows[0]["realized"] is None


def test_estimate_unlabelled_never_fails_the_step(model, monkeypatch):
    def missing(run, uri):
        raise ModelError("run run-3 has no readable hold-out")

    monkeypatch.setattr("driftline.training.tracking.load_holdout", missing)
    champion = SimpleNamespace(version=3, run_id="run-3", tags={})
    out = estimate_unlabelled("b1", frame(100, 5), model=model, champion=champion,
                              contract=_contract(frame(500, 0)), settings=Settings.from_env({}))  # fmt: skip
    assert "no readable hold-out" in out["error"] and out["model_version"] == "3"
