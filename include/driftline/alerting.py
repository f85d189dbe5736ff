"""The one place that sends a batch's alerts.

:func:`send_batch_alerts` is what the pipeline steps (:mod:`driftline.flow`) and the
Airflow callbacks (``plugins/driftline_notifiers.py``) call: it evaluates the alert rules
(:mod:`driftline.monitoring.alerts`) on the batch's monitoring data, claims each alert in
the store's ledger (the unique ``rule:batch`` key, so a retried task or a second callback
sends nothing twice) and hands it to every notifier (:mod:`driftline.monitoring.notifiers`:
the local ``<state>/alerts.jsonl`` sink always, webhook and e-mail when configured).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from driftline.errors import ConfigError, ServiceError, fail

if TYPE_CHECKING:
    from driftline.monitoring import AlertRule, Links, MonitoringStore, Notifier

log = logging.getLogger("driftline.alerting")


def send_batch_alerts(
    batch_id: str,
    *,
    failed: bool = False,
    message: str | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    store: MonitoringStore | None = None,
    notifiers: Sequence[Notifier] | None = None,
    rules: Iterable[AlertRule] | None = None,
    links: Links | None = None,
) -> int:
    """Evaluate the alert rules for ``batch_id`` and send each new alert once; return how many.

    With ``failed=True`` the batch is first recorded as ``failed`` (with ``message`` and
    the DAG run), so the ``failed_run`` rule fires. ``store`` (default: the one of
    :meth:`MonitoringStore.from_env`, closed afterwards), ``notifiers``
    (:func:`~driftline.monitoring.notifiers_from_env`), ``rules``
    (:func:`~driftline.monitoring.rules_from_env`) and ``links``
    (:meth:`~driftline.monitoring.Links.from_env`) default to the configured ones.

    An alert already in the ledger (same rule and batch) is skipped. When every notifier
    fails for an alert its claim is released (a retry may send it) and
    :class:`~driftline.errors.ServiceError` is raised after the other alerts were tried.
    """
    from driftline.monitoring import (
        BatchFacts,
        Links,
        MonitoringStore,
        evaluate_rules,
        notifiers_from_env,
    )

    if notifiers is not None and not notifiers:
        raise ConfigError(fail("send_batch_alerts got no notifier", "pass notifiers_from_env()"))
    own = store is None
    st = MonitoringStore.from_env() if store is None else store
    try:
        if failed:
            st.record_batch(batch_id, "failed", dag_id=dag_id, run_id=run_id, message=message)
        channels = notifiers_from_env() if notifiers is None else notifiers
        links = Links.from_env() if links is None else links
        sent, errors = 0, []
        for alert in evaluate_rules(BatchFacts.load(st, batch_id), rules, links):
            if not st.claim_alert(
                alert.dedup_key,
                rule=alert.rule,
                batch_id=alert.batch_id,
                severity=alert.severity,
                message=alert.message,
                links=alert.links,
            ):
                continue
            deliveries = [n.send(alert) for n in channels]
            ok = [d.channel for d in deliveries if d.ok]
            if ok:
                st.mark_alert_sent(alert.dedup_key, ok)
                sent += 1
            else:
                st.release_alert(alert.dedup_key)
                errors += [f"{alert.dedup_key} via {d.channel}: {d.detail}" for d in deliveries]
        log.info("batch %s: %d alert(s) sent", batch_id, sent)
        if errors:
            raise ServiceError(
                fail(
                    f"no notifier could deliver: {'; '.join(errors)}", "check the notifier settings"
                )
            )
        return sent
    finally:
        if own:
            st.dispose()


def send_rejected_key_alert(
    moved_to: str,
    message: str,
    *,
    store: MonitoringStore | None = None,
    notifiers: Sequence[Notifier] | None = None,
) -> int:
    """Record a refused landing key (no batch was claimed) and send its alert once.

    The delivery is recorded as a ``quarantined`` batch named ``rejected-<stamp>-<name>``
    after the object it was moved to (``moved_to``, under ``rejected-keys/``), so the
    ``quarantined_batch`` rule raises an alert whose ``message`` names the key, the reason
    and where the file is. Returns the number of alerts sent.
    """
    from driftline.monitoring import MonitoringStore

    alert_id = "rejected-" + moved_to.rstrip("/").rsplit("/", 1)[-1]
    own = store is None
    st = MonitoringStore.from_env() if store is None else store
    try:
        st.record_batch(alert_id, "quarantined", source=moved_to, message=message)
        return send_batch_alerts(alert_id, store=st, notifiers=notifiers)
    finally:
        if own:
            st.dispose()
