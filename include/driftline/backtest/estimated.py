"""Acting on the estimated performance before labels arrive, replayed.

:class:`EstimatedDropPolicy` is the Driftline policy (:class:`DriftTriggered`: concept
check, rules, training and gate when a batch's labels arrive) plus what
``DRIFTLINE_ESTIMATED_DROP_ACTION`` adds in the DAG (:mod:`driftline.estimate.drop`): on
every new batch, *before its labels exist*, the champion's performance is estimated from
its outputs (CBPE, DLE for regression; fitted once per champion on its hold-out) and, on
an estimated drop, the label-free ``action`` is taken at once —
:func:`~driftline.adapt.recalibrate_priors` or :func:`~driftline.adapt.reweight_retrain`
— and promoted only through the same :class:`~driftline.training.BootstrapGate` as in the
DAG, on the hold-out resampled toward the batch. The adapted champion scores the next
batches; when labels arrive the labelled rules go on as for ``driftline``.

The runner replays batches to a policy through :meth:`predict` (every new batch) and
:meth:`~driftline.backtest.base.ReplayPolicy.learn` (its labels, ``label_delay`` batches
later); the estimate is made in :meth:`predict`, after the batch was scored, from the
features only (the label column is dropped before anything else reads the batch), so a
batch's own adaptation never scores it. The label-free steps are kept in
:attr:`EstimatedDropPolicy.early_steps`; :func:`replay` merges them into the policy's run.

:func:`replay` is :func:`~driftline.backtest.run_backtest` for policy *objects* (the
runner's ``make_policy`` names only its own policies; this policy is benchmark-only:
``benchmarks/estimated_policy.py`` compares it with ``driftline``, which waits for the
labels).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from driftline.backtest.base import Champion, ReplayPolicy, Step
from driftline.backtest.result import BacktestResult, PolicyRun
from driftline.backtest.triggered import DriftTriggered
from driftline.errors import ConfigError, fail
from driftline.training import BootstrapGate

#: Label-free actions the policy may take on an estimated drop.
EARLY_ACTIONS: tuple[str, ...] = ("recalibrate_priors", "reweight_retrain")


class EstimatedDropPolicy(DriftTriggered):
    """The Driftline policy acting on estimated drops before labels arrive (module docstring).

    Parameters
    ----------
    action : {"recalibrate_priors", "reweight_retrain"}
        Label-free adaptation on an estimated drop.
    floor : float
        Estimated drop that counts, as a fraction of the champion's hold-out metric
        (``DRIFTLINE_ESTIMATED_DROP_FLOOR``).
    min_ess, min_ess_ratio : float
        Refusal floor of ``reweight_retrain``'s importance weights.
    **options
        :class:`DriftTriggered` options (the labelled policy's fields).
    """

    name: ClassVar[str] = "estimated"

    def __init__(
        self,
        *,
        action: str = "recalibrate_priors",
        floor: float = 0.05,
        min_ess: float = 100.0,
        min_ess_ratio: float = 0.1,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.action = action
        self.floor = floor
        self.min_ess = min_ess
        self.min_ess_ratio = min_ess_ratio
        self.early_steps: list[Step] = []
        self._estimator: tuple[int, Any] | None = None
        self._seen = 0

    @property
    def label(self) -> str:
        return f"estimated ({self.action})"

    def validate(self) -> None:
        super().validate()
        if self.action not in EARLY_ACTIONS:
            raise ConfigError(
                fail(f"estimated: action={self.action!r}", f"use one of {list(EARLY_ACTIONS)}")
            )
        from driftline.estimate import EstimatedDrop

        EstimatedDrop(self.floor).validate()

    def start(self, spec: Any, champion: Champion) -> None:
        if self.action == "recalibrate_priors" and spec.task != "classification":
            raise ConfigError(
                fail("recalibrate_priors needs a classification target", "use reweight_retrain")
            )
        if champion.holdout is None or not len(champion.holdout):
            raise ConfigError(fail("the bootstrap model has no hold-out", "use a hold-out"))
        self.early_steps, self._estimator, self._seen = [], None, 0
        super().start(spec, champion)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Score ``frame``, then estimate and maybe adapt on its features (module docstring)."""
        spec, _ = self._ready()
        features = frame.drop(columns=[spec.target], errors="ignore")
        predictions = super().predict(features)
        step = self._act_on_estimate(self._seen, features, predictions)
        self._seen += 1
        if step is not None:
            self.early_steps.append(step)
        return predictions

    # -- the label-free part ----------------------------------------------------------

    def _estimator_for(self, champion: Champion) -> Any:
        from driftline.estimate import Scored, estimator_for

        spec = self.spec
        assert spec is not None and champion.holdout is not None
        if self._estimator is None or self._estimator[0] != champion.version:
            est = estimator_for(spec.task, seed=self.labelled.seed)
            est.fit(Scored.of(champion.model, champion.holdout, spec.features, target=spec.target))
            self._estimator = (champion.version, est)
        return self._estimator[1]

    def _act_on_estimate(
        self, index: int, frame: pd.DataFrame, predictions: np.ndarray
    ) -> Step | None:
        from driftline.estimate import EstimatedDrop, Scored

        spec, champion = self._ready()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        X = frame[list(spec.features)].reset_index(drop=True)
        proba = classes = None
        if spec.task == "classification" and hasattr(champion.model, "predict_proba"):
            proba = np.asarray(champion.model.predict_proba(X), dtype=np.float64)
            classes = tuple(getattr(champion.model, "classes_", range(proba.shape[1])))
        estimator = self._estimator_for(champion)
        estimates = estimator.estimate(Scored(predictions, proba, classes, X))
        primary = next(iter(estimates.values()))
        verdict = EstimatedDrop(self.floor).check(primary)
        details: dict[str, Any] = {"estimate": primary.to_dict(), "drop": verdict.to_dict()}
        step = Step(
            policy=self.label,
            index=index,
            batch_id=f"scored-{index}",
            scored_through=index,
            action="none",
            reasons=(verdict.reason,),
            trained=False,
            promoted=False,
            strategy=None,
            cpu_seconds=0.0,
            wall_seconds=0.0,
            rows=0,
            trained_on=(),
            kinds=(),
            champion_version=champion.version,
            details=details,
        )
        if not verdict.drop:
            return replace(step, wall_seconds=time.perf_counter() - wall0)
        adapted = self._adapt(champion, X)
        promote, gate = False, None
        if adapted.accepted and adapted.holdout is not None:
            metric = "accuracy" if spec.task == "classification" else "mae"
            gate_ = BootstrapGate(metric=metric, alpha=self.labelled.alpha, seed=self.labelled.seed)
            result = gate_.evaluate(champion.model, adapted.model, adapted.holdout, spec)
            promote, gate = result.promote, result.to_dict()
        if promote:
            self.champion = Champion(
                model=adapted.model,
                version=champion.version + 1,
                batch_id=step.batch_id,
                strategy=self.action,
                train_frame=champion.train_frame,
                holdout=adapted.holdout,
            )
        report = adapted.to_dict()
        details.update({k: report[k] for k in ("reason", "importance_weights") if report.get(k)})
        trained = adapted.train_result
        return replace(
            step,
            action=self.action,
            reasons=(f"{verdict.reason} -> {self.action}", adapted.reason),
            trained=adapted.accepted,
            promoted=promote,
            strategy=self.action if adapted.accepted else None,
            cpu_seconds=time.process_time() - cpu0,
            wall_seconds=time.perf_counter() - wall0,
            rows=0 if trained is None else trained.rows,
            gate=gate,
            champion_version=self.champion.version if self.champion else champion.version,
            details=details,
        )

    def _adapt(self, champion: Champion, X: pd.DataFrame) -> Any:
        from driftline.adapt import ImportanceWeighting, recalibrate_priors, reweight_retrain

        spec = self.spec
        assert spec is not None and champion.holdout is not None
        base = _base_model(champion.model)
        if self.action == "recalibrate_priors":
            return recalibrate_priors(base, spec, champion.holdout, X, seed=self.labelled.seed)
        weighting = ImportanceWeighting(
            min_ess=self.min_ess, min_ess_ratio=self.min_ess_ratio, seed=self.labelled.seed
        )
        return reweight_retrain(
            spec,
            champion.train_frame,
            X,
            reference_holdout=champion.holdout,
            weighting=weighting,
            seed=self.labelled.seed,
        )

    # -- labelled learning on an adapted champion -------------------------------------

    def _train(self, action, batches, spec, champion, window):
        """As :class:`DriftTriggered`; a fine-tune continues the base of a prior correction."""
        return super()._train(
            action, batches, spec, replace(champion, model=_base_model(champion.model)), window
        )


def _base_model(model: Any) -> Any:
    from driftline.adapt import PriorCorrectedClassifier

    return model.base if isinstance(model, PriorCorrectedClassifier) else model


Progress = Callable[[str], None]


def replay(
    frame: pd.DataFrame,
    config: Any,
    policies: Sequence[ReplayPolicy],
    *,
    progress: Progress | None = None,
    source: str = "stream",
) -> BacktestResult:
    """:func:`~driftline.backtest.run_backtest` of ``frame`` with these policy objects.

    ``config`` is a :class:`~driftline.backtest.BacktestConfig` (its ``policies`` are
    ignored); the batches, contract, validation, bootstrap model, test-then-train loop and
    label delay are the runner's. The early steps of an :class:`EstimatedDropPolicy` are
    merged into its run.
    """
    from threadpoolctl import threadpool_limits

    from driftline.backtest import runner as r
    from driftline.backtest.stream import to_batches
    from driftline.training import ModelSpec, labelled

    config = replace(config, policies=("never",), match_periodic=False)
    config.check()
    say = progress or (lambda _line: None)
    t_start = time.perf_counter()
    with threadpool_limits(limits=config.threads or 1):
        batches = to_batches(
            frame, config.batch_size, time_column=config.time_column, source=source
        )
        n_boot = config.bootstrap_batches
        learn = r._mask_labels(batches, config)
        contract = r._contract(batches, config)
        kwargs: dict[str, Any] = {"seed": config.seed}
        if config.estimator is not None:
            kwargs["estimator"] = config.estimator
        spec = ModelSpec.from_contract(contract, **kwargs)
        passed, notes = r._validate(learn, n_boot, contract, config, say)
        reference = pd.concat([b.frame for b in learn[:n_boot]], ignore_index=True)
        champion, boot_cpu = r._bootstrap(labelled(reference, config.target), spec, config)
        runs = r._replay(
            list(policies), batches, learn, passed, spec, champion, config, say, t_start
        )
    merged = []
    for policy, run in zip(policies, runs, strict=True):
        early = [  # the policy counted scored batches; name them as the runner does
            replace(
                s,
                index=s.index + n_boot,
                scored_through=s.index + n_boot,
                batch_id=batches[s.index + n_boot].batch_id,
            )
            for s in getattr(policy, "early_steps", [])
        ]
        if early:
            run = PolicyRun(
                run.label,
                run.name,
                run.scores,
                tuple(sorted((*run.steps, *early), key=lambda s: s.scored_through)),
            )
        merged.append(run)
    return BacktestResult(
        config=config,
        task=spec.task,
        estimator=spec.estimator,
        batch_ids=tuple(b.batch_id for b in batches[n_boot:]),
        rows=np.array([b.n_rows for b in batches[n_boot:]]),
        runs=tuple(merged),
        baseline=r._previous_value_baseline(batches, n_boot, spec),
        quarantined=tuple(b.batch_id for b, ok in zip(batches, passed, strict=True) if not ok),
        bootstrap_cpu_seconds=boot_cpu,
        wall_seconds=time.perf_counter() - t_start,
        source=source,
        notes=tuple(notes),
    )
