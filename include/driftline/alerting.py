"""Alerts raised by the pipeline steps: evaluate the rules on a batch and send new alerts.

Delegates to :mod:`driftline.monitoring` (rules, deduplication per batch and rule, and the
channels: local ``<state>/alerts.jsonl`` sink always, webhook and e-mail when configured).
"""

from __future__ import annotations

import logging

log = logging.getLogger("driftline.alerting")


def send_batch_alerts(
    batch_id: str,
    *,
    failed: bool = False,
    message: str | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
) -> int:
    """Evaluate the alert rules for ``batch_id`` and send what is new; return how many."""
    from driftline.monitoring import MonitoringStore, notifiers_from_env, send_alerts

    store = MonitoringStore.from_env()
    try:
        if failed:
            store.record_batch(batch_id, "failed", dag_id=dag_id, run_id=run_id, message=message)
        sent = send_alerts(store, batch_id, notifiers_from_env())
        log.info("batch %s: %d alert(s) sent", batch_id, len(sent))
        return len(sent)
    finally:
        store.dispose()
