"""driftline.topology: lookups, validation, and commands the real CLIs accept."""

from __future__ import annotations

import click
import pytest

from driftline.errors import ConfigError
from driftline.settings import Settings
from driftline.topology import DEFAULT_QUEUE, TOPOLOGY, TRAINING_QUEUE, Component


def test_services_are_unique_and_cover_components():
    assert len(TOPOLOGY.services) == len(set(TOPOLOGY.services))
    assert {c.service for c in TOPOLOGY.components} <= set(TOPOLOGY.services)


def test_each_queue_has_exactly_one_worker_pool():
    assert sorted(TOPOLOGY.queues) == sorted({DEFAULT_QUEUE, TRAINING_QUEUE})
    assert len(TOPOLOGY.queues) == len(set(TOPOLOGY.queues))
    assert TOPOLOGY.worker_for(TRAINING_QUEUE).service == "airflow-worker-training"
    assert TOPOLOGY.worker_for(DEFAULT_QUEUE).service == "airflow-worker-default"
    assert TOPOLOGY.airflow_settings["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == DEFAULT_QUEUE


def test_workers_have_distinct_celery_node_names():
    names = [w.args[w.args.index("--celery-hostname") + 1] for w in TOPOLOGY.workers]
    assert len(names) == len(set(names)) == len(TOPOLOGY.workers) >= 2


def test_unknown_component_and_queue_are_config_errors():
    with pytest.raises(ConfigError, match=r"no component 'nope' in the topology: use one of "):
        TOPOLOGY.component("nope")
    with pytest.raises(ConfigError, match=r"no worker consumes queue 'gpu': use one of "):
        TOPOLOGY.worker_for("gpu")


def test_command_appends_only_declared_deployment_options():
    mlflow = TOPOLOGY.component("mlflow")
    argv = mlflow.command({"--host": "127.0.0.1", "--port": "5123"})
    assert argv == (*mlflow.argv, "--host", "127.0.0.1", "--port", "5123")
    assert TOPOLOGY.component("airflow-scheduler").command() == ("airflow", "scheduler")
    with pytest.raises(ConfigError, match=r"does not take deployment options \['--port'\]"):
        TOPOLOGY.component("airflow-scheduler").command({"--port": "1"})


def test_component_is_frozen_and_settings_read_only():
    c = Component("x", ("scheduler",))
    with pytest.raises(AttributeError):
        c.service = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TOPOLOGY.airflow_settings["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"  # type: ignore[index]


def test_buckets_are_the_settings_defaults():
    assert TOPOLOGY.buckets == Settings.from_env({}).buckets


def test_airflow_cli_accepts_every_airflow_command():
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    for component in TOPOLOGY.components:
        if component.program != "airflow":
            continue
        args = parser.parse_args(list(component.args))
        assert callable(args.func), component.service
        if component.is_worker:
            assert tuple(args.queues.split(",")) == component.queues
            assert args.concurrency is not None


def test_airflow_cli_rejects_a_wrong_command():
    # Guards the test above: the parser really validates.
    from airflow.cli.cli_parser import get_parser

    with pytest.raises(SystemExit):
        get_parser().parse_args(["celery", "worker", "--no-such-option"])


@pytest.mark.slow  # importing mlflow.cli takes seconds
def test_mlflow_cli_accepts_the_server_command():
    from mlflow.cli import server

    mlflow = TOPOLOGY.component("mlflow")
    argv = mlflow.command({"--host": "0.0.0.0", "--port": "5000", "--allowed-hosts": "mlflow:5000"})
    ctx = server.make_context("server", list(argv[2:]))
    assert ctx.params["app_name"] == "basic-auth"
    assert ctx.params["artifacts_destination"] == "s3://driftline-mlflow/artifacts"
    assert ctx.params["allowed_hosts"] == "mlflow:5000"
    with pytest.raises(click.BadParameter, match="'no-such-app' is not one of"):
        server.make_context("server", ["--app-name", "no-such-app"])


def test_driftline_cli_accepts_the_serve_command(capsys):
    from driftline import cli

    component = TOPOLOGY.component("serve")
    assert component.program == "driftline"
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*component.command({"--host": "0.0.0.0", "--port": "5050"})[1:], "--help"])
    assert exit_info.value.code == 0
    assert "--port" in capsys.readouterr().out
