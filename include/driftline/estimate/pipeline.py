"""The drift step's estimate for a batch without labels: fit on the hold-out, estimate, record.

:func:`estimate_unlabelled` is what :func:`driftline.flow.check_drift` calls for a batch
that has no labelled row. It reads the champion's logged hold-out
(``holdout/holdout.parquet`` of its MLflow run, the pooled hold-out slices of recent
batches; :func:`driftline.training.tracking.load_holdout`), fits :func:`estimator_for`
the task on it — CBPE for a classifier with probabilities, DLE for a regressor — and
estimates the batch. The estimates go to the monitoring store
(``estimated_performance``, one row per metric); the primary one is checked by the
estimated-drop rule (:mod:`driftline.estimate.drop`) and returned, JSON-ready, for the
decision.

It never fails the step: without a hold-out, probabilities or enough rows the result is
``{"error": <why>}`` and the decision falls back to the drift rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.estimate.base import PerformanceEstimator
from driftline.estimate.cbpe import CBPE
from driftline.estimate.dle import DLE
from driftline.estimate.drop import EstimatedDrop
from driftline.estimate.scored import Scored
from driftline.settings import Settings, get_settings

log = logging.getLogger("driftline.estimate")


def estimator_for(task: str, *, seed: int = 0) -> PerformanceEstimator:
    """CBPE for ``classification``, DLE for ``regression``."""
    return CBPE(seed=seed) if task == "classification" else DLE(seed=seed)


def estimate_frame(
    model: Any,
    holdout: pd.DataFrame,
    frame: pd.DataFrame,
    *,
    features: Sequence[str],
    target: str,
    task: str,
    seed: int = 0,
    predictions: Any = None,
    proba: Any = None,
) -> dict[str, Any]:
    """Estimates of ``model`` on ``frame`` from its labelled ``holdout``: ``metric -> Estimate``.

    ``predictions`` / ``proba`` are the model's outputs on ``frame`` when already computed.
    """
    estimator = estimator_for(task, seed=seed)
    estimator.fit(Scored.of(model, holdout, features, target=target))
    if predictions is None:
        current = Scored.of(model, frame, features)
    else:
        classes = getattr(model, "classes_", None)
        current = Scored(
            np.asarray(predictions),
            None if proba is None else np.asarray(proba, dtype=np.float64),
            None
            if classes is None
            else tuple(c.item() if hasattr(c, "item") else c for c in classes),
            frame[list(features)].reset_index(drop=True),
        )
    return estimator.estimate(current)


def estimate_unlabelled(
    batch_id: str,
    frame: pd.DataFrame,
    *,
    model: Any,
    champion: Any,
    contract: Any,
    settings: Settings | None = None,
    predictions: Any = None,
    proba: Any = None,
    holdout: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Estimate the champion on the unlabelled batch, record it, check the drop (module docstring).

    ``champion`` is the registry's model version (``version``, ``run_id``, ``tags``);
    ``contract`` the active data contract (features, target); ``holdout`` the champion's
    logged hold-out when the caller has read it already (else it is read here). Returns
    the primary estimate and its drop verdict, plus every metric under ``metrics``.
    """
    from driftline.training.spec import ModelSpec
    from driftline.training.tracking import load_holdout

    s = settings or get_settings()
    version = str(champion.version)
    try:
        task = ModelSpec.from_contract(contract).task
        run_id = (champion.tags or {}).get("run_id") or champion.run_id
        if holdout is None:
            holdout = load_holdout(run_id, s.mlflow_tracking_uri)
        estimates = estimate_frame(
            model,
            holdout,
            frame,
            features=list(contract.feature_names),
            target=contract.target,
            task=task,
            predictions=predictions,
            proba=proba,
        )
    except Exception as exc:  # noqa: BLE001 - an estimate never fails the drift step
        log.warning("batch %s: no performance estimate for v%s (%s)", batch_id, version, exc)
        return {"error": f"{type(exc).__name__}: {exc}", "model_version": version}
    primary = next(iter(estimates.values()))
    verdict = EstimatedDrop(s.estimated_drop_floor).check(primary)
    try:
        from driftline.monitoring import record

        record("record_estimated_performance", batch_id, version, list(estimates.values()))
    except Exception as exc:  # noqa: BLE001 - monitoring never fails a step
        log.warning("estimated performance of batch %s not recorded: %s", batch_id, exc)
    log.info("batch %s vs champion v%s: %s", batch_id, version, verdict.reason)
    return {
        **primary.to_dict(),
        "model_version": version,
        "threshold": verdict.threshold,
        "drop": verdict.drop,
        "reason": verdict.reason,
        "metrics": {k: e.to_dict() for k, e in estimates.items()},
    }
