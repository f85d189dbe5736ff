"""Calibrating a fitted classifier's probabilities on its labelled hold-out rows.

CBPE (:mod:`driftline.estimate.cbpe`) reads the expected confusion matrix off the
probabilities, so they must be *calibrated*: among rows given ``p(y = k | x) = 0.8``,
80 % must be of class ``k``. Models are often not (Niculescu-Mizil & Caruana, 2005,
"Predicting good probabilities with supervised learning", ICML), so the champion's
probabilities are recalibrated on its hold-out — rows it was not trained on — without
refitting it (scikit-learn's ``CalibratedClassifierCV`` refits the model; this maps the
scores of the fitted one):

``isotonic`` (default)
    one isotonic regression per class of ``1[y = k]`` on ``p_k`` (one-vs-rest, Zadrozny
    & Elkan, 2002, "Transforming classifier scores into accurate multiclass probability
    estimates", KDD), rows renormalised; binary models calibrate ``p_1`` only. Monotone
    and non-parametric: it fixes any monotone distortion, given enough rows. This is the
    calibration NannyML's CBPE uses.
``sigmoid``
    Platt scaling (Platt, 1999): a logistic regression per class on the log-odds of
    ``p_k``. Two parameters, so it suits small hold-outs, but only fixes sigmoid-shaped
    distortions (Kull, Silva Filho & Flach, 2017, "Beta calibration", AISTATS, show where
    it fails; their beta and Dirichlet maps are the richer parametric alternatives).
``none``
    the probabilities as they are (for models known to be calibrated).

Calibration holds on the distribution it was fitted on and under covariate or label
shift only as far as ``p(y | x)`` (the concept) stays: under concept drift no map of
the old scores is calibrated.

>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.01, 0.99, 4000)
>>> y = (rng.random(4000) < p ** 2).astype(int)          # p over-states the positives
>>> proba = np.c_[1 - p, p]
>>> q = ProbabilityCalibration().fit(proba, y).transform(proba)
>>> round(float(abs(q[:, 1].mean() - y.mean())), 3), round(float(abs(p.mean() - y.mean())), 2)
(0.0, 0.17)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.errors import ConfigError, fail

#: Calibration methods (module docstring).
CALIBRATIONS: tuple[str, ...] = ("isotonic", "sigmoid", "none")
_EPS = 1e-6


class ProbabilityCalibration:
    """Per-class calibration map of a fitted classifier's probabilities (module docstring).

    Parameters
    ----------
    method : {"isotonic", "sigmoid", "none"}
        The map.
    """

    def __init__(self, method: str = "isotonic") -> None:
        self.method = method
        self._maps: list[Any] | None = None

    def validate(self) -> None:
        """Raise :class:`ConfigError` for an unknown method."""
        if self.method not in CALIBRATIONS:
            raise ConfigError(
                fail(f"calibration method {self.method!r}", f"use one of {list(CALIBRATIONS)}")
            )

    def fit(self, proba: np.ndarray, codes: np.ndarray) -> ProbabilityCalibration:
        """Fit the map on probabilities ``(rows, classes)`` and true class codes ``0..k-1``."""
        self.validate()
        k = proba.shape[1]
        columns = [1] if k == 2 else list(range(k))
        self._maps = [self._fit_one(proba[:, c], (codes == c).astype(float)) for c in columns]
        return self

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, rows summing to 1."""
        if self._maps is None:
            raise ConfigError(fail("the calibration is not fitted", "call fit() first"))
        k = proba.shape[1]
        if k == 2:
            p1 = self._apply(self._maps[0], proba[:, 1])
            return np.c_[1.0 - p1, p1]
        out = np.column_stack([self._apply(m, proba[:, c]) for c, m in enumerate(self._maps)])
        total = out.sum(axis=1, keepdims=True)
        flat = total[:, 0] <= 0
        if flat.any():  # every class mapped to 0: keep the model's row
            out[flat], total[flat] = proba[flat], 1.0
        return out / total

    # -- helpers ----------------------------------------------------------------------

    def _fit_one(self, p: np.ndarray, y: np.ndarray) -> Any:
        if self.method == "none":
            return None
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        if y.min() == y.max():  # one class only: Platt has nothing to fit
            return float(y[0])
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1e4).fit(_logit(p)[:, None], y.astype(int))

    def _apply(self, fitted: Any, p: np.ndarray) -> np.ndarray:
        if fitted is None:
            return np.clip(p, 0.0, 1.0)
        if isinstance(fitted, float):
            return np.full(len(p), fitted)
        if self.method == "isotonic":  # what IsotonicRegression.predict does, without checks
            return np.clip(np.interp(p, fitted.X_thresholds_, fitted.y_thresholds_), 0.0, 1.0)
        return fitted.predict_proba(_logit(p)[:, None])[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))
