"""What NativeTopology would run, checked against driftline.topology without starting anything.

The compose file is checked against the same description in tests/compose, so these tests
keep the native Celery deployment and docker-compose in agreement.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from driftline.errors import ConfigError
from driftline.native import NativeTopology, node_name, port_block, settings_ports
from driftline.topology import TOPOLOGY, TRAINING_QUEUE
from tests.conftest import test_settings


@pytest.fixture
def topo(tmp_path):
    settings = test_settings(tmp_path, **settings_ports())
    return NativeTopology(
        settings, redis_url="redis://127.0.0.1:6379/7", name="plan", progress=None
    )


def test_plan_runs_every_always_on_component_with_its_topology_command(topo):
    plan = {p.service: p for p in topo._plan()}
    expected = [c for c in TOPOLOGY.components if not c.profile]
    assert sorted(plan) == sorted(c.service for c in expected)
    for component in expected:
        command = plan[component.service].command
        if component.program == "mlflow":
            assert command[:2] == ("bash", str(topo_entrypoint()))
            options = dict(
                zip(
                    command[2 + len(component.argv) :: 2],
                    command[3 + len(component.argv) :: 2],
                    strict=True,
                )
            )
            assert command[2 : 2 + len(component.argv)] == component.argv
            assert set(options) == set(component.deployment_options)
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


def topo_entrypoint():
    from driftline.native import MLFLOW_ENTRYPOINT

    assert MLFLOW_ENTRYPOINT.exists()
    return MLFLOW_ENTRYPOINT


def test_env_has_the_topology_settings_broker_backend_and_execution_api(topo):
    env = topo.env()
    for key, value in TOPOLOGY.airflow_settings.items():
        assert env[key] == value, key
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).scheme == TOPOLOGY.broker_scheme
    backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert urlsplit(backend).scheme == TOPOLOGY.result_backend_scheme
    assert urlsplit(metadata).scheme == TOPOLOGY.metadata_scheme
    # as in compose: the result backend is the metadata database
    assert urlsplit(backend.removeprefix("db+"))[1:] == urlsplit(metadata)[1:]
    url = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert url.path == TOPOLOGY.execution_api_path
    assert url.port == topo.settings.airflow_port


def test_one_database_per_topology_database_with_the_suffix(topo):
    assert topo.databases == {db: f"{db}_plan" for db in TOPOLOGY.databases}
    assert topo.env()["DRIFTLINE_MONITORING_DB_URL"].endswith("/driftline_plan")


def test_workers_report_their_celery_node_and_serve_logs_on_distinct_ports(topo):
    workers = [p for p in topo._plan() if p.service in {w.service for w in TOPOLOGY.workers}]
    assert len(workers) == 2
    for process in workers:
        assert process.env["AIRFLOW__CORE__HOSTNAME_CALLABLE"] == "driftline.native.celery_hostname"
    ports = {p.env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] for p in workers}
    assert len(ports) == 2
    assert node_name(TOPOLOGY.worker_for(TRAINING_QUEUE), "h") == "training@h"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"redis_url": "amqp://127.0.0.1:5672/"},
        {"redis_url": "redis://127.0.0.1:6379"},
        {"name": "Bad-Name"},
    ],
)
def test_bad_addresses_are_refused(tmp_path, kwargs):
    settings = test_settings(tmp_path)
    with pytest.raises(ConfigError):
        NativeTopology(settings, **{"redis_url": "redis://127.0.0.1:6379/3", **kwargs})


def test_port_block_is_below_the_ephemeral_range():
    from driftline.native import _ephemeral_range

    base = port_block(12)
    assert base + 12 <= _ephemeral_range()[0]
