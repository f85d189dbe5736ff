"""The one summary of a model's predictions on a batch: JSON-ready, one key set everywhere.

Batch scoring (:func:`driftline.training.score_and_write`), the drift check and the live
traffic of the online endpoint (:class:`driftline.serving.LiveSampler`) all store this
summary (``MonitoringStore.record_predictions`` / ``record_live_traffic``). Keys:

``kind``, ``n``, ``missing``
    always: ``classes`` or ``numeric``, the number of predictions, how many were missing;
``classes``
    labels (strings, booleans, integers with few distinct values, or any prediction that
    comes with class probabilities): class frequencies, plus ``mean_proba`` (mean
    probability per class) for a predictions frame with ``proba_<class>`` columns;
``mean``, ``std``, ``min``, ``max``, ``quantiles``, ``histogram``
    numeric predictions (regression outputs or class probabilities): five quantiles
    ``p05`` ... ``p95`` (Hyndman & Fan, 1996, definition 7, numpy's default) and a
    fixed-width histogram;
``model_version``
    for a predictions frame with a ``model_version`` column.

A 2-D array of class probabilities is summarised by its last column (the positive class
of a binary classifier). Rows stored by earlier releases with the keys of the former
``prediction_stats`` (``rows``, ``class_share``, ``quantiles`` named ``"0.05"``...) are
rewritten to this key set by :func:`upgrade_summary` (schema migration 4).

>>> import numpy as np
>>> s = prediction_summary(np.random.default_rng(0).uniform(size=1000), bins=4)
>>> s["kind"], s["n"], sum(s["histogram"]["counts"]), len(s["histogram"]["counts"])
('numeric', 1000, 1000, 4)
>>> prediction_summary(["up", "down", "up", "up"])["classes"]
{'down': 0.25, 'up': 0.75}
>>> import pandas as pd
>>> frame = pd.DataFrame({"prediction": [0, 1, 1, 1], "proba_1": [0.2, 0.7, 0.9, 0.6]})
>>> prediction_summary(frame)["classes"], prediction_summary(frame)["mean_proba"]["1"]
({'0': 0.25, '1': 0.75}, 0.6)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from driftline.errors import DataError, fail

_MAX_CLASSES = 20


def prediction_summary(predictions: Any, bins: int = 10) -> dict[str, Any]:
    """Summarise predictions (module docstring); NaN and missing values are counted, not used.

    ``predictions`` is array-like, or a predictions frame as
    :func:`driftline.training.score_batch` writes it (``prediction``, ``proba_<class>``,
    ``model_version``).
    """
    columns = list(getattr(predictions, "columns", ()))
    if "prediction" in columns:
        proba = [c for c in columns if str(c).startswith("proba_")]
        out = _summary(np.asarray(predictions["prediction"]), bins, labels=bool(proba))
        if proba and out["kind"] == "classes":
            out["mean_proba"] = {
                str(c)[len("proba_") :]: float(np.nanmean(np.asarray(predictions[c], dtype=float)))
                for c in proba
            }
        if "model_version" in columns:
            out["model_version"] = str(predictions["model_version"].iloc[0])
        return out
    return _summary(np.asarray(predictions), bins)


def _summary(arr: np.ndarray, bins: int, labels: bool = False) -> dict[str, Any]:
    if arr.ndim != 1:
        arr = arr.reshape(len(arr), -1)[:, -1] if arr.ndim == 2 and len(arr) else arr.ravel()
    n = int(arr.size)
    if n == 0:
        raise DataError(fail("no predictions to summarise", "pass at least one prediction"))
    discrete = (
        labels
        or arr.dtype.kind in "OUSb"
        or (arr.dtype.kind in "iu" and np.unique(arr).size <= _MAX_CLASSES)
    )
    if discrete:
        keep = np.array([v is not None and v == v for v in arr.tolist()], dtype=bool)
        classes, counts = np.unique(arr[keep].astype(str), return_counts=True)
        total = int(counts.sum())
        return {
            "kind": "classes",
            "n": n,
            "missing": n - total,
            "classes": {
                str(k): round(int(c) / total, 6) for k, c in zip(classes, counts, strict=True)
            },
        }
    x = arr.astype(float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise DataError(fail("every prediction is NaN or infinite", "check the model output"))
    q = np.quantile(finite, [0.05, 0.25, 0.5, 0.75, 0.95])
    counts, edges = np.histogram(finite, bins=bins)
    return {
        "kind": "numeric",
        "n": n,
        "missing": n - int(finite.size),
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
        "min": float(finite.min()),
        "max": float(finite.max()),
        "quantiles": {
            k: float(v) for k, v in zip(("p05", "p25", "p50", "p75", "p95"), q, strict=True)
        },
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


_OLD_QUANTILES = {"0.05": "p05", "0.25": "p25", "0.5": "p50", "0.75": "p75", "0.95": "p95"}


def upgrade_summary(stats: Mapping[str, Any]) -> dict[str, Any]:
    """A stored summary in the key set of :func:`prediction_summary` (old keys translated).

    Rows of earlier releases (``rows``, ``class_share``, ``mean_proba``, ``mean``, ``std``,
    ``quantiles`` keyed ``"0.05"``...) get ``kind``, ``n``, ``missing`` (0: they did not
    count it), ``classes`` and ``p05``... quantile names; anything else is returned as is.

    >>> upgrade_summary({"rows": 4, "class_share": {"0": 0.25, "1": 0.75}, "mean_proba": {}})
    {'kind': 'classes', 'n': 4, 'missing': 0, 'classes': {'0': 0.25, '1': 0.75}, 'mean_proba': {}}
    >>> upgrade_summary({"rows": 2, "mean": 1.0, "std": 0.0, "quantiles": {"0.5": 1.0}})
    {'kind': 'numeric', 'n': 2, 'missing': 0, 'mean': 1.0, 'std': 0.0, 'quantiles': {'p50': 1.0}}
    """
    if "rows" not in stats or "n" in stats:
        return dict(stats)
    old = dict(stats)
    out: dict[str, Any] = {
        "kind": "classes" if "class_share" in old else "numeric",
        "n": old.pop("rows"),
        "missing": 0,
    }
    if "class_share" in old:
        out["classes"] = old.pop("class_share")
    for key in ("mean_proba", "mean", "std", "quantiles", "model_version"):
        if key in old:
            out[key] = old.pop(key)
    if isinstance(out.get("quantiles"), Mapping):
        out["quantiles"] = {_OLD_QUANTILES.get(k, k): v for k, v in out["quantiles"].items()}
    return {**out, **old}
