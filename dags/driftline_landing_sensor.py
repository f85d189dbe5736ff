"""Event-based trigger: a deferrable S3KeySensor watches the landing prefix.

Each run waits (in the triggerer, costing no worker slot) until an object lands under
``incoming/``, claims the oldest one exactly once (content-addressed batch id; duplicates
and badly named keys are moved aside, never deleted) and emits a ``driftline_new_batch``
asset event carrying the batch key. The DAG is ``@continuous`` with one active run, so it
keeps watching afterwards.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.sdk import dag, task
from driftline_common import DEFAULT_ARGS, LANDING_BUCKET, LANDING_PREFIX, NEW_BATCH


@dag(
    dag_id="driftline_landing_sensor",
    schedule="@continuous",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["driftline", "sensor"],
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
)
def driftline_landing_sensor():
    wait = S3KeySensor(
        task_id="wait_for_batch",
        bucket_name=LANDING_BUCKET,
        bucket_key=f"{LANDING_PREFIX}*",
        wildcard_match=True,
        aws_conn_id="aws_default",
        deferrable=True,
        poke_interval=5,
        timeout=int(timedelta(hours=6).total_seconds()),
        soft_fail=True,
    )

    @task(outlets=[NEW_BATCH], multiple_outputs=False)
    def claim_batch(*, outlet_events=None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from driftline.flow import claim_next

        result = claim_next()
        if result["outcome"] != "claimed":
            # nothing new to process (duplicate or rejected key): no asset event
            raise AirflowSkipException(result["message"])
        outlet_events[NEW_BATCH].extra = {
            "batch_id": result["batch"]["batch_id"],
            "key": result["batch"]["key"],
            "source_key": result["batch"]["source_key"],
        }
        return result

    wait >> claim_batch()


driftline_landing_sensor()
