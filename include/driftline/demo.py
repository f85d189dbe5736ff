"""``make demo``: replay Elec2 week by week through the running Airflow stack.

1. Trigger ``driftline_bootstrap`` (first 4 weeks, 1,344 rows) through the Airflow REST API.
2. Drop each following week (336 rows) into ``s3://<landing>/incoming/``; the deferrable
   sensor claims it, the continual-training DAG validates, tests, decides, trains, gates.
3. Wait for each week's published result, print progress, then a summary and where to look.

Running it again skips what was already done (bootstrap and delivered weeks).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from driftline import batches, s3
from driftline.airflow_api import AirflowAPI
from driftline.errors import ServiceError, fail
from driftline.reports import ReportKeys
from driftline.settings import Settings
from driftline.stack import load_or_create_credentials, use_stack_login

WEEK = 336


def api(settings: Settings) -> AirflowAPI:
    creds = load_or_create_credentials(settings)
    return AirflowAPI(
        f"http://127.0.0.1:{settings.airflow_port}",
        "admin",
        creds["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"],
    )


def _settings_with_creds(settings: Settings) -> Settings:
    """The stack's S3 keys in the settings; the MLflow client logged in (basic auth)."""
    creds = load_or_create_credentials(settings)
    use_stack_login(settings)
    return settings.with_(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
    )


def _json(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        return json.loads(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception:  # noqa: BLE001 - not there yet
        return None


def _wait_result(client: Any, s: Settings, batch_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = _json(client, s.bucket_reports, ReportKeys(batch_id).run_summary)
        if done:
            return done
        quarantined = _json(client, s.bucket_quarantine, f"{batch_id}/validation.json")
        if quarantined:
            return {"batch_id": batch_id, "action": "quarantined", "champion_version": "-"}
        time.sleep(2)
    raise ServiceError(
        fail(
            f"week batch {batch_id} was not processed within {timeout:.0f} s",
            "look at driftline_continual_training in the Airflow UI and 'make logs'",
        )
    )


def run_demo(settings: Settings, weeks: int | None = None) -> int:
    """Bootstrap, then replay ``weeks`` weeks (``DRIFTLINE_DEMO_WEEKS``, default 8)."""
    from driftline.datasets import load_elec2

    weeks = weeks or int(os.environ.get("DRIFTLINE_DEMO_WEEKS", "8"))
    s = _settings_with_creds(settings)
    client = api(s)
    store = s3.client(s)
    t0 = time.monotonic()
    print("[1/3] Waiting for Airflow to parse the Driftline DAGs ...", flush=True)
    for dag_id in (
        "driftline_bootstrap",
        "driftline_landing_sensor",
        "driftline_continual_training",
    ):
        client.wait_for_dag(dag_id)
    print("[2/3] Bootstrapping the first champion on weeks 1-4 of Elec2 ...", flush=True)
    run_id = client.trigger(
        "driftline_bootstrap", {"reference": "builtin:elec2", "target": "class", "rows": 4 * WEEK}
    )
    state = client.wait_for_run("driftline_bootstrap", run_id, timeout=900)
    if state != "success":
        print(
            f"driftline_bootstrap {run_id} {state}: {client.task_states('driftline_bootstrap', run_id)}"
        )
        return 1
    print(f"      bootstrap done after {time.monotonic() - t0:.0f} s", flush=True)
    data = load_elec2()
    rows: list[dict[str, Any]] = []
    print(f"[3/3] Replaying weeks 5-{4 + weeks} through the landing sensor ...", flush=True)
    for w in range(5, 5 + weeks):
        t_week = time.monotonic()
        frame = data.iloc[(w - 1) * WEEK : w * WEEK]
        body = frame.to_csv(index=False).encode()
        digest = hashlib.sha256(body).hexdigest()
        name = f"week-{w:04d}.csv"
        batch_id = batches.batch_id_for(name, digest)
        seen = _json(store, s.bucket_landing, f"{batches.INDEX}{digest}.json")
        if seen is None:
            store.put_object(Bucket=s.bucket_landing, Key=f"{s.landing_prefix}{name}", Body=body)
        result = _wait_result(store, s, seen["batch_id"] if seen else batch_id, timeout=900)
        drift = _json(store, s.bucket_reports, ReportKeys(result["batch_id"]).drift) or {}
        perf = _json(store, s.bucket_reports, ReportKeys(result["batch_id"]).decision) or {}
        row = {
            "week": w,
            "batch_id": result["batch_id"],
            "action": result.get("action"),
            "drift": ",".join(drift.get("kinds", [])) or "-",
            "severity": drift.get("severity", "-"),
            "champion": result.get("champion_version"),
            "seconds": round(time.monotonic() - t_week, 1),
            "why": "; ".join(perf.get("reasons", []))[:60],
        }
        rows.append(row)
        print(
            f"      week {w:>3}: {row['action']:<13} drift={row['drift']:<18} "
            f"champion=v{row['champion']}  ({row['seconds']} s)"
            + ("  [already processed]" if seen else ""),
            flush=True,
        )
    print(f"\nDemo finished in {time.monotonic() - t0:.0f} s.")
    print(f"{'week':>5} {'action':<13} {'drift':<20} {'severity':<9} {'champion':>8}")
    for r in rows:
        print(
            f"{r['week']:>5} {r['action']:<13} {r['drift']:<20} {r['severity']:<9} {'v' + str(r['champion']):>8}"
        )
    _ask_the_endpoint(s, data.iloc[4 * WEEK : 4 * WEEK + 5])
    print(
        "\nWhere to look:\n"
        f"  Airflow UI      http://127.0.0.1:{s.airflow_port}/dags/driftline_continual_training\n"
        f"  Driftline view  http://127.0.0.1:{s.airflow_port}/plugin/driftline\n"
        f"  MLflow models   {s.mlflow_tracking_uri}/#/models/{s.model_name}\n"
        f"  Drift reports   s3://{s.bucket_reports}/drift/  (HTML beside each JSON)\n"
        f"  Alerts sink     {s.state_dir / 'alerts.jsonl'}\n"
        f"  Predictions     POST http://127.0.0.1:{s.serve_port}/predict  "
        f"(live sample: s3://{s.bucket_reports}/live/{s.model_name}/)"
    )
    return 0


def _ask_the_endpoint(s: Settings, rows: Any, deadline: float = 60.0) -> None:
    """Ask the serving endpoint for a few predictions once it serves the final champion."""
    import urllib.request

    from driftline.training.registry import Registry

    champion = Registry(s.model_name, s.mlflow_tracking_uri).aliases().get("champion")
    features = rows.drop(columns=["class"], errors="ignore")
    body = json.dumps({"dataframe_records": features.to_dict(orient="records")}).encode()
    url = f"http://127.0.0.1:{s.serve_port}/predict"
    end, answer = time.monotonic() + deadline, None
    while time.monotonic() < end:
        try:
            req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - local URL
                answer = json.loads(resp.read())
            if answer.get("model_version") == champion:
                break
        except OSError:
            pass
        time.sleep(2)
    if answer is None:
        print(f"\nServing: no answer from {url} (see 'make logs')")
        return
    print(
        f"\nServing: POST {url} with {len(features)} rows -> version "
        f"{answer['model_version']} predicts {answer['predictions']}"
    )
