"""Latency from a batch landing in S3 to its published (and possibly promoted) model.

Runs against a running stack (``make up`` after ``make demo`` bootstrapped a champion).
Lands one batch of ``--rows`` Elec2 rows, waits for its training run, and splits the wall
time into the work (sum of task durations on the critical path) and Airflow's part
(sensor wake-up, scheduling, queueing, task start-up). Prints a table.

    .venv/bin/python benchmarks/pipeline_latency.py --rows 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from driftline import s3
from driftline.datasets import load_elec2
from driftline.demo import _settings_with_creds, api
from driftline.settings import Settings


def _ts(value: str | None) -> float | None:
    return (
        None if not value else dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--offset", type=int, default=25_000)
    args = parser.parse_args()
    settings = _settings_with_creds(Settings.from_env())
    client, store = api(settings), s3.client(settings)
    frame = load_elec2().iloc[args.offset : args.offset + args.rows]
    name = f"latency-{int(time.time())}.csv"
    t_land = time.time()
    store.put_object(
        Bucket=settings.bucket_landing,
        Key=f"{settings.landing_prefix}{name}",
        Body=frame.to_csv(index=False).encode(),
    )
    prefix = "runs/" + name[:-4] + "-"
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        found = store.list_objects_v2(Bucket=settings.bucket_reports, Prefix=prefix).get("Contents")
        if found:
            break
        time.sleep(1)
    else:
        raise SystemExit("batch not processed within 30 min")
    t_pub = time.time()
    result = json.loads(
        store.get_object(Bucket=settings.bucket_reports, Key=found[0]["Key"])["Body"].read()
    )
    batch_id = result["batch_id"]
    runs = client.get(
        "/api/v2/dags/driftline_continual_training/dagRuns?order_by=-start_date&limit=10"
    )["dag_runs"]
    run = next(r for r in runs if r["state"] in ("running", "success"))
    tis = client.get(
        f"/api/v2/dags/driftline_continual_training/dagRuns/{run['dag_run_id']}/taskInstances"
    )["task_instances"]
    sensor = client.get(
        "/api/v2/dags/driftline_landing_sensor/dagRuns?order_by=-start_date&limit=3"
    )["dag_runs"]
    work = {
        t["task_id"]: (_ts(t["end_date"]) or 0) - (_ts(t["start_date"]) or 0)
        for t in tis
        if t["state"] == "success" and t["start_date"] and t["end_date"]
    }
    path = [
        "resolve_batch",
        "validate",
        "route_validation",
        "check_drift",
        "decide",
        result["action"] if result["action"] != "none" else "no_training",
        "gate_and_promote",
        "publish_report",
    ]
    on_path = sum(work.get(t, 0.0) for t in path)
    total = t_pub - t_land
    print(
        f"batch {batch_id}: {args.rows} rows, action {result['action']}, champion v{result['champion_version']}"
    )
    print(f"{'step':<40}{'seconds':>10}")
    for t in path:
        print(f"  {t:<38}{work.get(t, 0.0):>10.1f}")
    print(f"{'work on the critical path':<40}{on_path:>10.1f}")
    print(f"{'Airflow: sensor, scheduling, queueing, start-up':<40}{total - on_path:>10.1f}")
    print(f"{'landing -> published':<40}{total:>10.1f}")
    print(f"(sensor runs seen: {[s['state'] for s in sensor]})")


if __name__ == "__main__":
    main()
