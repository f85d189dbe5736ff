"""Base of the replay policies: score with the champion, learn from labels, maybe promote.

A replay policy owns one champion model. The backtest (:mod:`driftline.backtest.runner`)
calls :meth:`ReplayPolicy.predict` on every new batch and, once that batch's labels
arrive, :meth:`ReplayPolicy.learn` with the labelled history. :meth:`~ReplayPolicy.learn`
owns everything the policies share, in the order of the training DAG:

1. the hook :meth:`~ReplayPolicy._plan` chooses ``none``, ``fine_tune`` or
   ``full_retrain`` (the only method a policy implements);
2. only labelled rows are learnt from (a batch may be partly labelled); with
   ``holdout_fraction > 0`` the newest slice of the new batch's labelled rows is held out
   (:meth:`~ReplayPolicy._split`; the Driftline policy pools several batches' slices);
3. training: :class:`~driftline.training.FineTune` of the champion on
   ``fine_tune_window`` (a full retrain when the estimator cannot fine-tune, as in
   :func:`driftline.training.train_and_log`) or :class:`~driftline.training.FullRetrain`
   on the last ``window`` batches; CPU seconds are ``time.process_time`` around the fit
   only (:attr:`~driftline.training.TrainResult.cpu_seconds`);
4. with a ``gate``, the challenger replaces the champion only when
   :meth:`Gate.evaluate <driftline.training.Gate.evaluate>` on the hold-out says so;
   without one it always does.

Each call returns one frozen :class:`Step`. When the previous call promoted a model, the
step also records how the promoted model did on this newly labelled batch against the
champion it replaced (:attr:`Step.after_promotion`): a paired bootstrap of the per-row
difference (Efron & Tibshirani, 1993); ``worse`` when its two-sided 95 % interval lies
below zero (the promotion is shown to have made things worse), ``lower`` when the
promoted model merely scored lower.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, DataError, fail
from driftline.training import (
    ACTIONS,
    Batch,
    BootstrapGate,
    FineTune,
    FullRetrain,
    Gate,
    ModelSpec,
    TrainResult,
    Window,
)
from driftline.training.evidence import gate_split, labelled


@dataclass(frozen=True, eq=False)
class Champion:
    """The model a policy serves, and what it was trained and checked on.

    ``train_frame`` holds the rows it was fitted on (its drift reference, as in
    :func:`driftline.training.reference_profile`); ``holdout`` the rows its gate scored
    (its reference performance), or ``None``.
    """

    model: Any
    version: int
    batch_id: str
    strategy: str
    train_frame: pd.DataFrame
    holdout: pd.DataFrame | None = None


@dataclass(frozen=True)
class Plan:
    """What a policy's :meth:`~ReplayPolicy._plan` decided, and why.

    ``window`` (newest batches) replaces the policy's full-retrain window for this step.
    """

    action: str
    reasons: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    severity: str = "none"
    details: Mapping[str, Any] = field(default_factory=dict)
    window: int | None = None


@dataclass(frozen=True)
class Step:
    """What one policy did when the labels of one batch arrived."""

    policy: str
    index: int
    batch_id: str
    scored_through: int
    action: str
    reasons: tuple[str, ...]
    trained: bool
    promoted: bool
    strategy: str | None
    cpu_seconds: float
    wall_seconds: float
    rows: int
    trained_on: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    severity: str = "none"
    gate: Mapping[str, Any] | None = None
    champion_version: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)
    after_promotion: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "policy": self.policy,
            "index": self.index,
            "batch_id": self.batch_id,
            "scored_through": self.scored_through,
            "action": self.action,
            "reasons": list(self.reasons),
            "trained": self.trained,
            "promoted": self.promoted,
            "strategy": self.strategy,
            "cpu_seconds": self.cpu_seconds,
            "wall_seconds": self.wall_seconds,
            "rows": self.rows,
            "trained_on": list(self.trained_on),
            "kinds": list(self.kinds),
            "severity": self.severity,
            "gate": None if self.gate is None else dict(self.gate),
            "champion_version": self.champion_version,
            "details": dict(self.details),
            "after_promotion": None if self.after_promotion is None else dict(self.after_promotion),
        }


class ReplayPolicy(ABC):
    """Base of the replay policies; subclasses implement :meth:`_plan` only.

    Parameters
    ----------
    window : int
        Batches a full retrain learns from (the newest ``window``; Widmer & Kubat, 1996).
    fine_tune_window : int
        Batches a fine-tune learns from (default: the new batch only).
    fine_tune_epochs : int
        ``partial_fit`` passes of a fine-tune.
    holdout_fraction : float
        Newest fraction of the new batch held out of training for the gate (0: none).
    gate : Gate or None
        Promotion gate; ``None`` promotes every challenger.
    """

    name: ClassVar[str]

    def __init__(
        self,
        *,
        window: int = 8,
        fine_tune_window: int = 1,
        fine_tune_epochs: int = 10,
        holdout_fraction: float = 0.0,
        gate: Gate | None = None,
    ) -> None:
        self.window = window
        self.fine_tune_window = fine_tune_window
        self.fine_tune_epochs = fine_tune_epochs
        self.holdout_fraction = holdout_fraction
        self.gate = gate
        self.spec: ModelSpec | None = None
        self.champion: Champion | None = None
        self._replaced: tuple[Any, int] | None = None  # (replaced model, promoted version)

    @property
    def label(self) -> str:
        """Name shown in tables and charts (may include parameters)."""
        return self.name

    # -- public -----------------------------------------------------------------------

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        for name in ("window", "fine_tune_window", "fine_tune_epochs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(fail(f"{self.label}: {name}={value!r}", "use an integer >= 1"))
        if not 0.0 <= self.holdout_fraction < 1.0:
            raise ConfigError(
                fail(
                    f"{self.label}: holdout_fraction={self.holdout_fraction!r}",
                    "use a fraction in [0, 1)",
                )
            )
        if self.gate is not None and not isinstance(self.gate, Gate):
            raise ConfigError(fail(f"{self.label}: gate={self.gate!r}", "pass a Gate or None"))

    def start(self, spec: ModelSpec, champion: Champion) -> None:
        """Serve ``champion`` (the bootstrap model) from now on."""
        self.validate()
        spec.validate()
        self.spec, self.champion, self._replaced = spec, champion, None

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The champion's predictions for ``frame``."""
        spec, champion = self._ready()
        return np.asarray(champion.model.predict(frame[list(spec.features)]))

    def learn(self, index: int, history: Sequence[Batch], *, scored_through: int) -> Step:
        """React to the labels of ``history[-1]`` (batch number ``index``).

        ``history`` holds the labelled batches so far, oldest first; ``scored_through``
        is the number of the newest batch already scored (for the record).
        """
        spec, champion = self._ready()
        if not history:
            raise DataError(fail(f"{self.label}: empty history", "pass the labelled batches"))
        new = history[-1]
        after = self._after_promotion(labelled(new.frame, spec.target), spec)
        plan = self._plan(index, history)
        if plan.action not in ACTIONS:
            raise ConfigError(
                fail(f"{self.label}: action {plan.action!r}", f"use one of {list(ACTIONS)}")
            )
        step = Step(
            policy=self.label,
            index=index,
            batch_id=new.batch_id,
            scored_through=scored_through,
            action=plan.action,
            reasons=plan.reasons,
            trained=False,
            promoted=False,
            strategy=None,
            cpu_seconds=0.0,
            wall_seconds=0.0,
            rows=0,
            trained_on=(),
            kinds=plan.kinds,
            severity=plan.severity,
            champion_version=champion.version,
            details=dict(plan.details),
            after_promotion=after,
        )
        if plan.action == "none":
            return step
        batches, holdout = self._split(list(history), spec, plan)
        if not any(len(b.frame) for b in batches):
            return replace(step, reasons=(*step.reasons, "no labelled rows to train on"))
        result = self._train(plan.action, batches, spec, champion, plan.window or self.window)
        gate_result = None
        promote = True
        if self.gate is not None and holdout is not None:
            gate_result = self._gate_for(plan).evaluate(champion.model, result.model, holdout, spec)
            promote = gate_result.promote
        if promote:
            self._replaced = (champion.model, champion.version + 1)
            self.champion = Champion(
                model=result.model,
                version=champion.version + 1,
                batch_id=new.batch_id,
                strategy=result.strategy,
                train_frame=result.data.frame if result.data is not None else new.frame,
                holdout=holdout,
            )
        return replace(
            step,
            trained=True,
            promoted=promote,
            strategy=result.strategy,
            cpu_seconds=result.cpu_seconds,
            wall_seconds=result.wall_seconds,
            rows=result.rows,
            trained_on=result.batch_ids,
            gate=None if gate_result is None else gate_result.to_dict(),
            champion_version=self.champion.version if self.champion else champion.version,
        )

    # -- hook -------------------------------------------------------------------------

    @abstractmethod
    def _plan(self, index: int, history: Sequence[Batch]) -> Plan:
        """Choose the action for the newly labelled batch ``history[-1]``."""

    # -- helpers ----------------------------------------------------------------------

    def _ready(self) -> tuple[ModelSpec, Champion]:
        if self.spec is None or self.champion is None:
            raise ConfigError(fail(f"{self.label} has no champion", "call start() first"))
        return self.spec, self.champion

    def _split(
        self, batches: list[Batch], spec: ModelSpec, plan: Plan
    ) -> tuple[list[Batch], pd.DataFrame | None]:
        """Labelled training batches, and the gate hold-out (the new batch's newest slice)."""
        if self.holdout_fraction <= 0:
            return [replace(b, frame=labelled(b.frame, spec.target)) for b in batches], None
        split = gate_split(
            batches,
            target=spec.target,
            fraction=self.holdout_fraction,
            batches=1,
            time_column=spec.timestamp,
        )
        return split.train, (split.holdout if len(split.holdout) else None)

    def _gate_for(self, plan: Plan) -> Gate:
        assert self.gate is not None
        return self.gate

    def _after_promotion(self, new: pd.DataFrame, spec: ModelSpec) -> dict[str, Any] | None:
        """The last promotion checked on the newly labelled rows (module docstring)."""
        if self._replaced is None or self.champion is None:
            return None
        replaced, version = self._replaced
        self._replaced = None
        if self.champion.version != version or len(new) == 0:
            return None
        metric = "accuracy" if spec.task == "classification" else "mae"
        check = BootstrapGate(metric=metric, alpha=0.025, min_rows=1, n_boot=1000, seed=version)
        X, y = new[list(spec.features)], new[spec.target].to_numpy()
        result = check.compare(y, replaced.predict(X), self.champion.model.predict(X))
        return {
            "version": version,
            "n": result.n,
            "diff": result.diff,
            "ci_high": result.ci_high,
            "worse": bool(result.ci_high < 0),
            "lower": bool(result.diff < 0),
        }

    def _train(
        self, action: str, batches: list[Batch], spec: ModelSpec, champion: Champion, window: int
    ) -> TrainResult:
        if action == "fine_tune" and spec.supports_fine_tune:
            strategy = FineTune(Window.last(self.fine_tune_window), self.fine_tune_epochs)
            return strategy.train(spec, batches, champion=champion.model)
        result = FullRetrain(Window.last(window)).train(spec, batches)
        if action == "fine_tune":  # as train_and_log: an estimator without partial_fit
            note = f"estimator {spec.estimator} cannot fine-tune: retrained fully"
            return replace(result, notes=(*result.notes, note))
        return result
