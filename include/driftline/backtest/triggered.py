"""The Driftline policy replayed: drift report -> policy decision -> train -> gate.

When the labels of a batch arrive, :class:`DriftTriggered` runs what the training DAG
runs for that batch:

1. **concept check**: the champion's per-row outcomes on the newly labelled batch
   against its *reference performance*, its outcomes on labelled data it was not
   trained on. With ``reference="scored"`` (default) these are the batches it scored
   since it became champion, and only until there is one, the hold-out it was gated on:
   a promoted model was chosen *because* it did well on that hold-out, so its score
   there is biased upwards (the winner's curse), and on an autocorrelated stream the
   hold-out, the newest rows of the training batch, is also easier than the next batch.
   ``"scored_and_holdout"`` keeps the hold-out in the reference, ``"holdout"`` uses it
   alone. ``concept="performance_drop"`` (default) is
   :class:`~driftline.drift.PerformanceDrop` (one-sided two-proportion z-test with a
   bootstrap CI of the drop; Efron & Tibshirani, 1993); ``"adwin"`` / ``"ddm"`` stream
   the reference errors then the new ones through :class:`~driftline.drift.ADWIN`
   (Bifet & Gavaldà, 2007) / :class:`~driftline.drift.DDM` (Gama et al., 2004) and
   count only a rise of the error rate;
2. **drift report**: :meth:`DatasetDrift.check <driftline.drift.DatasetDrift.check>` of
   the batch (features, label, predicted probabilities) against the champion's
   reference profile (:func:`driftline.training.reference_profile` of its training
   rows), with the concept result as an extra result;
3. **decision**: :meth:`Policy.decide <driftline.training.Policy.decide>` on the report;
4. training on the batch minus its newest ``holdout_fraction`` and the **gate**
   (:class:`~driftline.training.BootstrapGate` by default) on that hold-out, as in
   :func:`driftline.training.train_and_log` and :func:`~driftline.training.gate_and_promote`.
   A full retrain learns from the last ``window`` batches, except after a concept alarm
   on which the champion did worse than an *uninformed* predictor (the majority class,
   or the median, of its own training labels; ``concept_window="auto"``, default): then
   the old data teaches a relation that now misleads, and the retrain learns from the
   batches since the alarm only (as DDM rebuilds its model from the examples since the
   change, Gama et al., 2004). ``"window"`` and ``"since_drift"`` always use one or the
   other.

A concept alarm opens a *drift episode*, closed by the first batch without a drop or
``window`` batches later. With ``persist_drift`` the episode keeps the pre-drift
reference, so a new champion that beats the old one but stays below the pre-drift level
keeps triggering retrains (as DDM keeps its minimum error level, Gama et al., 2004);
without it (default) every champion is judged against its own record.

The default :class:`~driftline.training.Policy` here is :func:`labelled_policy`: with
labels at hand the concept check measures whether the model still works, so only a
performance drop (concept drift) pays for a full retrain, and any distribution shift
(covariate or label, moderate or severe) is met by a cheap fine-tune (Gama et al., 2014;
Lu et al., 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from driftline.backtest.base import Champion, Plan, ReplayPolicy
from driftline.drift import ADWIN, DDM, DatasetDrift, DriftResult, PerformanceDrop
from driftline.errors import ConfigError, fail
from driftline.training import (
    Batch,
    BootstrapGate,
    Gate,
    ModelSpec,
    Policy,
    evaluate,
    reference_profile,
)

ConceptTest = Literal["performance_drop", "adwin", "ddm"]
Pair = tuple[np.ndarray, np.ndarray]  # (y_true, y_pred) of one batch
CONCEPT_TESTS: tuple[str, ...] = ("performance_drop", "adwin", "ddm")
REFERENCES: tuple[str, ...] = ("scored", "scored_and_holdout", "holdout")
CONCEPT_WINDOWS: tuple[str, ...] = ("auto", "window", "since_drift")


def labelled_policy() -> Policy:
    """The policy when labels come with the batch: retrain on concept drift, else fine-tune.

    >>> labelled_policy().to_dict()["severe"]
    'fine_tune'
    """
    return Policy(
        covariate="fine_tune",
        concept="full_retrain",
        label="fine_tune",
        severe="fine_tune",
        unknown="fine_tune",
    )


class DriftTriggered(ReplayPolicy):
    """Drift-triggered training with a promotion gate (module docstring).

    Parameters
    ----------
    policy : Policy or None
        Drift report -> action; ``None`` is :func:`labelled_policy`.
    drift : DatasetDrift or None
        Dataset-level drift check; ``None`` is ``DatasetDrift(alpha=alpha)``.
    concept : {"performance_drop", "adwin", "ddm"}
        Concept-drift test on the champion's outcomes.
    reference : {"scored", "scored_and_holdout", "holdout"}
        Reference outcomes of the concept test (module docstring).
    concept_window : {"auto", "window", "since_drift"}
        Batches a concept-triggered full retrain learns from (module docstring).
    persist_drift : bool
        Keep the pre-drift reference during a drift episode (module docstring).
    alpha : float
        Significance level of the drift and concept tests and of the gate.
    seed : int
        Seed of the bootstrap in the concept test and the gate.
    **kwargs
        See :class:`~driftline.backtest.base.ReplayPolicy`; ``holdout_fraction`` defaults
        to 0.2 and ``gate`` to ``BootstrapGate(alpha=alpha, seed=seed)`` on accuracy (MAE
        for regression), as in :class:`driftline.training.TrainingConfig`.
    """

    name = "driftline"

    def __init__(
        self,
        *,
        policy: Policy | None = None,
        drift: DatasetDrift | None = None,
        concept: ConceptTest = "performance_drop",
        reference: Literal["scored", "scored_and_holdout", "holdout"] = "scored",
        concept_window: Literal["auto", "window", "since_drift"] = "auto",
        persist_drift: bool = False,
        alpha: float = 0.05,
        seed: int = 0,
        holdout_fraction: float = 0.2,
        gate: Gate | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(holdout_fraction=holdout_fraction, gate=gate, **kwargs)
        self.policy = policy
        self.drift = drift
        self.concept = concept
        self.reference = reference
        self.concept_window = concept_window
        self.persist_drift = persist_drift
        self.alpha = alpha
        self.seed = seed
        self._profile: tuple[int, Any] | None = None
        self._reference: tuple[int, list[Pair], list[Pair]] = (-1, [], [])
        self._episode: tuple[int, str, list[Pair]] | None = None

    def validate(self) -> None:
        if self.concept not in CONCEPT_TESTS:
            raise ConfigError(fail(f"concept={self.concept!r}", f"use one of {CONCEPT_TESTS}"))
        if self.concept_window not in CONCEPT_WINDOWS:
            raise ConfigError(
                fail(f"concept_window={self.concept_window!r}", f"use one of {CONCEPT_WINDOWS}")
            )
        if self.reference not in REFERENCES:
            raise ConfigError(fail(f"reference={self.reference!r}", f"use one of {REFERENCES}"))
        if not 0 < self.alpha < 0.5:
            raise ConfigError(fail(f"alpha={self.alpha!r}", "use a level in (0, 0.5), e.g. 0.05"))
        if self.holdout_fraction <= 0:
            raise ConfigError(
                fail("driftline needs a hold-out for its gate", "use holdout_fraction > 0")
            )
        super().validate()

    def start(self, spec: ModelSpec, champion: Champion) -> None:
        self._profile, self._reference, self._episode = None, (-1, [], []), None
        if self.gate is None:
            metric = "accuracy" if spec.task == "classification" else "mae"
            self.gate = BootstrapGate(metric=metric, alpha=self.alpha, seed=self.seed)
        if self.concept == "ddm" and spec.task != "classification":
            raise ConfigError(fail("DDM needs a 0/1 error stream", "use performance_drop or adwin"))
        super().start(spec, champion)

    # -- the hook ---------------------------------------------------------------------

    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        spec, champion = self._ready()
        frame = history[-1].frame
        X = frame[list(spec.features)]
        current = (frame[spec.target].to_numpy(), np.asarray(champion.model.predict(X)))
        concept = self._concept(index, history[-1].batch_id, current)
        predictions = None
        if spec.task == "classification" and hasattr(champion.model, "predict_proba"):
            predictions = champion.model.predict_proba(X)
        drift = self.drift or DatasetDrift(alpha=self.alpha)
        report = drift.check(
            self._reference_profile(),
            frame,
            target=spec.target,
            predictions=predictions,
            batch_id=history[-1].batch_id,
            extra_results=[concept],
        )
        decision = (self.policy or labelled_policy()).decide(report, has_labels=True)
        uninformed = _worse_than_uninformed(
            current, champion.train_frame[spec.target].to_numpy(), spec.task == "classification"
        )
        window = None
        if decision.action == "full_retrain":
            window = self._retrain_window(history, uninformed)
        details = {
            "drifted_columns": report.drifted_columns,
            "max_effect": report.max_effect,
            "concept_effect": concept.effect_size,
            "concept_p_value": concept.p_value,
            "concept_drift": concept.is_drift,
            "episode_since": None if self._episode is None else self._episode[1],
            "worse_than_uninformed": uninformed,
        }
        return Plan(
            decision.action, decision.reasons, report.kinds, report.severity, details, window
        )

    # -- concept drift ----------------------------------------------------------------

    def _concept(self, index: int, batch_id: str, current: Pair) -> DriftResult:
        """Test the new batch against the reference; open or close the drift episode."""
        own = self._own_reference()
        if self._episode is not None and index - self._episode[0] >= self.window:
            self._episode = None  # a retrain now sees only post-change data
        if self._episode is not None and self.persist_drift:
            reference = self._episode[2]
        else:
            reference = own
        result = self._concept_test(reference, current)
        if result.is_drift and self._episode is None:
            self._episode = (index, batch_id, list(own))
        elif not result.is_drift:
            self._episode = None  # back to the reference level: resolved
        if self.reference != "holdout":
            self._reference[2].append(current)  # out-of-sample evidence for what follows
        return result

    def _own_reference(self) -> list[Pair]:
        """The champion's reference outcomes (``reference``, module docstring)."""
        spec, champion = self._ready()
        if self._reference[0] != champion.version:
            holdout: list[Pair] = []
            if champion.holdout is not None and len(champion.holdout):
                h = champion.holdout
                predicted = np.asarray(champion.model.predict(h[list(spec.features)]))
                holdout.append((h[spec.target].to_numpy(), predicted))
            self._reference = (champion.version, holdout, [])
        _, holdout, scored = self._reference
        if self.reference == "holdout" or (self.reference == "scored" and not scored):
            return list(holdout)
        if self.reference == "scored":
            return list(scored)
        return holdout + scored

    def _concept_test(self, reference: list[Pair], current: Pair) -> DriftResult:
        spec, _ = self._ready()
        y, y_pred = current
        if not reference:  # no out-of-sample evidence yet: nothing to compare with
            reference = [current]
        y_ref = np.concatenate([p[0] for p in reference])
        p_ref = np.concatenate([p[1] for p in reference])
        classification = spec.task == "classification"
        if self.concept == "performance_drop":
            if classification:
                test = PerformanceDrop(alpha=self.alpha, seed=self.seed)
                return test.test((y_ref == p_ref).astype(float), (y == y_pred).astype(float))
            test = PerformanceDrop(alpha=self.alpha, seed=self.seed, metric=_neg_mae)
            return test.test((y_ref.astype(float), p_ref), (y.astype(float), y_pred))
        err_ref, err_cur = _errors(y_ref, p_ref, classification), _errors(y, y_pred, classification)
        detector = ADWIN() if self.concept == "adwin" else DDM()
        result = detector.test(err_ref, err_cur)
        if result.is_drift and float(err_cur.mean()) <= float(err_ref.mean()):
            # the error rate fell: a change, but not one that calls for a new model
            return replace(result, is_drift=False)
        return result

    # -- helpers ----------------------------------------------------------------------

    def _retrain_window(self, history: Sequence[Batch], uninformed: bool) -> int | None:
        """The batches since the episode's first alarm (``concept_window``), else ``None``."""
        if self._episode is None or self.concept_window == "window":
            return None
        if self.concept_window == "auto" and not uninformed:
            return None
        ids = [b.batch_id for b in history]
        start = self._episode[1]
        return min(len(ids) - ids.index(start), self.window) if start in ids else None

    def _reference_profile(self) -> Any:
        """The champion's reference profile (built once per champion)."""
        spec, champion = self._ready()
        if self._profile is None or self._profile[0] != champion.version:
            performance = (
                evaluate(champion.model, champion.holdout, spec, prefix="holdout_")
                if champion.holdout is not None
                else {}
            )
            profile = reference_profile(champion.train_frame, spec, champion.model, performance)
            self._profile = (champion.version, profile)
        return self._profile[1]


def _worse_than_uninformed(current: Pair, y_train: np.ndarray, classification: bool) -> bool:
    """Whether the model does worse on the batch than a predictor that ignores the features.

    The uninformed predictor always answers the majority class (classification) or the
    median (regression, absolute error) of the model's own training labels: a model
    below it has learnt a relation between features and label that now misleads.

    >>> y, y_train = np.array([0, 0, 1, 1]), np.array([0, 0, 1])
    >>> _worse_than_uninformed((y, np.array([1, 1, 0, 1])), y_train, True)
    True
    >>> _worse_than_uninformed((y, np.array([0, 0, 1, 0])), y_train, True)
    False
    """
    y, y_pred = current
    if classification:
        values, counts = np.unique(y_train, return_counts=True)
        return float(np.mean(y_pred == y)) < float(np.mean(y == values[np.argmax(counts)]))
    y = y.astype(float)
    mae = float(np.mean(np.abs(np.asarray(y_pred, float) - y)))
    return mae > float(np.mean(np.abs(y - np.median(y_train.astype(float)))))


def _neg_mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Minus the mean absolute error (higher is better, as PerformanceDrop expects)."""
    return -float(np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))))


def _errors(y: np.ndarray, y_pred: np.ndarray, classification: bool) -> np.ndarray:
    if classification:
        return (y != y_pred).astype(float)
    return np.abs(y.astype(float) - np.asarray(y_pred, float))
