"""docker-compose.yaml agrees with driftline.topology (the native Celery test's source).

Both deployments are built from one description; these checks fail when a service, a
command, a queue or a key setting is changed in one place and not the other.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from driftline.settings import Settings
from driftline.topology import TOPOLOGY, TRAINING_QUEUE, Component


def without_deployment_options(component: Component, argv: list[str]) -> list[str]:
    """``argv`` minus the options (and values) each deployment sets for itself."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in component.deployment_options:
            skip = True
        else:
            out.append(arg)
    return out


def test_same_services(services):
    assert sorted(services) == sorted(TOPOLOGY.services)


@pytest.mark.parametrize("component", TOPOLOGY.components, ids=lambda c: c.service)
def test_same_command(services, component):
    argv = services[component.service]["command"]
    assert without_deployment_options(component, argv) == list(component.argv)
    for name in component.deployment_options:
        assert name in argv, f"{component.service} sets no {name}"


@pytest.mark.parametrize("component", TOPOLOGY.components, ids=lambda c: c.service)
def test_same_profile(services, component):
    expected = [component.profile] if component.profile else None
    assert services[component.service].get("profiles") == expected


def test_same_queues(services):
    for worker in TOPOLOGY.workers:
        argv = services[worker.service]["command"]
        queues = argv[argv.index("--queues") + 1].split(",")
        assert tuple(queues) == worker.queues


def test_same_airflow_settings(services):
    airflow = [c for c in TOPOLOGY.components if c.program == "airflow"]
    for name in [c.service for c in airflow] + ["airflow-init"]:
        env = services[name]["environment"]
        for key, value in TOPOLOGY.airflow_settings.items():
            assert env.get(key) == value, f"{name}: {key}"


def test_same_broker_backend_and_metadata_schemes(services):
    env = services["airflow-scheduler"]["environment"]
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).scheme == TOPOLOGY.broker_scheme
    assert urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"]).scheme == TOPOLOGY.result_backend_scheme
    metadata = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert urlsplit(metadata).scheme == TOPOLOGY.metadata_scheme
    # The result backend is the metadata database with Celery's db+ prefix.
    result = env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+")
    assert urlsplit(result)[1:] == urlsplit(metadata)[1:]


def test_same_execution_api(services):
    url = urlsplit(
        services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
    )
    assert url.path == TOPOLOGY.execution_api_path
    assert url.hostname == TOPOLOGY.component("airflow-apiserver").service


def test_same_buckets_as_settings_defaults(services):
    assert TOPOLOGY.buckets == Settings.from_env({}).buckets
    env = services["minio-init"]["environment"]
    assert {v for k, v in env.items() if k.startswith("DRIFTLINE_BUCKET_")} == set(TOPOLOGY.buckets)


def test_same_databases(services):
    used = set()
    for svc in services.values():
        for value in (svc.get("environment") or {}).values():
            if value and "@postgres:5432/" in value:
                used.add(urlsplit(value).path.lstrip("/"))
    assert used == set(TOPOLOGY.databases)


def test_init_jobs_run_once_before_the_components(services):
    for job in TOPOLOGY.init_jobs:
        assert services[job]["restart"] == "no"
    for component in TOPOLOGY.components:
        deps = services[component.service]["depends_on"]
        assert any(
            deps.get(job, {}).get("condition") == "service_completed_successfully"
            for job in TOPOLOGY.init_jobs
        ), component.service


def test_the_dags_route_training_to_the_topology_queue(services, monkeypatch):
    """dags/driftline_common.TRAINING_QUEUE is what the training worker consumes."""
    path = Path(__file__).resolve().parents[2] / "dags" / "driftline_common.py"
    if not path.exists():
        pytest.skip("dags/driftline_common.py is not there yet")
    monkeypatch.delenv("DRIFTLINE_TRAINING_QUEUE", raising=False)
    spec = importlib.util.spec_from_file_location("driftline_common_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.TRAINING_QUEUE == TRAINING_QUEUE
    for svc in services.values():
        assert (svc.get("environment") or {}).get("DRIFTLINE_TRAINING_QUEUE", TRAINING_QUEUE) == (
            TRAINING_QUEUE
        )
