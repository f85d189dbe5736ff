"""The champion's track record, read back from the processed batches (the DAG side).

The backtest keeps a champion's outcomes and the concept alarms in memory; the training
DAG has to read them back for every batch. Both then call the same
:class:`~driftline.training.LabelledPolicy` methods:

* :func:`out_of_sample` — which processed batches a champion scored since it was
  trained: those after the batch it was trained for (a model trained for batch ``X``
  never saw a later batch). Its outcomes on their labelled rows are its reference
  performance (:meth:`LabelledPolicy.concept_check
  <driftline.training.LabelledPolicy.concept_check>`).
* :func:`alarm_history` — ``(batch id, concept alarm)`` of the newest processed batches,
  from their stored drift reports, for :meth:`LabelledPolicy.episode
  <driftline.training.LabelledPolicy.episode>`.
* :func:`uninformed_labels` — the majority class or median of the champion's training
  labels, from its reference profile, for
  :func:`~driftline.training.policy.worse_than_uninformed`.
* :func:`performance_summary` — the batch's realized performance beside the record's,
  as the drift report and the monitoring store keep it.

>>> out_of_sample("b2", ["b0", "b1", "b2", "b3", "b4"])
['b3', 'b4']
>>> out_of_sample("old", ["b3", "b4"])  # trained before the window: all are new to it
['b3', 'b4']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.training.evidence import labelled
from driftline.training.policy import Outcomes


def out_of_sample(champion_batch: str | None, history: Sequence[str]) -> list[str]:
    """The batches of ``history`` (oldest first) the champion was not trained on."""
    ids = list(history)
    if champion_batch in ids:
        return ids[ids.index(champion_batch) + 1 :]
    return ids


def outcomes(model: Any, frame: pd.DataFrame, target: str, features: Sequence[str]) -> Outcomes:
    """``(y_true, y_pred)`` of ``model`` on the labelled rows of ``frame``."""
    rows = labelled(frame, target)
    if not len(rows):
        return np.asarray([]), np.asarray([])
    return rows[target].to_numpy(), np.asarray(model.predict(rows[list(features)]))


def champion_record(
    model: Any,
    frames: Iterable[pd.DataFrame],
    target: str,
    features: Sequence[str],
) -> list[Outcomes]:
    """The champion's outcomes on each of ``frames`` that has labelled rows."""
    out = []
    for frame in frames:
        y, y_pred = outcomes(model, frame, target, features)
        if len(y):
            out.append((y, y_pred))
    return out


def performance_summary(
    current: Outcomes, reference: Sequence[Outcomes], task: str
) -> dict[str, Any]:
    """Accuracy (classification) or MAE (regression) on ``current`` and on the record.

    >>> y = np.array([1, 0, 1, 1])
    >>> performance_summary((y, np.array([1, 0, 0, 1])), [(y, y)], "classification")
    {'accuracy': 0.75, 'reference_accuracy': 1.0, 'n_labels': 4, 'n_reference': 4}
    """
    y, y_pred = (np.asarray(a) for a in current)
    y_ref = np.concatenate([r[0] for r in reference]) if reference else np.asarray([])
    p_ref = np.concatenate([r[1] for r in reference]) if reference else np.asarray([])
    if task == "classification":
        out: dict[str, Any] = {
            "accuracy": float(np.mean(y == y_pred)),
            "reference_accuracy": float(np.mean(y_ref == p_ref)) if len(y_ref) else None,
        }
    else:
        err = np.abs(y.astype(float) - y_pred.astype(float))
        ref_err = np.abs(y_ref.astype(float) - p_ref.astype(float))
        out = {
            "mae": float(err.mean()),
            "reference_mae": float(ref_err.mean()) if len(ref_err) else None,
        }
    out.update({"n_labels": int(len(y)), "n_reference": int(len(y_ref))})
    return out


def concept_alarm(report: Mapping[str, Any] | None) -> bool:
    """Whether a stored drift report (``DriftReport.to_dict()``) holds a concept alarm."""
    return bool(report) and "concept" in (report.get("kinds") or ())


def alarm_history(
    history: Sequence[str], load_report: Callable[[str], Mapping[str, Any] | None]
) -> list[tuple[str, bool]]:
    """``(batch id, concept alarm)`` for each batch of ``history`` (oldest first)."""
    return [(b, concept_alarm(load_report(b))) for b in history]


def uninformed_labels(label_summary: Any, y_sample: Any) -> np.ndarray:
    """A one-value label array: the profile's majority class (as ``y_sample``'s type) or median.

    ``label_summary`` is a reference profile's ``label`` (categorical counts or a numeric
    sketch); ``y_sample`` gives the label type of the batch.

    >>> from types import SimpleNamespace as S
    >>> uninformed_labels(S(counts={"0": 30, "1": 70}), np.array([0, 1])).tolist()
    [1]
    """
    counts = getattr(label_summary, "counts", None)
    y_sample = np.asarray(y_sample)
    if counts:
        level = max(counts, key=lambda k: counts[k])
        for value in np.unique(y_sample):
            if str(value) == level or _num_equal(value, level):
                return np.asarray([value])
        return np.asarray([level])
    if label_summary is not None and hasattr(label_summary, "quantile"):
        return np.asarray([float(np.asarray(label_summary.quantile(0.5)).ravel()[0])])
    return np.asarray([])


def _num_equal(value: Any, level: str) -> bool:
    try:
        return float(value) == float(level)
    except (TypeError, ValueError):
        return False
