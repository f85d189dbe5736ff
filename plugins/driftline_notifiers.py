"""Airflow notifiers that send Driftline alerts (use them as DAG or task callbacks).

``DriftlineAlertNotifier`` calls :func:`driftline.alerting.send_batch_alerts`, the one place
that sends a batch's alerts: it evaluates the alert rules on the batch's monitoring data and
sends each new alert once (deduplicated per batch and rule in the monitoring store) to the local
``<state_dir>/alerts.jsonl`` sink plus the webhook and e-mail channels configured by
environment (see :mod:`driftline.monitoring.notifiers`). With ``mark_failed=True`` (for
``on_failure_callback``) it first records the batch as failed, so the ``failed_run`` rule
fires::

    from driftline_notifiers import DriftlineAlertNotifier

    @dag(..., on_failure_callback=DriftlineAlertNotifier(
            batch_id="{{ dag_run.conf.get('batch_id', run_id) }}", mark_failed=True))
    def driftline_continual_training(): ...

    # or at the end of the pipeline, as a task's on_success_callback:
    @task(on_success_callback=DriftlineAlertNotifier(batch_id="{{ ti.xcom_pull('detect') }}"))

E-mail through Airflow's own SMTP connection instead: the SMTP provider's notifier
(``from airflow.providers.smtp.notifications.smtp import SmtpNotifier``) can be added to the
same callback list; Driftline's :class:`~driftline.monitoring.notifiers.EmailNotifier` is
used when ``DRIFTLINE_ALERT_EMAIL_TO`` is set.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier


class DriftlineAlertNotifier(BaseNotifier):
    """Send the Driftline alerts of one batch.

    Parameters
    ----------
    batch_id : str
        The batch (templated).
    mark_failed : bool
        Record the batch as ``failed`` (with the DAG run) before evaluating the rules.
    message : str, optional
        Reason stored with a failed batch (templated).
    """

    template_fields = ("batch_id", "message")

    def __init__(
        self, batch_id: str, mark_failed: bool = False, message: str | None = None
    ) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.mark_failed = mark_failed
        self.message = message

    def notify(self, context: Any) -> None:
        from driftline.alerting import send_batch_alerts

        run = context.get("dag_run") if self.mark_failed else None
        sent = send_batch_alerts(
            str(self.batch_id),
            failed=self.mark_failed,
            message=self.message or None,
            dag_id=getattr(run, "dag_id", None),
            run_id=getattr(run, "run_id", None),
        )
        self.log.info("Driftline sent %d alert(s) for batch %s", sent, self.batch_id)
