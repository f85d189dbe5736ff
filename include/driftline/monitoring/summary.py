"""A compact, JSON-ready summary of a model's predictions on one batch.

Numeric predictions (regression outputs or class probabilities) are summarised by their
count, mean, standard deviation, five quantiles (Hyndman & Fan, 1996, definition 7, numpy's
default) and a fixed-width histogram; labels (strings, booleans, or integers with few
distinct values) by their class frequencies. A 2-D array of class probabilities is
summarised by its last column (the positive class of a binary classifier).

>>> import numpy as np
>>> s = prediction_summary(np.random.default_rng(0).uniform(size=1000), bins=4)
>>> s["kind"], s["n"], sum(s["histogram"]["counts"]), len(s["histogram"]["counts"])
('numeric', 1000, 1000, 4)
>>> prediction_summary(["up", "down", "up", "up"])["classes"]
{'down': 0.25, 'up': 0.75}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import DataError, fail

_MAX_CLASSES = 20


def prediction_summary(values: Any, bins: int = 10) -> dict[str, Any]:
    """Summarise predictions (array-like); NaN and missing values are counted, not used."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(len(arr), -1)[:, -1] if arr.ndim == 2 and len(arr) else arr.ravel()
    n = int(arr.size)
    if n == 0:
        raise DataError(fail("no predictions to summarise", "pass at least one prediction"))
    discrete = arr.dtype.kind in "OUSb" or (
        arr.dtype.kind in "iu" and np.unique(arr).size <= _MAX_CLASSES
    )
    if discrete:
        keep = np.array([v is not None and v == v for v in arr.tolist()], dtype=bool)
        labels, counts = np.unique(arr[keep].astype(str), return_counts=True)
        total = int(counts.sum())
        return {
            "kind": "classes",
            "n": n,
            "missing": n - total,
            "classes": {
                str(k): round(int(c) / total, 6) for k, c in zip(labels, counts, strict=True)
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
