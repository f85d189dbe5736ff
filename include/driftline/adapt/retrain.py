"""Label-free adaptation of a fitted model to an unlabelled batch: the two actions.

* :func:`recalibrate_priors` — estimate the batch's class priors from the champion's
  predictions (:mod:`driftline.adapt.priors`) and wrap the champion in a
  :class:`~driftline.adapt.priors.PriorCorrectedClassifier`; nothing is retrained.
* :func:`reweight_retrain` — :class:`ReweightedRetrain`: a full retrain on the labelled
  reference rows with importance weights ``w(x)`` toward the batch
  (:mod:`driftline.adapt.weights`); refused when the effective sample size is too small.

Both return a frozen :class:`Adaptation` holding the adapted model and the rows the
promotion gate may score it on. Without labels on the batch those are the labelled
reference hold-out *resampled toward the batch* (sampling-importance-resampling, Rubin,
1988): row ``i`` is drawn with probability proportional to its importance weight —
``pi'(y_i) / pi(y_i)`` under label shift, ``w(x_i)`` under covariate shift — and as many
rows are drawn as the weights' effective sample size, so the gate sees an estimate of the
new distribution and no more evidence than the weights carry. The gate stays the same
paired test as for labelled challengers; a label-free challenger is promoted only when it
is significantly better on those rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.adapt.priors import (
    BlackBoxShiftEstimator,
    EMPriorEstimator,
    PriorCorrectedClassifier,
    PriorEstimate,
    PriorShiftCorrection,
)
from driftline.adapt.weights import ImportanceWeighting, ImportanceWeights, effective_sample_size
from driftline.errors import ConfigError, DataError, fail
from driftline.training.spec import ModelSpec
from driftline.training.strategies import FullRetrain, TrainResult
from driftline.training.window import Batch, Window

LabelFreeAction = Literal["recalibrate_priors", "reweight_retrain"]


@dataclass(frozen=True, eq=False)
class Adaptation:
    """Outcome of a label-free adaptation.

    ``model`` is ``None`` when the adaptation was refused (``accepted`` false; ``reason``
    says why). ``holdout`` holds the labelled rows a gate may score it on;
    ``holdout_kind`` is ``importance_resampled`` or ``batch`` (labelled batch rows).
    """

    action: LabelFreeAction
    accepted: bool
    reason: str
    model: Any = None
    holdout: pd.DataFrame | None = None
    holdout_kind: str = "importance_resampled"
    estimate: PriorEstimate | None = None
    weights: ImportanceWeights | None = None
    train_result: TrainResult | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (no model, no rows)."""
        return {
            "action": self.action,
            "accepted": self.accepted,
            "reason": self.reason,
            "holdout_kind": self.holdout_kind,
            "holdout_rows": None if self.holdout is None else len(self.holdout),
            "prior_estimate": None if self.estimate is None else self.estimate.to_dict(),
            "importance_weights": None if self.weights is None else self.weights.to_dict(),
            "training": None if self.train_result is None else self.train_result.summary(),
            **dict(self.details),
        }


def importance_resample(
    frame: pd.DataFrame, weights: Any, *, seed: int = 0, size: int | None = None
) -> pd.DataFrame:
    """Draw ``size`` rows (default: the weights' Kish ESS) with probability ∝ ``weights``.

    >>> f = pd.DataFrame({"y": [0, 0, 1, 1]})
    >>> importance_resample(f, [0, 0, 1, 1], size=6).y.tolist()
    [1, 1, 1, 1, 1, 1]
    """
    w = np.asarray(weights, dtype=np.float64)
    if len(w) != len(frame) or len(w) == 0 or not (w.sum() > 0):
        raise DataError(fail("resampling weights do not match the rows", "one weight per row"))
    n = size if size is not None else max(1, int(round(effective_sample_size(w))))
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(frame), size=n, replace=True, p=w / w.sum())
    return frame.iloc[np.sort(idx)].reset_index(drop=True)


def _labelled(frame: pd.DataFrame, spec: ModelSpec, what: str) -> pd.DataFrame:
    if spec.target not in frame.columns:
        raise DataError(fail(f"{what} has no column {spec.target!r}", "pass labelled rows"))
    out = frame[frame[spec.target].notna()]
    if len(out) == 0:
        raise DataError(fail(f"{what} has no labelled rows", "pass labelled reference rows"))
    return out


def recalibrate_priors(
    model: Any,
    spec: ModelSpec,
    reference_holdout: pd.DataFrame,
    current: pd.DataFrame,
    *,
    method: Literal["bbse", "em"] = "bbse",
    seed: int = 0,
    min_prior: float = 0.01,
) -> Adaptation:
    """Correct ``model`` for the class priors of the unlabelled ``current`` rows.

    ``reference_holdout`` holds labelled rows of the reference distribution the model was
    *not* trained on (its logged hold-out): BBSE's confusion matrix comes from them. If
    ``model`` is already a prior-corrected model its base is re-corrected (the
    reference priors stay the base's).

    Refused (``accepted`` false, no model) when the estimate contradicts a label shift:
    BBSE's solution of ``C w = mu`` left the simplex (the distribution of the
    predictions on the batch cannot come from *any* change of the priors: some other
    shift moved them), or a class's estimated prior is below ``min_prior`` (a
    correction would stop predicting it). Without that check the gate rows — resampled
    by the same estimate — would confirm any degenerate estimate (e.g. priors ``(0, 1)``
    make the hold-out one class, on which "always predict it" wins).
    """
    if spec.task != "classification":
        raise ConfigError(
            fail(f"recalibrate_priors needs a classifier, the spec is {spec.task}", "reweight")
        )
    estimator = {"bbse": BlackBoxShiftEstimator, "em": EMPriorEstimator}.get(method)
    if estimator is None:
        raise ConfigError(fail(f"prior method {method!r}", "use 'bbse' or 'em'"))
    base = model.base if isinstance(model, PriorCorrectedClassifier) else model
    if not hasattr(base, "predict_proba"):
        raise ConfigError(fail("the champion has no predict_proba", "use reweight_retrain"))
    holdout = _labelled(reference_holdout, spec, "the reference hold-out")
    features = list(spec.features)
    classes = list(base.classes_)
    estimate = estimator().estimate(
        base.predict_proba(holdout[features]),
        holdout[spec.target].to_numpy(),
        base.predict_proba(current[features]),
        classes=classes,
    )
    shares = ", ".join(
        f"{c}: {p:.3f}" for c, p in zip(estimate.classes, estimate.priors, strict=True)
    )
    if estimate.clipped or min(estimate.priors) < min_prior:
        why = (
            "BBSE's solution left the simplex (clipped to a prior of 0)"
            if estimate.clipped
            else f"a class prior is below min_prior={min_prior:g}"
        )
        return Adaptation(
            "recalibrate_priors",
            False,
            f"refused: estimated priors {{{shares}}} contradict a label shift ({why}): the "
            "predictions moved in a way no change of the class priors explains",
            estimate=estimate,
        )
    adapted = PriorCorrectedClassifier(base, PriorShiftCorrection.from_estimate(estimate))
    row_weights = _class_weights(holdout[spec.target].to_numpy(), estimate)
    gate_rows = importance_resample(holdout, row_weights, seed=seed)
    reason = (
        f"{method.upper()} priors {{{shares}}} (reference "
        + ", ".join(f"{p:.3f}" for p in estimate.reference_priors)
        + f"; total variation {estimate.total_variation:.3f})"
    )
    return Adaptation(
        "recalibrate_priors",
        True,
        reason,
        model=adapted,
        holdout=gate_rows,
        estimate=estimate,
        details={"gate_rows_ess": len(gate_rows)},
    )


def _class_weights(y: np.ndarray, estimate: PriorEstimate) -> np.ndarray:
    index = {c: i for i, c in enumerate(estimate.classes)}
    w = estimate.weights
    return np.array([w[index[v.item() if isinstance(v, np.generic) else v]] for v in y])


class ReweightedRetrain(FullRetrain):
    """Full retrain with importance weights ``w(x)`` of a fitted :class:`ImportanceWeighting`.

    The weights of the rows actually selected by the window are recomputed from their
    features (scaled to mean 1) and multiply the window's own weights.
    """

    name = "reweight_retrain"  # type: ignore[assignment]

    def __init__(
        self,
        weighting: ImportanceWeighting,
        window: Window | None = None,
        threads: int | None = None,
    ) -> None:
        super().__init__(window, threads)
        self.weighting = weighting

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "adaptation": "reweight_retrain",
            **{f"importance_{k}": v for k, v in self.weighting.params().items()},
        }

    def _fit(self, spec, X, y, sample_weight, champion):
        w = self.weighting.ratio(X)
        w = w / w.mean() if w.mean() > 0 else np.ones(len(w))
        if sample_weight is not None:
            w = w * np.asarray(sample_weight, dtype=np.float64)
        return super()._fit(spec, X, y, w, champion)


def reweight_retrain(
    spec: ModelSpec,
    reference: pd.DataFrame | Batch | list[Batch],
    current: pd.DataFrame,
    *,
    reference_holdout: pd.DataFrame | None = None,
    weighting: ImportanceWeighting | None = None,
    threads: int | None = 1,
    seed: int = 0,
) -> Adaptation:
    """Retrain on labelled ``reference`` rows weighted toward the unlabelled ``current`` rows.

    Refused (``accepted`` false, no model) when the weights' effective sample size is
    below the floor of ``weighting``. The gate rows are ``reference_holdout`` resampled by
    ``w(x)`` (``None``: no gate rows).
    """
    batches = [reference] if isinstance(reference, Batch) else reference
    if isinstance(batches, pd.DataFrame):
        batches = [Batch("reference", batches, "reference")]
    batches = [
        Batch(b.batch_id, _labelled(b.frame, spec, f"reference batch {b.batch_id}"), b.source)
        for b in batches
    ]
    train_frame = pd.concat([b.frame for b in batches], ignore_index=True)
    features = list(spec.features)
    weighting = weighting or ImportanceWeighting(seed=seed)
    weighting.fit(train_frame[features], current[features])
    weights = weighting.weights(train_frame[features])
    if not weights.accepted:
        return Adaptation("reweight_retrain", False, f"refused: {weights.reason}", weights=weights)
    result = ReweightedRetrain(weighting, Window.all(), threads).train(spec, batches)
    gate_rows = None
    if reference_holdout is not None and len(reference_holdout):
        holdout = _labelled(reference_holdout, spec, "the reference hold-out")
        gate_rows = importance_resample(holdout, weighting.ratio(holdout[features]), seed=seed)
    return Adaptation(
        "reweight_retrain",
        True,
        f"retrained on {result.rows} reference rows with importance weights: {weights.reason}",
        model=result.model,
        holdout=gate_rows,
        weights=weights,
        train_result=result,
    )
