"""The Driftline policy replayed: the training DAG's decision, training and gate, in memory.

:class:`DriftTriggered` is a thin replay adapter around
:class:`driftline.training.LabelledPolicy`, the object the training DAG runs for a
labelled batch (``driftline.flow``); every rule, default and statistic lives there. When
the labels of a batch arrive it does what the DAG does for that batch:

1. **concept check** (:meth:`LabelledPolicy.concept_check
   <driftline.training.LabelledPolicy.concept_check>`): the champion's outcomes on the
   newly labelled rows against those on the batches it scored since it became champion
   (its gate hold-out until there is one) — in the DAG, the processed batches after the
   champion's training batch;
2. **drift report**: :meth:`DatasetDrift.check <driftline.drift.DatasetDrift.check>` of
   the batch (features on every row; label and predicted probabilities) against the
   champion's reference profile (:func:`driftline.training.reference_profile` of its
   training rows), with the concept result as an extra result;
3. **decision** (:meth:`LabelledPolicy.decide <driftline.training.LabelledPolicy.decide>`)
   and the retrain window (``concept_window``: after an alarm on which the champion did
   worse than an uninformed predictor, only the batches since the alarm);
4. **training and gate** on the labelled rows: every run leaves out the hold-out slices of
   the newest ``gate_batches`` batches, and the gate scores champion and challenger on
   those slices since the latest change point
   (:func:`driftline.training.evidence.gate_split`).

A concept alarm opens a *drift episode*: the run of consecutive batches whose concept
check alarmed. Its first batch is the change point of steps 3 and 4; in the DAG it is
read back from the recorded decisions of the newest batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import Any

import numpy as np

from driftline.backtest.base import Champion, Plan, ReplayPolicy
from driftline.drift import DatasetDrift
from driftline.errors import ConfigError, fail
from driftline.training import Batch, Gate, LabelledPolicy, ModelSpec, Policy, evaluate
from driftline.training import reference_profile as _reference_profile
from driftline.training.evidence import labelled
from driftline.training.policy import Outcomes, worse_than_uninformed
from driftline.training.selection import train_and_select

_POLICY_FIELDS = {f.name for f in fields(LabelledPolicy)}


class DriftTriggered(ReplayPolicy):
    """The Driftline policy for labelled batches, replayed (module docstring).

    Parameters
    ----------
    labelled : LabelledPolicy or None
        The policy (``None``: its defaults, the DAG's).
    policy : Policy or None
        Drift report -> action rules (shortcut for ``LabelledPolicy(rules=...)``).
    drift : DatasetDrift or None
        Dataset-level drift check; ``None`` is ``DatasetDrift(alpha=labelled.alpha)``.
    gate : Gate or None
        A gate replacing :meth:`LabelledPolicy.gate <driftline.training.LabelledPolicy.gate>`.
    **overrides
        :class:`~driftline.training.LabelledPolicy` fields (``concept``, ``alpha``,
        ``seed``, ``window``, ``fine_tune_epochs``, ``holdout_fraction``,
        ``gate_batches``, ``gate_test``, ...).
    """

    name = "driftline"

    def __init__(
        self,
        *,
        labelled: LabelledPolicy | None = None,
        policy: Policy | None = None,
        drift: DatasetDrift | None = None,
        gate: Gate | None = None,
        **overrides: Any,
    ) -> None:
        unknown = sorted(set(overrides) - _POLICY_FIELDS)
        if unknown:
            raise ConfigError(
                fail(f"driftline: unknown option(s) {unknown}", f"use {sorted(_POLICY_FIELDS)}")
            )
        lp = labelled or LabelledPolicy()
        if policy is not None:
            overrides["rules"] = policy
        if isinstance(overrides.get("rules"), dict):  # e.g. from JSON: Policy keyword arguments
            overrides["rules"] = Policy(**overrides["rules"])
        lp = replace(lp, **overrides) if overrides else lp
        super().__init__(
            window=lp.window,
            fine_tune_window=lp.fine_tune_window,
            fine_tune_epochs=lp.fine_tune_epochs,
            holdout_fraction=lp.holdout_fraction,
            gate=gate,
        )
        self.labelled = lp
        self.drift = drift
        self._custom_gate = gate is not None
        self._profile: tuple[int, Any] | None = None
        self._scored: tuple[int, list[Outcomes]] = (-1, [])
        self._alarms: list[tuple[str, bool]] = []  # (batch id, concept alarm), oldest first
        self._pool: Any = None
        self._selection: dict[str, Any] | None = None

    @property
    def alpha(self) -> float:
        return self.labelled.alpha

    def validate(self) -> None:
        self.labelled.validate()
        super().validate()

    def start(self, spec: ModelSpec, champion: Champion) -> None:
        self._profile, self._scored, self._alarms = None, (-1, []), []
        self._pool, self._selection = None, None
        if not self._custom_gate:
            self.gate = self.labelled.gate(spec.task)
        super().start(spec, champion)

    # -- the hook ---------------------------------------------------------------------

    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        spec, champion = self._ready()
        lp = self.labelled
        new = history[-1]
        rows = labelled(new.frame, spec.target)
        current: Outcomes = (
            rows[spec.target].to_numpy(),
            np.asarray(champion.model.predict(rows[list(spec.features)])),
        )
        concept = lp.concept_check(self._reference(), current, spec.task)
        self._scored[1].append(current)  # out-of-sample evidence for what follows
        self._alarms = [*self._alarms, (new.batch_id, concept.is_drift)][-lp.window - 1 :]
        episode = lp.episode(self._alarms)
        X = new.frame[list(spec.features)]
        predictions = None
        if spec.task == "classification" and hasattr(champion.model, "predict_proba"):
            predictions = champion.model.predict_proba(X)
        drift = self.drift or DatasetDrift(alpha=lp.alpha)
        report = drift.check(
            self._reference_profile(),
            new.frame,
            target=spec.target,  # rows without a label are left out of the label test
            predictions=predictions,
            batch_id=new.batch_id,
            extra_results=[concept],
        )
        decision = lp.decide(report)
        uninformed = worse_than_uninformed(
            current, champion.train_frame[spec.target].to_numpy(), spec.task == "classification"
        )
        window = None
        if decision.action == "full_retrain":
            window = lp.retrain_window(episode, uninformed)
        details = {
            "drifted_columns": report.drifted_columns,
            "max_effect": report.max_effect,
            "concept_effect": concept.effect_size,
            "concept_p_value": concept.p_value,
            "concept_drift": concept.is_drift,
            "episode_since": episode.start,
            "change_point": episode.change_point,
            "worse_than_uninformed": uninformed,
        }
        return Plan(
            decision.action, decision.reasons, report.kinds, report.severity, details, window
        )

    def learn(self, index: int, history: Sequence[Batch], *, scored_through: int) -> Any:
        self._selection = None
        step = super().learn(index, history, scored_through=scored_through)
        if step.trained and self._selection is not None:
            step = replace(step, details={**step.details, "selection": self._selection})
        return step

    # -- concept drift ----------------------------------------------------------------

    def _reference(self) -> list[Outcomes]:
        """The champion's outcomes on batches it scored since it became champion."""
        spec, champion = self._ready()
        if self._scored[0] != champion.version:
            self._scored = (champion.version, [])
        if self._scored[1]:
            return list(self._scored[1])
        h = champion.holdout
        if h is None or not len(h):
            return []
        return [
            (h[spec.target].to_numpy(), np.asarray(champion.model.predict(h[list(spec.features)])))
        ]

    # -- training data and gate -------------------------------------------------------

    def _split(self, batches, spec, plan):
        since = plan.details.get("change_point")
        split = self.labelled.split(batches, spec.target, spec.timestamp, since=since)
        self._pool = split.holdout
        return split.train, (split.holdout if len(split.holdout) else None)

    def _train(self, action, batches, spec, champion, window):
        result, self._selection = train_and_select(
            self.labelled, action, spec, batches, champion.model, self._pool, window=window
        )
        return result

    def _reference_profile(self) -> Any:
        """The champion's reference profile (built once per champion)."""
        spec, champion = self._ready()
        if self._profile is None or self._profile[0] != champion.version:
            performance = (
                evaluate(champion.model, champion.holdout, spec, prefix="holdout_")
                if champion.holdout is not None and len(champion.holdout)
                else {}
            )
            profile = _reference_profile(champion.train_frame, spec, champion.model, performance)
            self._profile = (champion.version, profile)
        return self._profile[1]
