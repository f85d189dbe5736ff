"""Batch inference: score a batch with ``models:/<name>@champion`` and write predictions.

Triggered from the UI (or the API) with a batch id or a landing key. Predictions (with
model version and batch id) go to ``s3://<reports>/predictions/<batch_id>.parquet`` and
their statistics to the monitoring store. Labels that arrive later are joined in the
training DAG, which scores each labelled batch with the champion before deciding, so
accuracy and concept drift are computed there.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from driftline_common import DEFAULT_ARGS, PREDICTIONS


@dag(
    dag_id="driftline_batch_inference",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["driftline", "inference"],
    default_args=DEFAULT_ARGS,
    params={"batch": Param("", type="string", title="Batch id or landing key")},
    doc_md=__doc__,
)
def driftline_batch_inference():
    @task(multiple_outputs=False)
    def resolve(params=None) -> dict:
        from driftline.flow import resolve_batch

        batch = resolve_batch(params["batch"])
        if batch is None:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("no batch given and none claimed")
        return batch

    @task(outlets=[PREDICTIONS], multiple_outputs=False)
    def score(batch: dict, outlet_events=None) -> dict:
        from driftline.flow import score as run_scoring

        out = run_scoring(batch)
        outlet_events[PREDICTIONS].extra = {
            "batch_id": out["batch_id"],
            "uri": out["uri"],
            "version": out["model_version"],
        }
        return out

    score(resolve())


driftline_batch_inference()
