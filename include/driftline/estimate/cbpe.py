"""Confidence-based performance estimation (CBPE) of a classifier without labels.

If a classifier's probabilities are calibrated, ``q_i = p(y | x_i)``, then the label of a
row predicted ``yhat_i`` is right with probability ``q_i[yhat_i]``, and the expected
confusion matrix of a batch is ``E[C[j, k]] = sum_i [yhat_i = k] q_ij`` — computable from
the features alone. CBPE (confidence-based performance estimation, NannyML's method:
"How it works: performance estimation" in the NannyML documentation; Kivimäki, Białek,
Kuberski & Nurminen, 2025, "Performance estimation in binary classification using
calibrated confidence", arXiv:2505.05295) reads the metrics off it:

* accuracy ``= mean_i q_i[yhat_i]`` (exact in expectation);
* F1 from the expected TP, FP and FN (positive class, or macro over classes);
* ROC AUC: the expected Mann-Whitney numerator over the expected number of
  (positive, negative) pairs, ranking rows by the model's own scores.

The calibration (:class:`~driftline.estimate.calibration.ProbabilityCalibration`,
isotonic by default) is fitted on the labelled hold-out. The estimate is right as long
as ``p(y | x)`` stays as on the hold-out — covariate shift (``p(x)`` moves) and label
shift (``p(y)`` moves with ``p(x | y)`` fixed, which for a calibrated model changes
``p(y | x)`` only through the prior: see the note below). Under **concept drift**
``p(y | x)`` itself changes, the calibration no longer holds, and the estimate is wrong —
typically it stays near the hold-out value while the realized accuracy falls.

Note on label shift: strictly, a new prior changes ``p(y | x)`` too (Saerens et al.,
2002), so CBPE with the reference calibration is biased under a large label shift; the
bias is small when the classes are well separated, and grows with their overlap.

The band's batch part is the spread of each realized metric when the labels are drawn
from the calibrated probabilities (:mod:`driftline.estimate.base`): analytic for a binary
model (:func:`~driftline.estimate.metrics.binary_sd`: exact for accuracy, delta method for
F1 and ROC AUC), from ``n_draws`` label draws for more classes.

>>> rng = np.random.default_rng(0)
>>> def draw(n, shift):
...     x = rng.normal(shift, 1.0, n)
...     p1 = 1 / (1 + np.exp(-2 * x))                  # the true, calibrated p(y=1|x)
...     y = (rng.random(n) < p1).astype(int)
...     proba = np.c_[1 - p1, p1]
...     return Scored(proba.argmax(axis=1), proba, (0, 1), labels=y)
>>> est = CBPE(seed=0).fit(draw(2000, 0.0))
>>> current = draw(1000, 1.0)                        # covariate shift: easier rows
>>> e = est.estimate(current)["accuracy"]
>>> truth = est.realized(current)["accuracy"]
>>> abs(e.value - truth) < 0.03, e.covers(truth), e.value > e.reference_value
(True, True, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from driftline.errors import DataError, fail
from driftline.estimate import metrics as m
from driftline.estimate.base import PerformanceEstimator, bootstrap_indices, nan_sd
from driftline.estimate.calibration import CALIBRATIONS, ProbabilityCalibration
from driftline.estimate.scored import Scored


class CBPE(PerformanceEstimator):
    """Confidence-based performance estimation (module docstring).

    Parameters
    ----------
    metrics : sequence of {"accuracy", "f1", "roc_auc"}
        Metrics to estimate (default all three; accuracy is the primary one).
    calibration : {"isotonic", "sigmoid", "none"}
        Calibration map fitted on the reference rows.
    confidence, n_draws, min_rows, seed
        See :class:`~driftline.estimate.base.PerformanceEstimator`.
    """

    method = "cbpe"
    citation = (
        "Kivimäki, Białek, Kuberski & Nurminen (2025), Performance estimation in binary "
        "classification using calibrated confidence, arXiv:2505.05295; NannyML CBPE"
    )
    supported = ("accuracy", "f1", "roc_auc")

    def __init__(
        self,
        *,
        metrics: Sequence[str] | None = None,
        calibration: str = "isotonic",
        confidence: float = 0.95,
        n_draws: int = 200,
        min_rows: int = 30,
        seed: int = 0,
    ) -> None:
        super().__init__(
            metrics=metrics, confidence=confidence, n_draws=n_draws, min_rows=min_rows, seed=seed
        )
        self.calibration = calibration
        self.classes: tuple[Any, ...] = ()
        self._map: ProbabilityCalibration | None = None

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (("calibration", self.calibration in CALIBRATIONS, f"one of {list(CALIBRATIONS)}"),)

    # -- hooks ------------------------------------------------------------------------

    def _check(self, scored: Scored, *, reference: bool) -> None:
        p = scored.proba
        if p is None:
            raise DataError(
                fail("CBPE needs predicted probabilities", "score with a model with predict_proba")
            )
        if p.ndim != 2 or p.shape[0] != scored.n or p.shape[1] < 2:
            raise DataError(
                fail(
                    f"probabilities of shape {p.shape} for {scored.n} predictions",
                    "pass the (rows, classes) predict_proba matrix of the same rows",
                )
            )
        if not np.isfinite(p).all() or (p < -1e-9).any() or np.abs(p.sum(axis=1) - 1).max() > 1e-6:
            raise DataError(
                fail("the probabilities are not probabilities", "rows must be >= 0 and sum to 1")
            )
        classes = scored.classes if scored.classes is not None else tuple(range(p.shape[1]))
        if len(classes) != p.shape[1]:
            raise DataError(
                fail(f"{len(classes)} classes for {p.shape[1]} columns", "pass model.classes_")
            )
        if self.classes and tuple(classes) != self.classes:
            raise DataError(
                fail(
                    f"classes {list(classes)} differ from the reference's {list(self.classes)}",
                    "score the batch with the model the estimator was fitted for",
                )
            )
        self._codes(scored.predictions, classes, "prediction")
        if reference and scored.labels is not None:
            self._codes(scored.labels, classes, "label")

    def _fit(self, reference: Scored) -> None:
        p = reference.proba
        assert p is not None
        self.classes = tuple(
            reference.classes if reference.classes is not None else range(p.shape[1])
        )
        codes = self._codes(reference.labels, self.classes, "label")
        self._map = ProbabilityCalibration(self.calibration).fit(p, codes)

    def _realized(self, scored: Scored) -> dict[str, float]:
        codes = self._codes(scored.labels, self.classes, "label")
        pred = self._codes(scored.predictions, self.classes, "prediction")
        return {k: float(v) for k, v in self._metrics(codes, pred, scored.proba).items()}

    def _reference_sd(self, reference: Scored, rng: np.random.Generator) -> dict[str, float]:
        codes = self._codes(reference.labels, self.classes, "label")
        pred = self._codes(reference.predictions, self.classes, "prediction")
        idx = bootstrap_indices(reference.n, self.n_draws, rng)
        p = reference.proba
        assert p is not None
        out = {}
        for metric in self.metrics:
            if metric == "roc_auc" and len(self.classes) == 2:
                values = m._auc_ranked(codes[idx] == 1, rankdata(p[idx, 1], axis=1))
            elif metric == "roc_auc":
                values = [m.roc_auc(codes[i], p[i], len(self.classes)) for i in idx]
            else:
                values = self._metrics(codes[idx], pred[idx], None, (metric,))[metric]
            out[metric] = nan_sd(values)
        return out

    def _estimate(
        self, current: Scored, rng: np.random.Generator
    ) -> dict[str, tuple[float, float]]:
        assert self._map is not None and current.proba is not None
        q = self._map.transform(current.proba)
        pred = self._codes(current.predictions, self.classes, "prediction")
        point = {
            "accuracy": lambda: m.expected_accuracy(q, pred),
            "f1": lambda: m.expected_f1(q, pred),
            "roc_auc": lambda: m.expected_roc_auc(q, current.proba),
        }
        if len(self.classes) == 2:  # analytic spread (metrics.binary_sd)
            sd = m.binary_sd(q[:, 1], pred, current.proba[:, 1])
        else:  # labels drawn from the calibrated probabilities
            draws = m.sample_codes(q, self.n_draws, rng)
            sd = {k: nan_sd(v) for k, v in self._metrics(draws, pred, current.proba).items()}
        return {k: (point[k](), sd[k]) for k in self.metrics}

    # -- helpers ----------------------------------------------------------------------

    def _metrics(
        self,
        codes: np.ndarray,
        pred: np.ndarray,
        proba: np.ndarray | None,
        which: Sequence[str] | None = None,
    ) -> dict[str, np.ndarray]:
        k = len(self.classes)
        out: dict[str, np.ndarray] = {}
        for metric in which or self.metrics:
            if metric == "accuracy":
                out[metric] = m.accuracy(codes, pred)
            elif metric == "f1":
                out[metric] = m.f1(codes, pred, k)
            elif proba is not None:
                out[metric] = m.roc_auc(codes, proba, k)
        return out

    @staticmethod
    def _codes(values: Any, classes: Sequence[Any], what: str) -> np.ndarray:
        values = np.asarray(values)
        known = np.asarray(classes)
        if values.dtype.kind in "biuf" and known.dtype.kind in "biuf" and len(known):
            order = np.argsort(known, kind="stable")
            pos = np.clip(np.searchsorted(known[order], values), 0, len(known) - 1)
            codes = np.where(known[order][pos] == values, order[pos], -1)
            if (codes >= 0).all():
                return codes.astype(np.int64)
        index = {c: i for i, c in enumerate(classes)}
        try:
            codes = np.fromiter(
                (index.get(v.item() if isinstance(v, np.generic) else v, -1) for v in values),
                dtype=np.int64,
                count=len(values),
            )
        except TypeError:  # unhashable values
            codes = np.full(len(values), -1)
        if (codes < 0).any():
            bad = values[codes < 0][0]
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise DataError(
                fail(f"{what} {bad!r} is not one of the classes {list(classes)}", "fix the rows")
            )
        return codes
