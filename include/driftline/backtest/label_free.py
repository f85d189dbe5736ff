"""The label-free replay policy: adapt to each batch without its labels.

In the backtest's label-free mode (``BacktestConfig(label_free=True)``, ``driftline
backtest --label-free``) no label arrives after the bootstrap: the labels of the stream
are used to *score* the policies only. :class:`LabelFree` then reacts to every scored
batch's features as the training DAG reacts to an unlabelled batch:

1. **drift**: black-box shift detection (:func:`~driftline.adapt.prediction_shift`) of the
   base model's predicted probabilities on the reference hold-out vs the batch
   (``label``), and the domain-classifier test (:class:`~driftline.drift.DomainClassifier`)
   of the reference training rows vs the batch (``covariate``);
2. **policy**: :class:`~driftline.training.Policy` with ``has_labels=False`` (rules L1-L3:
   ``recalibrate_priors`` / ``reweight_retrain`` / ``none``);
3. **adapt**: :func:`driftline.adapt.recalibrate_priors` of the base model, or
   :func:`driftline.adapt.reweight_retrain` on the labelled bootstrap rows (refused when
   the effective sample size is too small);
4. **gate**: the same :class:`~driftline.training.BootstrapGate` as the DAG, on the
   bootstrap hold-out resampled toward the batch; the adapted model replaces the current
   one only when the gate promotes it.

The only labelled data are the bootstrap rows, so every adaptation starts from them:
the reference never moves.
"""

from __future__ import annotations

import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from driftline.backtest.base import Champion, Step
from driftline.errors import ConfigError, fail
from driftline.training import BootstrapGate, ModelSpec, Policy


class LabelFree:
    """Label-free adaptation in the backtest (module docstring).

    Parameters
    ----------
    alpha : float
        Level of the drift tests and of the gate.
    seed : int
        Seed of the domain classifiers, the resampling and the gate.
    prior_method : {"bbse", "em"}
        Prior estimator.
    min_ess, min_ess_ratio : float
        Refusal floor of the importance weights.
    """

    name: ClassVar[str] = "label_free"

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        seed: int = 0,
        prior_method: str = "bbse",
        min_ess: float = 100.0,
        min_ess_ratio: float = 0.1,
    ) -> None:
        self.alpha = alpha
        self.seed = seed
        self.prior_method = prior_method
        self.min_ess = min_ess
        self.min_ess_ratio = min_ess_ratio
        self.spec: ModelSpec | None = None
        self.champion: Champion | None = None
        self.reference: Champion | None = None

    @property
    def label(self) -> str:
        return self.name

    def validate(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(fail(f"label_free: alpha={self.alpha!r}", "use a number in (0, 1)"))
        if self.prior_method not in ("bbse", "em"):
            raise ConfigError(
                fail(f"label_free: prior_method={self.prior_method!r}", "use 'bbse' or 'em'")
            )

    def start(self, spec: ModelSpec, champion: Champion) -> None:
        self.validate()
        if spec.task != "classification":
            raise ConfigError(
                fail("the label-free backtest needs a classification target", "pick one")
            )
        if champion.holdout is None or len(champion.holdout) == 0:
            raise ConfigError(
                fail("the bootstrap model has no hold-out", "use holdout_fraction > 0")
            )
        self.spec, self.champion, self.reference = spec, champion, champion

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        spec, champion = self._ready()
        return np.asarray(champion.model.predict(frame[list(spec.features)]))

    def adapt(self, index: int, batch_id: str, frame: pd.DataFrame, *, scored_through: int) -> Step:
        """React to the features of batch ``index`` (its labels are not read)."""
        from driftline.adapt import (
            ImportanceWeighting,
            prediction_shift,
            recalibrate_priors,
            reweight_retrain,
        )
        from driftline.adapt.priors import PriorCorrectedClassifier
        from driftline.drift import DomainClassifier

        spec, champion = self._ready()
        ref = self.reference
        features = list(spec.features)
        current = frame[features]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        model = champion.model
        base = model.base if isinstance(model, PriorCorrectedClassifier) else model
        bbsd = prediction_shift(champion.model, ref.holdout[features], current, alpha=self.alpha)
        domain = DomainClassifier(alpha=self.alpha, seed=self.seed).test(
            ref.train_frame[features], current
        )
        kinds = tuple(k for k, r in (("label", bbsd), ("covariate", domain)) if r.is_drift)
        summary = SimpleNamespace(
            is_drift=bool(kinds),
            kinds=kinds,
            severity="moderate",
            max_effect=max(bbsd.effect_size, domain.effect_size),
        )
        decision = Policy().decide(summary, has_labels=False)
        details: dict[str, Any] = {
            "bbsd_p_value": bbsd.p_value,
            "domain_auc": domain.details.get("auc"),
        }
        step = Step(
            policy=self.label,
            index=index,
            batch_id=batch_id,
            scored_through=scored_through,
            action=decision.action,
            reasons=decision.reasons,
            trained=False,
            promoted=False,
            strategy=None,
            cpu_seconds=0.0,
            wall_seconds=0.0,
            rows=0,
            trained_on=(),
            kinds=kinds,
            severity=summary.severity,
            champion_version=champion.version,
            details=details,
        )
        if decision.action == "none":
            return step
        if decision.action == "recalibrate_priors":
            adapted = recalibrate_priors(
                base, spec, ref.holdout, current, method=self.prior_method, seed=self.seed
            )
        else:
            weighting = ImportanceWeighting(
                min_ess=self.min_ess, min_ess_ratio=self.min_ess_ratio, seed=self.seed
            )
            adapted = reweight_retrain(
                spec,
                ref.train_frame,
                current,
                reference_holdout=ref.holdout,
                weighting=weighting,
                seed=self.seed,
            )
        report = adapted.to_dict()
        details.update(
            {
                k: report[k]
                for k in ("prior_estimate", "importance_weights", "reason")
                if report.get(k) is not None
            }
        )
        promote, gate = False, None
        if adapted.accepted and adapted.holdout is not None:
            gate_result = BootstrapGate(alpha=self.alpha, seed=self.seed).evaluate(
                champion.model, adapted.model, adapted.holdout, spec
            )
            promote, gate = gate_result.promote, gate_result.to_dict()
        if promote:
            self.champion = Champion(
                model=adapted.model,
                version=champion.version + 1,
                batch_id=batch_id,
                strategy=decision.action,
                train_frame=ref.train_frame,
                holdout=ref.holdout,
            )
        result = adapted.train_result
        return replace(
            step,
            reasons=(*decision.reasons, adapted.reason),
            trained=adapted.accepted,
            promoted=promote,
            strategy=decision.action if adapted.accepted else None,
            cpu_seconds=time.process_time() - cpu0,
            wall_seconds=time.perf_counter() - wall0,
            rows=0 if result is None else result.rows,
            gate=gate,
            champion_version=self.champion.version,
            details=details,
        )

    def _ready(self) -> tuple[ModelSpec, Champion]:
        if self.spec is None or self.champion is None:
            raise ConfigError(fail(f"{self.label} has no champion", "call start() first"))
        return self.spec, self.champion
