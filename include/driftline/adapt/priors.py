"""Label shift without labels: estimate the new class priors, correct the probabilities.

Under label shift the class-conditional distributions stay, ``p_cur(x|y) = p_ref(x|y)``,
and only the priors move from ``pi`` to ``pi'``. Then the Bayes posterior of the new
distribution is the old one re-weighted (Saerens, Latinne & Decaestecker, 2002, eq. 2.4)::

    p'(y|x)  ∝  p(y|x) * pi'(y) / pi(y)

so a classifier adapts without a single new label once ``pi'`` is known. Two estimators:

* :class:`BlackBoxShiftEstimator` (BBSE; Lipton, Wang & Smola, 2018): with the joint
  confusion matrix ``C[i, j] = P_ref(yhat = i, y = j)`` of the (black-box) model on
  labelled reference hold-out rows and the distribution ``mu[i] = P_cur(yhat = i)`` of its
  predictions on the unlabelled batch, the class weights ``w = pi' / pi`` solve
  ``C w = mu``. Solved by least squares, clipped at 0 and renormalised to the simplex.
  Consistent for any classifier whose ``C`` is invertible (it need not be calibrated).
* :class:`EMPriorEstimator` (Saerens, Latinne & Decaestecker, 2002): EM on the unlabelled
  batch; E step re-weights the posteriors with the current priors (formula above), M step
  sets the priors to the mean re-weighted posterior. Needs calibrated posteriors;
  converges to the maximum-likelihood priors.

Both return a frozen :class:`PriorEstimate`; :class:`PriorShiftCorrection` applies it.

>>> rng = np.random.default_rng(0)
>>> def draw(prior, n):
...     y = (rng.random(n) < prior).astype(int)
...     x = rng.normal(2.0 * y, 1.0)
...     p1 = 1 / (1 + np.exp(-(2.0 * x - 2.0)))      # Bayes posterior at prior 0.5
...     return np.c_[1 - p1, p1], y
>>> ref_p, ref_y = draw(0.5, 5000)
>>> cur_p, _ = draw(0.2, 5000)
>>> est = BlackBoxShiftEstimator().estimate(ref_p, ref_y, cur_p)
>>> abs(est.priors[1] - 0.2) < 0.03, est.method
(True, 'bbse')
>>> abs(EMPriorEstimator().estimate(ref_p, ref_y, cur_p).priors[1] - 0.2) < 0.03
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from driftline.errors import ConfigError, DataError, fail

_EPS = 1e-12


@dataclass(frozen=True)
class PriorEstimate:
    """Estimated class priors of an unlabelled batch.

    Attributes
    ----------
    method : str
        ``bbse`` or ``em``.
    classes : tuple
        Class labels, in the column order of the probabilities.
    reference_priors : tuple of float
        Class shares of the labelled reference rows (``pi``).
    priors : tuple of float
        Estimated class shares of the batch (``pi'``), on the simplex.
    n_reference, n_current : int
        Rows used.
    iterations : int
        EM iterations (1 for BBSE).
    converged : bool
        EM reached its tolerance (BBSE: the linear system had full rank).
    clipped : bool
        BBSE: a negative weight was clipped to 0 (the raw solution left the simplex).
    """

    method: str
    classes: tuple[Any, ...]
    reference_priors: tuple[float, ...]
    priors: tuple[float, ...]
    n_reference: int
    n_current: int
    iterations: int = 1
    converged: bool = True
    clipped: bool = False

    @property
    def weights(self) -> np.ndarray:
        """Class weights ``pi'(y) / pi(y)``."""
        return np.asarray(self.priors) / np.maximum(np.asarray(self.reference_priors), _EPS)

    @property
    def total_variation(self) -> float:
        """``0.5 * sum |pi' - pi|``: how far the priors moved."""
        return float(0.5 * np.abs(np.subtract(self.priors, self.reference_priors)).sum())

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "classes": [_plain(c) for c in self.classes],
            "reference_priors": list(self.reference_priors),
            "priors": list(self.priors),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "iterations": self.iterations,
            "converged": self.converged,
            "clipped": self.clipped,
            "total_variation": self.total_variation,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PriorEstimate:
        try:
            return cls(
                method=str(d["method"]),
                classes=tuple(d["classes"]),
                reference_priors=tuple(float(v) for v in d["reference_priors"]),
                priors=tuple(float(v) for v in d["priors"]),
                n_reference=int(d.get("n_reference", 0)),
                n_current=int(d.get("n_current", 0)),
                iterations=int(d.get("iterations", 1)),
                converged=bool(d.get("converged", True)),
                clipped=bool(d.get("clipped", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                fail(f"malformed prior estimate ({exc!r})", "pass PriorEstimate.to_dict()")
            ) from None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _probabilities(name: str, p: Any, k: int | None = None) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2 or p.shape[0] == 0:
        raise DataError(
            fail(f"{name} has shape {p.shape}", "pass a (rows, classes) predict_proba matrix")
        )
    if k is not None and p.shape[1] != k:
        raise DataError(
            fail(f"{name} has {p.shape[1]} columns, expected {k}", "use the same model for both")
        )
    if not np.isfinite(p).all() or (p < -1e-9).any() or np.abs(p.sum(axis=1) - 1).max() > 1e-6:
        raise DataError(
            fail(f"{name} are not probabilities", "pass predict_proba output (rows sum to 1)")
        )
    return np.clip(p, 0.0, 1.0)


def _labels(y: Any, classes: Sequence[Any], n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise DataError(
            fail(f"reference labels have shape {y.shape}, expected ({n},)", "one label per row")
        )
    index = {c: i for i, c in enumerate(classes)}
    codes = np.array([index.get(_plain(v), -1) for v in y.tolist()])
    if (codes < 0).any():
        bad = y[codes < 0][0]
        raise DataError(
            fail(f"reference label {bad!r} is not one of the classes {list(classes)}", "fix it")
        )
    return codes


class PriorEstimator(ABC):
    """Base of the prior estimators: :meth:`estimate` validates, then :meth:`_estimate`.

    Parameters
    ----------
    min_rows : int
        Fewest rows on each side.
    """

    method: ClassVar[str]
    reference: ClassVar[str]

    def __init__(self, *, min_rows: int = 20) -> None:
        self.min_rows = min_rows

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return ()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        checks = [
            ("min_rows", _is_int(self.min_rows) and self.min_rows >= 1, "an integer >= 1"),
            *self._param_checks(),
        ]
        for name, ok, what in checks:
            if not ok:
                raise ConfigError(
                    fail(f"{type(self).__name__} {name}={getattr(self, name)!r}", f"use {what}")
                )

    def estimate(
        self,
        reference_proba: Any,
        reference_labels: Any,
        current_proba: Any,
        classes: Sequence[Any] | None = None,
    ) -> PriorEstimate:
        """Priors of the batch scored ``current_proba``, with labelled reference rows.

        ``reference_proba`` / ``reference_labels`` are the model's probabilities and the
        true labels on held-out reference rows (not its training rows); ``classes`` are
        the column labels (default ``0 .. k-1``).
        """
        self.validate()
        ref = _probabilities("reference probabilities", reference_proba)
        k = ref.shape[1]
        cur = _probabilities("current probabilities", current_proba, k)
        classes = tuple(range(k)) if classes is None else tuple(_plain(c) for c in classes)
        if len(classes) != k:
            raise DataError(fail(f"{len(classes)} classes for {k} columns", "pass model.classes_"))
        codes = _labels(reference_labels, classes, len(ref))
        for side, n in (("reference", len(ref)), ("current", len(cur))):
            if n < self.min_rows:
                raise DataError(
                    fail(f"{n} {side} rows < min_rows={self.min_rows}", "pass a larger sample")
                )
        pi = np.bincount(codes, minlength=k) / len(codes)
        if (pi == 0).any():
            missing = [classes[i] for i in np.flatnonzero(pi == 0)]
            raise DataError(
                fail(
                    f"classes {missing} never occur in the reference labels",
                    "use a reference hold-out with every class",
                )
            )
        priors, iterations, converged, clipped = self._estimate(ref, codes, pi, cur)
        return PriorEstimate(
            method=self.method,
            classes=classes,
            reference_priors=tuple(float(v) for v in pi),
            priors=tuple(float(v) for v in priors),
            n_reference=len(ref),
            n_current=len(cur),
            iterations=iterations,
            converged=converged,
            clipped=clipped,
        )

    @abstractmethod
    def _estimate(
        self, ref: np.ndarray, codes: np.ndarray, pi: np.ndarray, cur: np.ndarray
    ) -> tuple[np.ndarray, int, bool, bool]:
        """``(priors, iterations, converged, clipped)``."""


class BlackBoxShiftEstimator(PriorEstimator):
    """Black-box shift estimation, BBSE (module docstring).

    Parameters
    ----------
    soft : bool
        Use the predicted probabilities instead of the argmax labels in ``C`` and ``mu``
        (the "soft" variant of the same estimating equation; default). With a
        logistic model on two Gaussians, prior 0.5 -> 0.2, n = 5,000 on both sides, the
        error sd was 0.008 (soft) vs 0.009 (hard) and the mean error -0.006 vs -0.014
        over 200 seeded batches (``tests/driftline/adapt/test_priors.py``).
    min_rows : int
        See :class:`PriorEstimator`.
    """

    method = "bbse"
    reference = "Lipton, Wang & Smola (2018), Detecting and correcting for label shift with black box predictors, ICML"

    def __init__(self, *, soft: bool = True, min_rows: int = 20) -> None:
        super().__init__(min_rows=min_rows)
        self.soft = soft

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (("soft", isinstance(self.soft, bool), "True or False"),)

    def _estimate(self, ref, codes, pi, cur):
        k = ref.shape[1]
        if self.soft:
            pred_ref, pred_cur = ref, cur
        else:
            pred_ref = np.eye(k)[ref.argmax(axis=1)]
            pred_cur = np.eye(k)[cur.argmax(axis=1)]
        truth = np.eye(k)[codes]
        confusion = pred_ref.T @ truth / len(ref)  # C[i, j] = P(yhat = i, y = j)
        mu = pred_cur.mean(axis=0)
        w, _, rank, _ = np.linalg.lstsq(confusion, mu, rcond=None)
        clipped = bool((w < 0).any())
        priors = np.maximum(w, 0.0) * pi
        total = priors.sum()
        if not total > 0:
            priors, clipped = pi.copy(), True
        else:
            priors = priors / total
        return priors, 1, bool(rank == k), clipped


class EMPriorEstimator(PriorEstimator):
    """EM re-estimation of the priors (Saerens, Latinne & Decaestecker, 2002).

    Parameters
    ----------
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when no prior moves by more than ``tol``.
    min_rows : int
        See :class:`PriorEstimator`.

    The reference rows only give ``pi`` (the priors the posteriors were fitted under).
    """

    method = "em"
    reference = "Saerens, Latinne & Decaestecker (2002), Adjusting the outputs of a classifier to new a priori probabilities, Neural Computation 14(1)"

    def __init__(self, *, max_iter: int = 1000, tol: float = 1e-6, min_rows: int = 20) -> None:
        super().__init__(min_rows=min_rows)
        self.max_iter = max_iter
        self.tol = tol

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("max_iter", _is_int(self.max_iter) and self.max_iter >= 1, "an integer >= 1"),
            ("tol", isinstance(self.tol, float | int) and 0 < self.tol < 1, "a number in (0, 1)"),
        )

    def _estimate(self, ref, codes, pi, cur):  # noqa: ARG002 - ref and codes give pi only
        priors = pi.copy()
        for iteration in range(1, self.max_iter + 1):
            posterior = reweight(cur, pi, priors)
            new = posterior.mean(axis=0)
            done = np.abs(new - priors).max() < self.tol
            priors = new
            if done:
                return priors, iteration, True, False
        return priors, self.max_iter, False, False


def reweight(proba: np.ndarray, reference_priors: Any, priors: Any) -> np.ndarray:
    """``p'(y|x) ∝ p(y|x) pi'(y) / pi(y)``, rows renormalised (Saerens et al., 2002)."""
    w = np.asarray(priors, dtype=np.float64) / np.maximum(
        np.asarray(reference_priors, dtype=np.float64), _EPS
    )
    out = np.asarray(proba, dtype=np.float64) * w
    total = out.sum(axis=1, keepdims=True)
    flat = total[:, 0] <= 0
    if flat.any():  # every class with positive probability got weight 0: keep the row
        out[flat] = np.asarray(proba, dtype=np.float64)[flat]
        total[flat] = out[flat].sum(axis=1, keepdims=True)
    return out / total


@dataclass(frozen=True)
class PriorShiftCorrection:
    """The correction ``p'(y|x) ∝ p(y|x) pi'(y) / pi(y)`` for one estimate.

    >>> c = PriorShiftCorrection.from_estimate(PriorEstimate(
    ...     "bbse", (0, 1), (0.5, 0.5), (0.8, 0.2), 100, 100))
    >>> c.apply(np.array([[0.5, 0.5]])).round(3).tolist()
    [[0.8, 0.2]]
    """

    classes: tuple[Any, ...]
    reference_priors: tuple[float, ...]
    priors: tuple[float, ...]
    method: str = "bbse"

    def __post_init__(self) -> None:
        k = len(self.classes)
        for name in ("reference_priors", "priors"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            if values.shape != (k,) or (values < 0).any() or abs(values.sum() - 1) > 1e-6:
                raise ConfigError(
                    fail(f"{name}={getattr(self, name)!r}", f"use {k} shares summing to 1")
                )
        if (np.asarray(self.reference_priors) <= 0).any():
            raise ConfigError(fail("a reference prior is 0", "every class must occur"))

    @classmethod
    def from_estimate(cls, estimate: PriorEstimate) -> PriorShiftCorrection:
        return cls(estimate.classes, estimate.reference_priors, estimate.priors, estimate.method)

    def apply(self, proba: Any) -> np.ndarray:
        """Corrected probabilities of a ``(rows, classes)`` matrix."""
        p = _probabilities("probabilities", proba, len(self.classes))
        return reweight(p, self.reference_priors, self.priors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": [_plain(c) for c in self.classes],
            "reference_priors": list(self.reference_priors),
            "priors": list(self.priors),
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PriorShiftCorrection:
        try:
            return cls(
                tuple(d["classes"]),
                tuple(float(v) for v in d["reference_priors"]),
                tuple(float(v) for v in d["priors"]),
                str(d.get("method", "bbse")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                fail(f"malformed correction ({exc!r})", "pass PriorShiftCorrection.to_dict()")
            ) from None


class PriorCorrectedClassifier:
    """A fitted classifier whose probabilities are corrected for new priors.

    Exposes ``classes_``, ``predict_proba`` and ``predict`` (argmax of the corrected
    probabilities), like the scikit-learn model it wraps, so the gate, the drift check
    and batch inference use it unchanged. ``base`` is never modified; a correction of a
    corrected model replaces the correction instead of stacking it.
    """

    def __init__(self, base: Any, correction: PriorShiftCorrection) -> None:
        if isinstance(base, PriorCorrectedClassifier):
            base = base.base
        if not hasattr(base, "predict_proba"):
            raise ConfigError(
                fail(
                    f"{type(base).__name__} has no predict_proba", "wrap a probabilistic classifier"
                )
            )
        classes = tuple(_plain(c) for c in getattr(base, "classes_", ()))
        if classes and classes != tuple(correction.classes):
            raise ConfigError(
                fail(
                    f"the model's classes {list(classes)} differ from the correction's "
                    f"{list(correction.classes)}",
                    "estimate the priors with this model's probabilities",
                )
            )
        self.base = base
        self.correction = correction
        self.classes_ = np.asarray(getattr(base, "classes_", correction.classes))

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.correction.apply(self.base.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def prediction_shift(model: Any, reference: Any, current: Any, *, alpha: float = 0.05) -> Any:
    """Label shift without labels: BBSD of ``model``'s probabilities, reference vs batch.

    Black-box shift detection (Lipton, Wang & Smola, 2018) through
    :class:`~driftline.drift.BlackBoxShift`: ``reference`` holds rows the model was not
    trained on (the champion's hold-out), ``current`` the batch's feature rows. A
    prior-corrected model is tested through its base model, whose correction a new one
    would replace. The label-free backtest (:class:`~driftline.backtest.LabelFree`) and
    the DAG's drift check (``flow.check_drift`` for a batch without labels) both call
    this; a drifted result has kind ``"label"`` (policy rule L1).

    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> X = (rng.normal(size=2000) + 2 * y).reshape(-1, 1)
    >>> m = LogisticRegression().fit(X[:1000], y[:1000])
    >>> keep = (y[1000:] == 1) | (rng.random(1000) < 0.25)  # prior 0.5 -> 0.8
    >>> r = prediction_shift(m, X[1000:1500], X[1000:][keep])
    >>> r.kind, r.is_drift
    ('label', True)
    """
    from driftline.drift import BlackBoxShift

    base = model.base if isinstance(model, PriorCorrectedClassifier) else model
    if not hasattr(base, "predict_proba"):
        raise ConfigError(
            fail(
                f"{type(base).__name__} has no predict_proba: label shift cannot be tested "
                "without labels",
                "use a probabilistic classifier or deliver labels",
            )
        )
    return BlackBoxShift(alpha=alpha).test(
        base.predict_proba(reference), base.predict_proba(current)
    )
