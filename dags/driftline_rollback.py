"""Rollback (manual): move the ``champion`` alias back to a chosen model version."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from driftline_common import CHAMPION, DEFAULT_ARGS


@dag(
    dag_id="driftline_rollback",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["driftline", "rollback"],
    default_args=DEFAULT_ARGS,
    params={
        "version": Param(
            "",
            type="string",
            title="Version to restore",
            description="A registered version number; empty restores previous_champion.",
        )
    },
    doc_md=__doc__,
)
def driftline_rollback():
    @task(outlets=[CHAMPION], multiple_outputs=False)
    def restore(params=None, outlet_events=None) -> dict:
        from driftline.flow import rollback

        out = rollback(params["version"] or None)
        outlet_events[CHAMPION].extra = {"version": out.get("champion"), "rollback": True}
        return out

    restore()


driftline_rollback()
