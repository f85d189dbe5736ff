"""Continual training: validate → drift tests → branch → train → log → gate → promote → report.

Runs on a cron schedule **or** when the landing sensor emits a ``driftline_new_batch``
asset event (``AssetOrTimeSchedule``), and from the Airflow UI with a Params form.

Batches are processed one per run, oldest claimed first (``max_active_runs=1``): the
claimed prefix in S3, not the asset event, is the source of truth, so events that Airflow
merges into one run lose no batch; a run that leaves claimed batches behind triggers the
next run. A bad batch is quarantined with its report and nothing is trained. A batch
whose processing fails on every retry is set aside by the failure callback
(``s3://<quarantine>/failed/<batch_id>/`` with its error, and an alert), so it never
blocks the queue: the failed run still triggers the next one and ``run_failed`` keeps the
run's state failed. The champion
alias only moves in ``gate_and_promote``, after the challenger is logged and loadable.
A batch without labels can take a label-free branch (``recalibrate_priors``,
``reweight_retrain``; docs/adapt.md) whose version goes through the same gate.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from driftline_common import CHAMPION, DEFAULT_ARGS, NEW_BATCH, TRAINING_QUEUE

JOIN = "none_failed_min_one_success"

PARAMS = {
    "batch": Param(
        "",
        type="string",
        title="Batch",
        description="Batch id, or a key under the landing prefix (e.g. incoming/week-0005.csv). "
        "Empty: the oldest claimed batch.",
    ),
    "strategy": Param(
        # runs not started from the form (asset, cron) use the default: DRIFTLINE_TRAINING_STRATEGY
        # (e.g. "none": monitor only, never train), else auto
        os.environ.get("DRIFTLINE_TRAINING_STRATEGY", "auto"),
        enum=[
            "auto",
            "none",
            "fine_tune",
            "full_retrain",
            "recalibrate_priors",
            "reweight_retrain",
        ],
        title="Strategy override",
        description="auto lets the drift policy decide.",
    ),
    "alpha": Param(0.05, type="number", minimum=0.0001, maximum=0.5, title="Significance level"),
    "effect_floor": Param(
        None,
        type=["null", "number"],
        minimum=0,
        title="Effect-size floor",
        description="Empty: the per-test defaults.",
    ),
    "dry_run": Param(False, type="boolean", title="Dry run", description="Validate and test only."),
}


@dag(
    dag_id="driftline_continual_training",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 */6 * * *", timezone="UTC"), assets=NEW_BATCH
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["driftline", "training"],
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    doc_md=__doc__,
)
def driftline_continual_training():
    @task(multiple_outputs=False)
    def resolve_batch(params=None, triggering_asset_events=None, run_id=None) -> dict:
        from driftline.flow import resolve_batch as resolve

        events = []
        for asset_events in (triggering_asset_events or {}).values():
            events.extend(dict(e.extra or {}) for e in asset_events)
        batch = resolve(params.get("batch") or "", events=events, run_id=run_id)
        if batch is None:
            raise AirflowSkipException("no claimed batch waiting; nothing to do")
        return batch

    @task(multiple_outputs=False)
    def validate(batch: dict, run_id=None) -> dict:
        from driftline.flow import validate_batch

        return validate_batch(batch, run_id=run_id)

    @task.branch
    def route_validation(validation: dict) -> str:
        return "check_drift" if validation["passed"] else "quarantine"

    @task(multiple_outputs=False)
    def quarantine(batch: dict, validation: dict) -> dict:
        from driftline.flow import quarantine_batch

        return quarantine_batch(batch, validation)

    @task(multiple_outputs=False)
    def check_drift(batch: dict, params=None) -> dict:
        from driftline.flow import check_drift as run_checks

        return run_checks(batch, alpha=params["alpha"], effect_floor=params["effect_floor"])

    @task.branch
    def decide(batch: dict, drift: dict, params=None, dag_run=None) -> str:
        from driftline.flow import decide as choose

        decision = choose(
            batch,
            drift,
            override=params["strategy"],
            dry_run=params["dry_run"],
            dag_id=dag_run.dag_id,
            run_id=dag_run.run_id,
        )
        return {
            "none": "no_training",
            "fine_tune": "fine_tune",
            "full_retrain": "full_retrain",
            "recalibrate_priors": "recalibrate_priors",
            "reweight_retrain": "reweight_retrain",
        }[decision["action"]]

    @task(multiple_outputs=False)
    def no_training(batch: dict) -> dict:
        return {"batch_id": batch["batch_id"], "action": "none"}

    @task(queue=TRAINING_QUEUE, multiple_outputs=False)
    def fine_tune(batch: dict, run_id=None) -> dict:
        from driftline.flow import train

        return train(batch, "fine_tune", run_id=run_id)

    @task(queue=TRAINING_QUEUE, multiple_outputs=False)
    def full_retrain(batch: dict, run_id=None) -> dict:
        from driftline.flow import train

        return train(batch, "full_retrain", run_id=run_id)

    # label-free adaptation (no labels on the batch): driftline.adapt
    @task(queue=TRAINING_QUEUE, multiple_outputs=False)
    def recalibrate_priors(batch: dict, run_id=None) -> dict:
        from driftline.flow import adapt

        return adapt(batch, "recalibrate_priors", run_id=run_id)

    @task(queue=TRAINING_QUEUE, multiple_outputs=False)
    def reweight_retrain(batch: dict, run_id=None) -> dict:
        from driftline.flow import adapt

        return adapt(batch, "reweight_retrain", run_id=run_id)

    @task(trigger_rule=JOIN, outlets=[CHAMPION], multiple_outputs=False)
    def gate_and_promote(batch: dict, *, ti=None, outlet_events=None) -> dict:
        from driftline.flow import gate_and_promote as gate

        trained = (
            ti.xcom_pull(
                task_ids=["fine_tune", "full_retrain", "recalibrate_priors", "reweight_retrain"]
            )
            or []
        )
        trained = [t for t in trained if t]
        result = gate(batch, trained[0] if trained else None)
        if result.get("promoted"):
            outlet_events[CHAMPION].extra = {
                "version": result["version"],
                "previous": result.get("previous"),
                "batch_id": batch["batch_id"],
            }
        return result

    @task(trigger_rule=JOIN, multiple_outputs=False)
    def publish_report(batch: dict, validation: dict, *, run_id=None) -> dict:
        from driftline.flow import publish

        if not validation["passed"]:
            raise AirflowSkipException(f"batch {batch['batch_id']} was quarantined")

        return publish(batch, run_id=run_id, dag_id="driftline_continual_training")

    @task.short_circuit(trigger_rule="all_done")
    def more_batches_waiting(*, ti=None) -> bool:
        # also after a failure: the failure callback set the batch aside, the queue goes on
        from driftline.batches import backlog_after

        batch = ti.xcom_pull(task_ids="resolve_batch")
        # no batch resolved (nothing waited, or resolving failed): the next event or cron run
        return isinstance(batch, dict) and backlog_after(batch["batch_id"]) > 0

    @task(trigger_rule="one_failed", on_failure_callback=None)
    def run_failed() -> None:
        # a failed step (already alerted by its callback) fails the run, although the
        # trigger of the next run succeeded
        raise AirflowFailException("a step of this run failed; see its log and alert")

    process_next_batch = TriggerDagRunOperator(
        task_id="process_next_batch",
        trigger_dag_id="driftline_continual_training",
        wait_for_completion=False,
    )

    batch = resolve_batch()
    validation = validate(batch)
    route = route_validation(validation)
    quarantined = quarantine(batch, validation)
    drift = check_drift(batch)
    choice = decide(batch, drift)
    skip, tuned, retrained = no_training(batch), fine_tune(batch), full_retrain(batch)
    label_free = [recalibrate_priors(batch), reweight_retrain(batch)]
    promoted = gate_and_promote(batch)
    report = publish_report(batch, validation)

    route >> [quarantined, drift]
    choice >> [skip, tuned, retrained, *label_free]
    [skip, tuned, retrained, *label_free] >> promoted >> report
    [report, quarantined] >> more_batches_waiting() >> process_next_batch
    steps = [batch, validation, route, quarantined, drift, choice, skip, tuned, retrained]
    [*steps, *label_free, promoted, report] >> run_failed()


driftline_continual_training()
