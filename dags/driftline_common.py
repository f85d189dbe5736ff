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


def _alert_failure(context) -> None:
    """on_failure_callback: mark the run's batch failed and send its alerts."""
    from driftline_notifiers import DriftlineAlertNotifier

    ti = context["ti"]
    batch = ti.xcom_pull(task_ids="resolve_batch") if ti.task_id != "resolve_batch" else None
    batch_id = batch["batch_id"] if isinstance(batch, dict) else f"run-{ti.run_id}"
    error = str(context.get("exception") or "")[:500]
    message = f"{ti.dag_id}.{ti.task_id} failed (try {ti.try_number}): {error}"
    DriftlineAlertNotifier(batch_id=batch_id, mark_failed=True, message=message).notify(context)


DEFAULT_ARGS = {
    "owner": "driftline",
    "retries": 3,
    "retry_delay": timedelta(seconds=10),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
    "on_failure_callback": _alert_failure,
}
