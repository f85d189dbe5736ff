"""Faults of the orchestration, injected into the real Airflow processes of a private stack.

The stack is Airflow standalone (LocalExecutor) with its metadata in a private PostgreSQL
server, the embedded S3 and MLflow (fixture ``pg_stack``). Each test claims one Elec2 week,
triggers the continual-training DAG for it with ``strategy=full_retrain`` and injects one
fault while the run is in flight:

* the training task's process is killed with SIGKILL;
* the scheduler and its executor's worker processes are killed with SIGKILL, and a new
  scheduler is started;
* the metadata database is restarted (``pg_ctl restart -m fast``).

Then the run must end in success (after Airflow's retries with backoff, or after clearing
the failed tasks, which re-runs idempotent steps), the batch is processed exactly once
(``processed/<batch_id>/``, nothing left in ``claimed/``), it has exactly one model version,
and ``champion`` names a loadable model.
"""

from __future__ import annotations

import signal
import sys
import time

import mlflow
import pytest

from driftline import batches, s3
from driftline.training.registry import Registry
from tests.reliability.faults import (
    alive,
    children,
    cmdline,
    descendants,
    find_under,
    kill,
    poll,
    service_pid,
    wait_gone,
)

pytestmark = pytest.mark.integration

DAG = "driftline_continual_training"
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def claim_week(settings, week: int):
    """Put Elec2 week ``week`` under a private prefix and claim it (the sensor does not see it)."""
    from driftline.datasets import load_elec2

    frame = load_elec2().iloc[week * 336 : (week + 1) * 336]
    key = f"incoming-faults/week-{week:04d}.csv"
    s3.client(settings).put_object(
        Bucket=settings.bucket_landing, Key=key, Body=frame.to_csv(index=False).encode()
    )
    ref = batches.claim(key, settings.with_(landing_prefix="incoming-faults/")).batch
    assert ref is not None
    return ref


def task_instance(api, run_id: str, task_id: str) -> dict:
    return api.get(f"/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/{task_id}")


def wait_run(api, run_id: str, timeout: float = 1800) -> str:
    """Final state of a run; API errors while a component restarts count as not yet."""

    def ended():
        state = api.get(f"/api/v2/dags/{DAG}/dagRuns/{run_id}")["state"]
        return state if state in ("success", "failed") else None

    return poll(ended, timeout, f"run {run_id} to end", every=3)


def wait_task_running(api, run_id: str, task_id: str, timeout: float = 1200) -> dict:
    def running():
        ti = task_instance(api, run_id, task_id)
        assert ti["state"] not in ("success", "failed", "skipped"), f"{task_id} ended: {ti}"
        return ti if ti["state"] == "running" else None

    return poll(running, timeout, f"{task_id} of {run_id} to run", every=0.5)


def component_pids(info, name: str) -> list[int]:
    """Live processes of Airflow component ``name`` (standalone's or a restarted one)."""
    root = service_pid(info.stack, "airflow")
    # standalone's direct children (their own children, e.g. the log server, share the name);
    # some set a process title such as "airflow api_server -- host:... port:..."
    # (the stack starts the scheduler and the triggerer with --skip-serve-logs)
    titles = (f"airflow {name}", f"airflow {name.replace('-', '_')} ")

    def title(p: int) -> str:
        return cmdline(p).removesuffix(" --skip-serve-logs")

    found = [p for p in children(root) if title(p).endswith(titles[0]) or titles[1] in title(p)]
    found += [p.pid for p in info.extra if p.poll() is None and p.args[1] == name]
    return found


def revive(info, watch: float = 120.0) -> list[str]:
    """Start again any Airflow component that dies within ``watch`` s (as a supervisor would).

    Components notice a lost database at different times (a scheduler first shuts its
    executor down), so this watches for a while rather than looking once.
    """
    started: list[str] = []
    root = service_pid(info.stack, "airflow")
    deadline = time.monotonic() + watch
    while time.monotonic() < deadline:
        for name in COMPONENTS:
            if not component_pids(info, name):
                log(
                    f"{name} died; standalone's components: {[cmdline(p)[-50:] for p in children(root)]}"
                )
                info.start_component(name)  # a fresh process, outside standalone
                started.append(name)
        time.sleep(3)
    return started


def check_batch_done(info, ref, versions_before: int) -> None:
    """Processed once, nothing left claimed, one model version, a loadable champion."""
    s = info.settings
    client = s3.client(s)
    processed = client.list_objects_v2(
        Bucket=s.bucket_landing, Prefix=f"{batches.PROCESSED}{ref.batch_id}/"
    )
    assert processed.get("KeyCount") == 1
    assert ref.batch_id not in batches.list_claimed(s)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    mine = [v for v in registry.versions() if v.tags.get("batch_id") == ref.batch_id]
    assert len(mine) == 1, [v.version for v in mine]
    assert len(registry.versions()) == versions_before + 1
    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    champion = mlflow.sklearn.load_model(f"models:/{s.model_name}@champion")
    from driftline.datasets import load_elec2

    probe = load_elec2().iloc[:20].drop(columns=["class"])
    assert len(champion.predict(probe)) == 20


def n_versions(info) -> int:
    return len(Registry(info.settings.model_name, info.settings.mlflow_tracking_uri).versions())


def test_training_task_killed_with_sigkill_is_retried(pg_stack):
    info, api = pg_stack, pg_stack.api
    ref = claim_week(info.settings, 40)
    before = n_versions(info)
    run = api.trigger(DAG, {"batch": ref.batch_id, "strategy": "full_retrain"})
    ti = wait_task_running(api, run, "full_retrain")
    root = service_pid(info.stack, "airflow")
    pids = poll(lambda: find_under(root, f"airflow worker -- {ti['id']}"), 120, "the task process")
    time.sleep(2)  # into the task: imports, reading the window, fitting
    kill(pids, signal.SIGKILL)
    assert wait_gone(pids)
    log(f"killed full_retrain try {ti['try_number']} of {run} (pids {pids})")

    assert wait_run(api, run) == "success"
    retried = task_instance(api, run, "full_retrain")
    assert retried["try_number"] > ti["try_number"]
    log(f"{run}: success after full_retrain try {retried['try_number']}")
    check_batch_done(info, ref, before)


def test_scheduler_killed_and_restarted_mid_run(pg_stack):
    info, api = pg_stack, pg_stack.api
    ref = claim_week(info.settings, 41)
    before = n_versions(info)
    run = api.trigger(DAG, {"batch": ref.batch_id, "strategy": "full_retrain"})
    wait_task_running(api, run, "full_retrain")
    (scheduler,) = component_pids(info, "scheduler")
    tree = [scheduler, *descendants(scheduler)]  # its LocalExecutor workers and their tasks
    kill(tree, signal.SIGKILL)
    assert wait_gone(tree)
    log(f"killed the scheduler and {len(tree) - 1} executor/task processes during {run}")
    time.sleep(5)
    info.start_component("scheduler")

    assert wait_run(api, run) == "success"
    retried = task_instance(api, run, "full_retrain")
    log(f"{run}: success after full_retrain try {retried['try_number']}")
    check_batch_done(info, ref, before)


def test_metadata_database_restarted_mid_run(pg_stack):
    info, api = pg_stack, pg_stack.api
    ref = claim_week(info.settings, 42)
    before = n_versions(info)
    run = api.trigger(DAG, {"batch": ref.batch_id, "strategy": "full_retrain"})
    wait_task_running(api, run, "full_retrain")
    info.postgres.restart()
    log(f"restarted the metadata database during {run}")
    started = revive(info)
    log(f"components restarted after the database restart: {started or 'none'}")

    state = wait_run(api, run)
    if state == "failed":  # failed cleanly: clearing the failed tasks re-runs them
        log(f"{run} failed; clearing its failed tasks: {api.task_states(DAG, run)}")
        api._request(
            "POST",
            f"/api/v2/dags/{DAG}/clearTaskInstances",
            {"dag_run_id": run, "only_failed": True, "dry_run": False, "reset_dag_runs": True},
        )
        state = wait_run(api, run)
    assert state == "success", api.task_states(DAG, run)
    log(f"{run}: success, tasks {api.task_states(DAG, run)}")
    check_batch_done(info, ref, before)
    assert all(alive(p) for name in COMPONENTS for p in component_pids(info, name))
