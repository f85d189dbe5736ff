"""The scale-out topology, natively: CeleryExecutor, two workers on two queues, no Docker.

``driftline.native.NativeTopology`` starts every component of ``driftline.topology.TOPOLOGY``
from its own command (api-server, scheduler, dag-processor, triggerer, the ``default`` and
``training`` Celery workers, MLflow with basic auth and a PostgreSQL store), on the local
PostgreSQL (fresh databases, dropped at the end) and Redis (an empty database number), with
the embedded S3. A champion is bootstrapped, a batch is trained with ``full_retrain``, and
the task instances show where each task ran: training on the ``training`` queue and worker,
everything else on ``default``.
"""

from __future__ import annotations

import os
import sys

import pytest

from driftline.native import (
    NativeTopology,
    celery_hostname,
    free_redis_url,
    node_name,
    settings_ports,
)
from driftline.topology import DEFAULT_QUEUE, TOPOLOGY, TRAINING_QUEUE
from tests.conftest import test_settings

pytestmark = pytest.mark.integration

DAG = "driftline_continual_training"


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    settings = test_settings(
        tmp_path_factory.mktemp("native"), DRIFTLINE_STARTUP_TIMEOUT="600", **settings_ports()
    )
    topo = NativeTopology(
        settings, redis_url=free_redis_url(), progress=lambda m: print(m, file=sys.stderr)
    )
    saved = dict(os.environ)
    try:
        topo.up()
        os.environ.update(topo.client_env())
        creds = topo.credentials()
        yield (
            topo,
            settings.with_(
                aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            ),
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        topo.down()
        assert not any(topo.alive().values()), topo.alive()


def test_every_component_runs_its_topology_command(native):
    topo, _ = native
    started = {p.service: p for p in topo.processes}
    expected = [c for c in TOPOLOGY.components if not c.profile]
    assert sorted(started) == sorted(c.service for c in expected)
    for component in expected:
        command = started[component.service].command
        if component.program == "mlflow":
            command = command[2:]  # after: bash docker/mlflow/entrypoint.sh
            assert command[: len(component.argv)] == component.argv
        elif component.deployment_options:  # serve: its address and port appended
            assert command[: len(component.argv)] == component.argv
            options = dict(
                zip(
                    command[len(component.argv) :: 2],
                    command[len(component.argv) + 1 :: 2],
                    strict=True,
                )
            )
            assert set(options) == set(component.deployment_options)
        else:
            assert command == component.command()
    assert all(topo.alive().values()), topo.alive()


def test_training_runs_on_the_training_worker(native):
    from driftline import batches, s3
    from driftline.datasets import load_elec2

    topo, settings = native
    api = topo.api()
    for dag_id in ("driftline_bootstrap", DAG):
        api.wait_for_dag(dag_id, timeout=600)
    boot = api.trigger(
        "driftline_bootstrap", {"reference": "builtin:elec2", "target": "class", "rows": 1344}
    )
    assert api.wait_for_run("driftline_bootstrap", boot, timeout=1200) == "success"

    week = load_elec2().iloc[30 * 336 : 31 * 336]
    key = "incoming-native/week-0031.csv"
    s3.client(settings).put_object(
        Bucket=settings.bucket_landing, Key=key, Body=week.to_csv(index=False).encode()
    )
    ref = batches.claim(key, settings.with_(landing_prefix="incoming-native/")).batch
    run = api.trigger(DAG, {"batch": ref.batch_id, "strategy": "full_retrain"})
    assert api.wait_for_run(DAG, run, timeout=1800) == "success"

    tis = api.get(f"/api/v2/dags/{DAG}/dagRuns/{run}/taskInstances")["task_instances"]
    ran = {t["task_id"]: t for t in tis if t["state"] == "success"}
    training = node_name(TOPOLOGY.worker_for(TRAINING_QUEUE))
    default = node_name(TOPOLOGY.worker_for(DEFAULT_QUEUE))
    assert ran["full_retrain"]["queue"] == TRAINING_QUEUE
    assert ran["full_retrain"]["hostname"] == training
    others = {k: v for k, v in ran.items() if k != "full_retrain"}
    assert {"resolve_batch", "validate", "check_drift", "gate_and_promote"} <= set(others)
    for task_id, ti in others.items():
        assert (ti["queue"], ti["hostname"]) == (DEFAULT_QUEUE, default), task_id
    boot_tis = api.get(f"/api/v2/dags/driftline_bootstrap/dagRuns/{boot}/taskInstances")
    (first,) = boot_tis["task_instances"]
    assert (first["queue"], first["hostname"]) == (TRAINING_QUEUE, training)


def test_hostname_outside_celery_is_the_fqdn():
    import socket

    assert celery_hostname() == socket.getfqdn()
