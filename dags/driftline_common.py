"""Shared DAG pieces: the assets (declared once), default args and alert callbacks.

Not a DAG file itself; DAG files import it (``dags/`` is on ``sys.path``).
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset

LANDING_BUCKET = os.environ.get("DRIFTLINE_BUCKET_LANDING", "driftline-landing")
LANDING_PREFIX = os.environ.get("DRIFTLINE_LANDING_PREFIX", "incoming/")
MODEL_NAME = os.environ.get("DRIFTLINE_MODEL_NAME", "driftline")

#: A batch was claimed from the landing prefix (event extra: batch_id, key, uri).
NEW_BATCH = Asset(name="driftline_new_batch", uri=f"s3://{LANDING_BUCKET}/claimed/")
#: The champion alias moved (event extra: version, previous, batch_id).
CHAMPION = Asset(name="driftline_champion", uri=f"s3://{LANDING_BUCKET}/champion/{MODEL_NAME}")
#: Predictions were written for a batch (event extra: batch_id, uri, version).
PREDICTIONS = Asset(name="driftline_predictions", uri=f"s3://{LANDING_BUCKET}/predictions/")

#: Queue for CPU-heavy training tasks (a dedicated Celery worker consumes it at scale).
TRAINING_QUEUE = os.environ.get("DRIFTLINE_TRAINING_QUEUE", "training")


#: The DAG that processes claimed batches, one per run.
TRAINING_DAG = "driftline_continual_training"


def _alert_failure(context) -> None:
    """on_failure_callback: set a training run's batch aside, mark it failed, send its alerts.

    Called once a task failed for good (its retries used up). In the training DAG the
    run's batch leaves ``claimed/`` for ``s3://<quarantine>/failed/<batch_id>/`` with its
    error (:func:`driftline.batches.set_aside`), so it cannot block the batches claimed
    after it; the run's ``more_batches_waiting`` then starts the next run.
    """
    from driftline_notifiers import DriftlineAlertNotifier

    ti = context["ti"]
    batch = ti.xcom_pull(task_ids="resolve_batch") if ti.task_id != "resolve_batch" else None
    batch_id = batch["batch_id"] if isinstance(batch, dict) else f"run-{ti.run_id}"[:250]
    error = str(context.get("exception") or "")[:500]
    message = f"{ti.dag_id}.{ti.task_id} failed (try {ti.try_number}): {error}"
    if ti.dag_id == TRAINING_DAG and isinstance(batch, dict):
        message += _set_aside(batch, ti, error)
    DriftlineAlertNotifier(batch_id=batch_id, mark_failed=True, message=message).notify(context)


def _set_aside(batch: dict, ti, error: str) -> str:
    """Move the failed batch out of the queue; the sentence the alert message gets."""
    from driftline.batches import load_ref, set_aside

    reason = {"dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id, "error": error}
    try:
        moved = set_aside(load_ref(batch), reason)
    except Exception as exc:  # noqa: BLE001 - the alert must still go out
        return (
            f"; batch {batch['batch_id']} could not be set aside ({exc}) and blocks the batches "
            "after it: fix the cause and clear the failed task, or move the batch out of claimed/"
        )
    if moved is None:
        return ""
    return (
        f"; batch {batch['batch_id']} was set aside to {moved} (error in error.json next to it) "
        "so the batches after it go on: fix the cause, then deliver the file again"
    )


DEFAULT_ARGS = {
    "owner": "driftline",
    "retries": 3,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
    "on_failure_callback": _alert_failure,
}
