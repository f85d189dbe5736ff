"""Throughput of 10k-row batches: the native Celery topology vs the embedded LocalExecutor stack.

For each deployment, in a fresh temporary state folder on free ports:

* ``celery``: :class:`driftline.native.NativeTopology`, the docker-compose topology as local
  processes (CeleryExecutor, Redis broker, PostgreSQL for Airflow, MLflow and monitoring,
  the ``default`` and ``training`` workers);
* ``local``: :class:`driftline.stack.Stack`, ``airflow standalone`` (LocalExecutor,
  SQLite) with MLflow on SQLite, as ``make up`` runs it;

it starts the deployment, bootstraps the champion (``driftline_bootstrap``), lands
``--batches`` batches of ``--rows`` Elec2 rows at once in ``incoming/`` (windows of the
45,312 Elec2 rows spread evenly after ``--offset``, overlapping when they must: six 10k-row
batches need more rows than Elec2 has; content differs, so each is a distinct batch), and waits until every batch's result
is published in ``reports/runs/``. Throughput is batches per minute from the landing to
the last publication; latency is per batch, landing to its publication. Then it stops
the deployment. Prints a table.

    .venv/bin/python benchmarks/celery_throughput.py                    # 6 batches, both
    .venv/bin/python benchmarks/celery_throughput.py --only celery --batches 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from driftline import s3
from driftline.airflow_api import AirflowAPI
from driftline.datasets import load_elec2
from driftline.native import NativeTopology, free_redis_url, settings_ports
from driftline.settings import Settings
from driftline.stack import Stack, load_or_create_credentials

DEPLOYMENTS = ("celery", "local")


def _settings(state: Path) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "MLFLOW_"))}
    env.update(settings_ports())
    env.update({"DRIFTLINE_STATE_DIR": str(state), "DRIFTLINE_STARTUP_TIMEOUT": "600"})
    return Settings.from_env(env)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(deployment: str, batches: int, rows: int, offset: int) -> dict:
    """Start ``deployment``, push the batches through it, stop it; return the figures."""
    state = Path(tempfile.mkdtemp(prefix=f"driftline-bench-{deployment}-"))
    settings = _settings(state)
    saved = dict(os.environ)
    t0 = time.monotonic()
    if deployment == "celery":
        target = NativeTopology(settings, redis_url=free_redis_url(), progress=_log)
        start, stop = target.up, target.down
    else:
        target = Stack(settings)
        start, stop = (lambda: target.up(progress=_log)), (lambda: target.down(progress=_log))
        for key in [k for k in os.environ if k.startswith("AIRFLOW")]:
            del os.environ[key]
    try:
        start()
        startup = time.monotonic() - t0
        creds = load_or_create_credentials(settings)
        settings = settings.with_(
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        )
        if deployment == "celery":
            os.environ.update(target.client_env())
            api = target.api()
        else:
            api = AirflowAPI(
                f"http://127.0.0.1:{settings.airflow_port}",
                "admin",
                creds["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"],
            )
        for dag_id in ("driftline_bootstrap", "driftline_landing_sensor"):
            api.wait_for_dag(dag_id, timeout=600)
        api.wait_for_dag("driftline_continual_training", timeout=600)
        boot = api.trigger(
            "driftline_bootstrap", {"reference": "builtin:elec2", "target": "class", "rows": 1344}
        )
        if api.wait_for_run("driftline_bootstrap", boot, timeout=1800) != "success":
            raise SystemExit(f"{deployment}: the bootstrap run failed; see {state}/logs")
        _log(f"{deployment}: champion bootstrapped; landing {batches} x {rows} rows")

        data = load_elec2()
        store = s3.client(settings)
        names = [f"bench-{i:02d}" for i in range(batches)]
        stride = (len(data) - offset - rows) // max(1, batches - 1)
        t_land = time.time()
        for i, name in enumerate(names):
            chunk = data.iloc[offset + i * stride : offset + i * stride + rows]
            store.put_object(
                Bucket=settings.bucket_landing,
                Key=f"{settings.landing_prefix}{name}.csv",
                Body=chunk.to_csv(index=False).encode(),
            )
        published: dict[str, float] = {}
        actions: dict[str, str] = {}
        deadline = time.monotonic() + 600 * batches
        while len(published) < batches and time.monotonic() < deadline:
            for name in names:
                if name in published:
                    continue
                found = store.list_objects_v2(
                    Bucket=settings.bucket_reports, Prefix=f"runs/{name}-"
                ).get("Contents")
                if found:
                    published[name] = time.time()
                    body = store.get_object(Bucket=settings.bucket_reports, Key=found[0]["Key"])
                    actions[name] = json.loads(body["Body"].read()).get("action", "?")
                    _log(f"{deployment}: {name} published after {published[name] - t_land:.0f} s")
            time.sleep(1)
        if len(published) < batches:
            raise SystemExit(f"{deployment}: only {len(published)}/{batches} batches published")
        wall = max(published.values()) - t_land
        latencies = [published[n] - t_land for n in names]
        return {
            "deployment": deployment,
            "batches": batches,
            "rows": rows,
            "startup_s": startup,
            "wall_s": wall,
            "per_min": batches / wall * 60,
            "first_s": min(latencies),
            "actions": ",".join(sorted(set(actions.values()))),
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)
        stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=6)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--offset", type=int, default=2_000)
    parser.add_argument("--only", choices=DEPLOYMENTS)
    args = parser.parse_args()
    if args.offset + args.rows > len(load_elec2()) or args.rows < 1000:
        raise SystemExit("--offset + --rows exceeds the 45,312 Elec2 rows (or --rows < 1000)")
    print(
        f"{'deployment':<12}{'batches':>8}{'rows':>8}{'start-up s':>12}"
        f"{'landing->last published s':>27}{'batches/min':>13}{'first batch s':>15}  actions",
        flush=True,
    )
    results = []
    for deployment in [args.only] if args.only else DEPLOYMENTS:
        r = run(deployment, args.batches, args.rows, args.offset)
        results.append(r)
        print(
            f"{r['deployment']:<12}{r['batches']:>8}{r['rows']:>8}{r['startup_s']:>12.0f}"
            f"{r['wall_s']:>27.0f}{r['per_min']:>13.2f}{r['first_s']:>15.0f}  {r['actions']}",
            flush=True,
        )
    if len(results) == 2:
        print(f"celery / local throughput: {results[0]['per_min'] / results[1]['per_min']:.2f}")


if __name__ == "__main__":
    main()
