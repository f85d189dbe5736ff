"""``make demo``: run the pipeline through the running embedded stack."""

from __future__ import annotations

import time

from driftline.airflow_api import AirflowAPI
from driftline.settings import Settings
from driftline.stack import load_or_create_credentials


def api(settings: Settings) -> AirflowAPI:
    creds = load_or_create_credentials(settings)
    return AirflowAPI(
        f"http://127.0.0.1:{settings.airflow_port}",
        "admin",
        creds["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"],
    )


def run_demo(settings: Settings) -> int:
    """Trigger the smoke DAG through the Airflow API and wait for it to succeed."""
    client = api(settings)
    t0 = time.monotonic()
    print("Waiting for Airflow to parse dags/ ...")
    client.wait_for_dag("driftline_smoke")
    run_id = client.trigger("driftline_smoke", {"tag": f"demo-{int(time.time())}"})
    print(f"Triggered driftline_smoke run {run_id}")
    state = client.wait_for_run("driftline_smoke", run_id, progress=lambda m: print("  " + m))
    print(f"driftline_smoke {run_id}: {state} after {time.monotonic() - t0:.1f} s")
    if state != "success":
        print(f"Task states: {client.task_states('driftline_smoke', run_id)}; see the Airflow UI")
        return 1
    return 0
