"""Smoke DAG: one object to S3 and one MLflow run with an artifact, then read both back."""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

DEFAULT_ARGS = {
    "owner": "driftline",
    "retries": 2,
    "retry_delay": timedelta(seconds=5),
    "retry_exponential_backoff": True,
}


@dag(
    dag_id="driftline_smoke",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=2,
    tags=["driftline", "smoke"],
    default_args=DEFAULT_ARGS,
    params={"tag": Param("manual", type="string", description="label of this smoke run")},
    doc_md=__doc__,
)
def driftline_smoke():
    @task(multiple_outputs=False)
    def write(params=None, run_id=None) -> dict:
        from driftline.smoke import run_smoke

        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in f"{params['tag']}-{run_id}")
        return run_smoke(safe)

    @task(multiple_outputs=False)
    def read_back(result: dict) -> dict:
        from driftline.smoke import verify_smoke

        return verify_smoke(result)

    read_back(write())


driftline_smoke()
