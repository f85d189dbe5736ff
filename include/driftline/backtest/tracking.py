"""Optional MLflow logging of a backtest (a local store is enough; no server needed).

:func:`log_backtest` opens one parent run with the configuration as parameters, the
summary table, the per-batch scores and the chart as artifacts, and one nested run per
policy with its summary metrics and its per-batch metric ``batch_accuracy`` (or
``batch_mae``; ``step`` = batch number).
Use a local store such as ``sqlite:///backtest/mlflow.db`` or ``file:./mlruns``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from driftline.errors import ServiceError, fail

EXPERIMENT = "driftline-backtest"


def log_backtest(
    result: Any,
    tracking_uri: str,
    *,
    experiment: str = EXPERIMENT,
    artifacts: Mapping[str, Path] | None = None,
) -> str:
    """Log ``result`` to MLflow at ``tracking_uri``; return the parent run id."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    try:
        mlflow.set_experiment(experiment)
    except Exception as exc:
        raise ServiceError(
            fail(f"MLflow at {tracking_uri} is not usable ({exc})", "pass a local store URI")
        ) from exc
    params = {
        k: (",".join(v) if isinstance(v, tuple) else v)
        for k, v in asdict(result.config).items()
        if not isinstance(v, dict)
    }
    table = result.table()
    n_boot = result.config.bootstrap_batches
    with mlflow.start_run(run_name=f"backtest-{Path(str(result.source)).name}") as parent:
        mlflow.log_params({**params, "estimator": result.estimator, "source": result.source})
        mlflow.log_metrics(
            {"wall_seconds": result.wall_seconds, "quarantined": len(result.quarantined)}
        )
        for path in (artifacts or {}).values():
            mlflow.log_artifact(str(path))
        metric = result.metric
        for run, (_, row) in zip(result.runs, table.iterrows(), strict=False):
            with mlflow.start_run(run_name=run.label, nested=True):
                mlflow.set_tag("driftline.policy", run.name)
                mlflow.log_metrics(
                    {
                        _key(k): float(v)
                        for k, v in row.items()
                        if k != "policy" and v == v  # skip NaN
                    }
                )
                for i, value in enumerate(run.scores):
                    mlflow.log_metric(f"batch_{metric}", float(value), step=n_boot + i)
        return parent.info.run_id


def _key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in name).strip("_")
