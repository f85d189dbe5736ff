"""The DAG step of label-free adaptation: adapt, log, tag ``label_free``, register.

:func:`adapt_and_log` is :func:`driftline.training.train_and_log` for the two label-free
actions of the policy, on a batch without labels:

``recalibrate_priors``
    estimate the batch's priors from the champion's predictions (BBSE with the
    champion's confusion matrix on its logged hold-out), log the champion plus the
    correction as an MLflow pyfunc (:mod:`driftline.adapt.pyfunc`).
``reweight_retrain``
    fully retrain on the labelled history (the last ``window`` processed batches) with
    importance weights toward the batch, log it like any training run. Refused — no run,
    no version, the reason in the outcome — when the weights' effective sample size is
    too small.

Either version is registered with the tags ``label_free=true`` and ``action=<action>``
and the alias ``challenger``, then goes through the *same* gate as every challenger
(:func:`driftline.training.gate_and_promote`). **Promotion rule.** The gate scores the
rows logged as the version's hold-out: when the batch has labels (a manual override on a
labelled batch), the newest slice of the batch, as for any training run; without labels,
the champion's labelled hold-out resampled toward the batch by the importance weights
(:func:`driftline.adapt.importance_resample`, as many rows as the weights' effective
sample size). A label-free version therefore replaces the champion only when it is
significantly better on an estimate of the new distribution built from real labels;
otherwise it stays a refused challenger and the champion is unchanged. The estimate is
only as good as the shift assumption (label shift: ``p(x|y)`` fixed; covariate shift:
``p(y|x)`` fixed) — the drift check of the next labelled batch is the check of that
assumption (a concept-drift finding there fully retrains).

Idempotent per batch id, as :func:`~driftline.training.train_and_log`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from driftline.adapt.retrain import Adaptation, recalibrate_priors, reweight_retrain
from driftline.adapt.weights import ImportanceWeighting
from driftline.errors import ConfigError, DataError, fail
from driftline.settings import Settings, get_settings
from driftline.training.lifecycle import trigger_of
from driftline.training.policy import LABEL_FREE_ACTIONS
from driftline.training.registry import Registry
from driftline.training.steps import (
    earlier_attempt,
    model_spec_of,
    step,
    use_tracking,
    verify_and_mark,
)
from driftline.training.tracking import TAG, load_holdout, log_training
from driftline.training.window import Batch, split_holdout


@dataclass(frozen=True)
class AdaptConfig:
    """Knobs of the label-free step.

    Parameters
    ----------
    prior_method : {"bbse", "em"}
        Prior estimator of ``recalibrate_priors``.
    clip, min_ess, min_ess_ratio : float
        Importance weights (see :class:`~driftline.adapt.ImportanceWeighting`).
    holdout_fraction : float
        Newest share of a *labelled* batch held out for the gate.
    threads : int or None
        BLAS/OpenMP threads while fitting.
    seed : int
        Seed of the domain classifier and of the gate rows' resampling.
    """

    prior_method: str = "bbse"
    clip: float = 20.0
    min_ess: float = 100.0
    min_ess_ratio: float = 0.1
    holdout_fraction: float = 0.2
    threads: int | None = 1
    seed: int = 0


@dataclass(frozen=True)
class AdaptOutcome:
    """What :func:`adapt_and_log` did for a batch (``version`` is ``None`` when refused)."""

    batch_id: str
    action: str
    accepted: bool
    version: str | None = None
    run_id: str | None = None
    model_uri: str | None = None
    parent_version: str | None = None
    reused: bool = False
    label_free: bool = True
    message: str = ""
    report: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["report"] = dict(self.report)
        return d


def adapt_and_log(
    batch_id: str,
    action: str,
    settings: Settings | None = None,
    *,
    current: Batch,
    history: Sequence[Batch] = (),
    config: AdaptConfig | None = None,
    drift_report: Any = None,
    validation_report: Any = None,
    decision: Any = None,
) -> AdaptOutcome:
    """Adapt the champion to ``current`` without its labels; log and register (module docstring).

    ``history`` holds labelled batches of the reference distribution, oldest first (used
    by ``reweight_retrain``; unlabelled rows are dropped).
    """
    s = settings or get_settings()
    cfg = config or AdaptConfig()
    if action not in LABEL_FREE_ACTIONS:
        raise ConfigError(
            fail(f"batch {batch_id}: action {action!r}", f"use one of {list(LABEL_FREE_ACTIONS)}")
        )
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    use_tracking(s)
    trigger = trigger_of(decision, drift_report)
    existing, champion = earlier_attempt(batch_id, registry, "the adapt task")
    if existing is not None:
        tags = existing.tags or {}
        return AdaptOutcome(
            batch_id,
            tags.get("strategy", action),
            True,
            str(existing.version),
            tags.get("run_id"),
            existing.source,
            tags.get("parent_version"),
            True,
            tags.get("label_free") == "true",
            f"batch {batch_id} already has version {existing.version}; nothing adapted",
        )
    if champion is None:
        raise ConfigError(fail(f"batch {batch_id}: there is no champion", "run bootstrap first"))
    parent = str(champion.version)
    todo = "the champion is unchanged; fix the cause and retry the adapt task"
    with step(batch_id, f"reading champion version {parent}", registry, todo):
        spec = model_spec_of(registry, champion)
        champion_run = (champion.tags or {}).get("run_id") or champion.run_id
        reference_holdout = load_holdout(champion_run, registry.tracking_uri)
        model = registry.load(parent)
    frame = current.frame
    missing = [c for c in spec.features if c not in frame.columns]
    if missing:
        raise DataError(
            fail(f"batch {batch_id} lacks feature column(s) {missing}", "validate it first")
        )
    labelled = spec.target in frame.columns and bool(frame[spec.target].notna().all())
    with step(batch_id, f"{action} of champion version {parent}", registry, todo):
        if action == "recalibrate_priors":
            adaptation = recalibrate_priors(
                model, spec, reference_holdout, frame, method=cfg.prior_method, seed=cfg.seed
            )
        else:
            reference = [b for b in history if b.batch_id != batch_id]
            reference = [
                replace(b, frame=b.frame[b.frame[spec.target].notna()])
                for b in reference
                if spec.target in b.frame.columns and b.frame[spec.target].notna().any()
            ]
            if not reference:
                raise DataError(
                    fail(
                        f"batch {batch_id}: no labelled history to reweight",
                        "process a labelled batch first",
                    )
                )
            weighting = ImportanceWeighting(
                clip=cfg.clip, min_ess=cfg.min_ess, min_ess_ratio=cfg.min_ess_ratio, seed=cfg.seed
            )
            adaptation = reweight_retrain(
                spec,
                reference,
                frame,
                reference_holdout=reference_holdout,
                weighting=weighting,
                threads=cfg.threads,
                seed=cfg.seed,
            )
    if not adaptation.accepted:
        return AdaptOutcome(
            batch_id,
            action,
            False,
            parent_version=parent,
            message=f"batch {batch_id}: {action} {adaptation.reason}; champion stays version "
            f"{parent}. Next step: deliver labels for the batch (a labelled batch retrains)",
            report=adaptation.to_dict(),
        )
    if labelled:  # labels exist: the gate scores real labels of the batch
        _, batch_holdout = split_holdout(frame, cfg.holdout_fraction, spec.timestamp)
        adaptation = replace(adaptation, holdout=batch_holdout, holdout_kind="batch")
    with step(batch_id, f"logging the {action} run to MLflow", registry, todo):
        logged = _log(
            adaptation,
            s,
            spec,
            batch_id,
            champion_run,
            frame,
            trigger,
            parent,
            drift_report,
            validation_report,
            decision,
            current.source,
        )
    with step(batch_id, f"registering run {logged.run_id}", registry, "retry the adapt task"):
        version = registry.register(
            logged.model_uri,
            run_id=logged.run_id,
            batch_id=batch_id,
            strategy=action,
            trigger=trigger,
            parent_version=parent,
            model_id=logged.model_id,
            extra_tags={
                "label_free": "true",
                "action": action,
                "holdout": adaptation.holdout_kind,
            },
        )
        verify_and_mark(registry, version)
    vid = str(version.version)
    return AdaptOutcome(
        batch_id,
        action,
        True,
        vid,
        logged.run_id,
        logged.model_uri,
        parent,
        False,
        True,
        f"batch {batch_id}: {action} of champion version {parent} ({adaptation.reason}) "
        f"logged as run {logged.run_id}, registered as version {vid} (challenger, label-free); "
        f"next: the gate on {adaptation.holdout_kind} hold-out rows",
        adaptation.to_dict(),
    )


def _log(
    adaptation: Adaptation,
    s: Settings,
    spec: Any,
    batch_id: str,
    champion_run: str,
    frame: pd.DataFrame,
    trigger: str,
    parent: str,
    drift_report: Any,
    validation_report: Any,
    decision: Any,
    source: str,
) -> Any:
    if adaptation.action == "recalibrate_priors":
        from driftline.adapt.pyfunc import log_prior_correction

        return log_prior_correction(
            adaptation,
            spec=spec,
            batch_id=batch_id,
            experiment=s.model_name,
            champion_run_id=champion_run,
            example=frame,
            trigger=trigger,
            parent_version=parent,
            drift_report=drift_report,
            validation_report=validation_report,
            decision=decision,
            tracking_uri=s.mlflow_tracking_uri,
        )
    import mlflow

    result = adaptation.train_result
    logged = log_training(
        result,
        batch_id=batch_id,
        experiment=s.model_name,
        holdout=adaptation.holdout,
        holdout_source=f"{adaptation.holdout_kind}:{source}",
        trigger=trigger,
        parent_version=parent,
        drift_report=drift_report,
        validation_report=validation_report,
        decision=decision,
        extra_params={"label_free": "true", "importance_ess": adaptation.weights.ess},
        tracking_uri=s.mlflow_tracking_uri,
    )
    client = mlflow.MlflowClient(tracking_uri=s.mlflow_tracking_uri)
    for key, value in (
        ("label_free", "true"),
        ("action", "reweight_retrain"),
        ("holdout", adaptation.holdout_kind),
    ):
        client.set_tag(logged.run_id, f"{TAG}{key}", value)
    client.log_dict(logged.run_id, adaptation.to_dict(), "adapt/report.json")
    client.log_metric(logged.run_id, "importance_ess", adaptation.weights.ess)
    client.log_metric(logged.run_id, "importance_ess_ratio", adaptation.weights.ess_ratio)
    return logged
