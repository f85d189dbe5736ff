"""What a performance estimator reads: a fitted model's outputs on some rows.

:class:`Scored` holds the predictions (and, for a classifier, the predicted
probabilities and the class labels of their columns), optionally the feature rows (direct
loss estimation models the error from them) and the true labels (the hold-out has them,
a new batch does not). :meth:`Scored.of` builds one from a model and a frame.

>>> from sklearn.linear_model import LogisticRegression
>>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 0, 1, 1]})
>>> model = LogisticRegression().fit(frame[["x"]], frame.y)
>>> s = Scored.of(model, frame, ["x"], target="y")
>>> s.n, s.classes, s.proba.shape, s.labels.tolist()
(4, (0, 1), (4, 2), [0, 0, 1, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, fail


@dataclass(frozen=True, eq=False)
class Scored:
    """A model's outputs on ``n`` rows (module docstring).

    Attributes
    ----------
    predictions : ndarray
        ``model.predict`` (class labels, or numbers for a regressor).
    proba : ndarray or None
        ``model.predict_proba``, ``(n, classes)``.
    classes : tuple or None
        Class labels of the probability columns (``model.classes_``).
    features : DataFrame or None
        The feature rows the model scored.
    labels : ndarray or None
        True labels, when known.
    """

    predictions: np.ndarray
    proba: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    features: pd.DataFrame | None = None
    labels: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Rows."""
        return len(self.predictions)

    @classmethod
    def of(
        cls,
        model: Any,
        frame: pd.DataFrame,
        features: Sequence[str],
        *,
        target: str | None = None,
    ) -> Scored:
        """Score ``frame[features]`` with ``model``; with ``target``, keep labelled rows only."""
        missing = [c for c in (*features, *([target] if target else [])) if c not in frame]
        if missing:
            raise DataError(fail(f"column(s) {missing} are missing", "pass the model's columns"))
        labels = None
        if target is not None:
            frame = frame[frame[target].notna()]
            labels = frame[target].to_numpy()
        X = frame[list(features)]
        proba = classes = None
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(X), dtype=np.float64)
            classes = tuple(_plain(c) for c in getattr(model, "classes_", range(proba.shape[1])))
        return cls(np.asarray(model.predict(X)), proba, classes, X.reset_index(drop=True), labels)

    def take(self, rows: np.ndarray) -> Scored:
        """The given rows (positions)."""
        return Scored(
            self.predictions[rows],
            None if self.proba is None else self.proba[rows],
            self.classes,
            None if self.features is None else self.features.iloc[rows].reset_index(drop=True),
            None if self.labels is None else self.labels[rows],
        )

    def without_labels(self) -> Scored:
        """The same outputs with the labels dropped (what a new batch looks like)."""
        return Scored(self.predictions, self.proba, self.classes, self.features, None)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
