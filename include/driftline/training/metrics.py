"""Model metrics: summary metrics of a fitted model, and per-row scores for the gate.

Summary metrics (:func:`evaluate`): classification ``accuracy``, ``balanced_accuracy``,
``log_loss`` (when the model has ``predict_proba``) and ``roc_auc`` (binary); regression
``mae``, ``rmse`` and ``r2``.

Per-row scores (:func:`row_scores`) are *higher-is-better* and average to the metric
(up to sign): ``accuracy`` (1 if correct), ``log_loss`` (minus the row's log loss),
``mae`` (minus the absolute error) and ``mse`` (minus the squared error). They make the
paired comparison of two models on the same rows a mean of per-row differences.

>>> import numpy as np
>>> row_scores("accuracy", np.array([1, 0, 1]), np.array([1, 1, 1])).tolist()
[1.0, 0.0, 1.0]
>>> row_scores("mae", np.array([1.0, 2.0]), np.array([1.5, 2.0])).tolist()
[-0.5, -0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, DataError, fail
from driftline.training.spec import ModelSpec

#: Gate metrics per task (per-row decomposable, so a paired bootstrap applies).
GATE_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "log_loss"),
    "regression": ("mae", "mse"),
}
PROBABILISTIC = ("log_loss",)
_EPS = 1e-15


def split_xy(frame: pd.DataFrame, spec: ModelSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature frame and target array; raise :class:`DataError` naming missing columns."""
    missing = [c for c in (*spec.features, spec.target) if c not in frame.columns]
    if missing:
        raise DataError(
            fail(
                f"column(s) {missing} missing from the training data",
                "check the batch against the data contract and the model spec",
            )
        )
    y = frame[spec.target].to_numpy()
    if pd.isna(y).any():
        raise DataError(
            fail(f"target {spec.target!r} has missing values", "drop or label those rows first")
        )
    return frame[list(spec.features)], y


def row_scores(
    metric: str, y_true: np.ndarray, prediction: np.ndarray, classes: Any = None
) -> np.ndarray:
    """Per-row, higher-is-better scores (module docstring).

    ``prediction`` is the predicted label/value, or for ``log_loss`` the ``(n, k)``
    probability matrix whose columns follow ``classes``.
    """
    y_true = np.asarray(y_true)
    prediction = np.asarray(prediction)
    if metric == "accuracy":
        return (prediction == y_true).astype(float)
    if metric == "mae":
        return -np.abs(prediction.astype(float) - y_true.astype(float))
    if metric == "mse":
        return -((prediction.astype(float) - y_true.astype(float)) ** 2)
    if metric == "log_loss":
        if classes is None or prediction.ndim != 2:
            raise DataError(fail("log_loss needs a probability matrix and classes", "pass both"))
        index = {c: i for i, c in enumerate(list(classes))}
        cols = np.array([index.get(v, -1) for v in y_true.tolist()])
        p = np.where(cols >= 0, prediction[np.arange(len(y_true)), np.maximum(cols, 0)], 0.0)
        return np.log(np.clip(p, _EPS, 1.0))
    raise ConfigError(
        fail(f"metric {metric!r} is unknown", f"use one of {sum(GATE_METRICS.values(), ())}")
    )


def model_output(model: Any, X: pd.DataFrame, metric: str) -> tuple[np.ndarray, Any]:
    """``(prediction, classes)`` of ``model`` on ``X`` in the form ``metric`` needs."""
    if metric in PROBABILISTIC:
        if not hasattr(model, "predict_proba"):
            raise ConfigError(fail(f"metric {metric} needs predict_proba", "use accuracy"))
        return model.predict_proba(X), getattr(model, "classes_", None)
    return model.predict(X), getattr(model, "classes_", None)


def evaluate(
    model: Any, frame: pd.DataFrame, spec: ModelSpec, prefix: str = ""
) -> dict[str, float]:
    """Summary metrics of ``model`` on ``frame`` (keys prefixed with ``prefix``)."""
    from sklearn import metrics as skm

    if len(frame) == 0:
        return {}
    X, y = split_xy(frame, spec)
    pred = model.predict(X)
    out: dict[str, float] = {}
    if spec.task == "classification":
        out["accuracy"] = float(skm.accuracy_score(y, pred))
        out["balanced_accuracy"] = float(skm.balanced_accuracy_score(y, pred))
        if hasattr(model, "predict_proba"):
            proba = model.predict_proba(X)
            classes = list(model.classes_)
            if set(np.unique(y)).issubset(classes):
                out["log_loss"] = float(skm.log_loss(y, proba, labels=classes))
                if len(classes) == 2 and len(np.unique(y)) == 2:
                    out["roc_auc"] = float(skm.roc_auc_score(y == classes[1], proba[:, 1]))
    else:
        yf = y.astype(float)
        out["mae"] = float(skm.mean_absolute_error(yf, pred))
        out["rmse"] = float(np.sqrt(skm.mean_squared_error(yf, pred)))
        if len(yf) > 1:
            out["r2"] = float(skm.r2_score(yf, pred))
    out["rows"] = float(len(frame))
    return {f"{prefix}{k}": v for k, v in out.items()}
