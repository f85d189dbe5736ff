"""Bootstrap: train the first champion from a reference data set and store its profile.

Infers the data contract from the reference (saved, editable, in the reports bucket),
trains a full model, logs it to MLflow with its reference profile and makes it champion
without a gate. Running it again when a champion exists changes nothing.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from driftline_common import CHAMPION, DEFAULT_ARGS, TRAINING_QUEUE


@dag(
    dag_id="driftline_bootstrap",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["driftline", "bootstrap"],
    default_args=DEFAULT_ARGS,
    params={
        "reference": Param(
            "builtin:elec2",
            type="string",
            title="Reference data",
            description="builtin:elec2, or an s3:// URI / local path of a CSV or Parquet file",
        ),
        "target": Param("class", type="string", title="Target column"),
        "rows": Param(1344, type="integer", minimum=10, title="Rows (builtin:elec2 only)"),
    },
    doc_md=__doc__,
)
def driftline_bootstrap():
    @task(queue=TRAINING_QUEUE, outlets=[CHAMPION], multiple_outputs=False)
    def train_first_champion(params=None, outlet_events=None) -> dict:
        from driftline.flow import bootstrap

        out = bootstrap(params["reference"], target=params["target"], rows=params["rows"])
        outlet_events[CHAMPION].extra = {
            "version": out.get("champion"),
            "batch_id": out.get("batch_id"),
        }
        return out

    train_first_champion()


driftline_bootstrap()
