"""Alerts raised by the pipeline steps and Airflow callbacks.

Thin entry points over :mod:`driftline.monitoring.alerts` when present; the local sink
(``<state>/alerts.jsonl``) always records what would have been sent.
"""

from __future__ import annotations

import json
import time
from typing import Any

from driftline.settings import get_settings


def _sink(alert: dict[str, Any]) -> None:
    s = get_settings()
    s.state_dir.mkdir(parents=True, exist_ok=True)
    with open(s.state_dir / "alerts.jsonl", "a") as fh:
        fh.write(json.dumps({"at": time.time(), **alert}, default=str) + "\n")


def alert_task_failure(*, dag_id: str, run_id: str, task_id: str, try_number: int, error: str) -> None:
    """Record a failed task try."""
    _sink(
        {
            "rule": "failed_run",
            "severity": "error",
            "dag_id": dag_id,
            "run_id": run_id,
            "task_id": task_id,
            "try_number": try_number,
            "message": f"{dag_id}.{task_id} failed (try {try_number}) in {run_id}: {error}",
        }
    )
