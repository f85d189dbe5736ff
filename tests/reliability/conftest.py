"""Fixtures of the reliability tests: private stacks that the tests may break.

The session-wide ``services`` and ``full_stack`` stacks are shared with other tests, so
faults are injected only into the private stacks made here: ``own_services`` (S3 +
MLflow, one per module) and ``pg_stack`` (S3 + MLflow + Airflow standalone whose
metadata database is a private PostgreSQL server, bootstrapped, one per session).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _free_block, environ, mlflow_login, test_settings
from tests.reliability.faults import PrivatePostgres


def _export(stack) -> dict[str, str]:
    saved = dict(os.environ)
    for key, value in stack.env().items():
        if key.startswith(("DRIFTLINE_", "AWS_", "MLFLOW_")) or key == "AIRFLOW_CONN_AWS_DEFAULT":
            os.environ[key] = value
    return saved


def _with_creds(settings):
    from driftline.stack import load_or_create_credentials

    creds = load_or_create_credentials(settings)
    return settings.with_(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="module")
def own_services(tmp_path_factory):
    """A private S3 + MLflow stack ``(settings, stack)`` that tests may stop and restart."""
    from driftline.stack import Stack

    settings = test_settings(tmp_path_factory.mktemp("faults"), DRIFTLINE_STARTUP_TIMEOUT="300")
    stack = Stack(settings, ["s3", "mlflow"])
    try:
        stack.up(progress=lambda m: print(m, file=sys.stderr))
        saved = _export(stack)
        yield _with_creds(settings), stack
        os.environ.clear()
        os.environ.update(saved)
    finally:
        stack.down(progress=lambda m: None)


@pytest.fixture(scope="session")
def pg_stack(tmp_path_factory, bootstrap_airflow):
    """S3 + MLflow + Airflow standalone (LocalExecutor) on a private PostgreSQL, bootstrapped."""
    from driftline.stack import Stack

    state = tmp_path_factory.mktemp("pgstack")
    postgres = PrivatePostgres(Path(tempfile.mkdtemp(prefix="driftline-pg-")), _free_block(2))
    postgres.root.chmod(0o755)
    settings = test_settings(
        state,
        DRIFTLINE_STARTUP_TIMEOUT="400",
        DRIFTLINE_MODEL_NAME=f"rel-{uuid.uuid4().hex[:6]}",
    )
    stack = Stack(settings)
    saved = dict(os.environ)
    info = None
    try:
        conn = postgres.start().create_database("airflow")
        for key in list(os.environ):
            if key.startswith("AIRFLOW"):
                del os.environ[key]
        os.environ.update(AIRFLOW_OVERRIDES | {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn})
        try:
            stack.up(progress=lambda m: print(m, file=sys.stderr))
            env = stack.env()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        settings = _with_creds(settings)
        # tolerant of slow answers on a busy machine
        api = bootstrap_airflow(settings, dag_timeout=400, run_timeout=1200)
        info = PgStackInfo(settings, stack, postgres, api, env)
        with environ(mlflow_login()):  # this process's MLflow clients log in too
            yield info
    finally:
        for proc in info.extra if info is not None else []:
            stop_process(proc)
        stack.down(progress=lambda m: None)
        postgres.remove()


#: Faster detection of dead tasks and schedulers than Airflow's production defaults.
AIRFLOW_OVERRIDES = {
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "30",
    "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "30",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    # batches the sensor brings in take the cheap path (the fault tests pass a strategy)
    "DRIFTLINE_TRAINING_STRATEGY": "none",
}


@dataclass
class PgStackInfo:
    """What :func:`pg_stack` yields; ``env`` is the Airflow components' environment."""

    settings: Any
    stack: Any
    postgres: PrivatePostgres
    api: Any
    env: dict[str, str]
    extra: list = field(default_factory=list)

    def start_component(self, command: str) -> subprocess.Popen:
        """Start ``airflow <command>`` (e.g. a replacement scheduler) with the stack's env.

        It runs in its own process group, logs to ``<state>/logs/<command>-N.log`` and is
        stopped when the session ends.
        """
        log = self.settings.state_dir / "logs" / f"{command}-{len(self.extra) + 1}.log"
        from driftline.airflow_local import component_args
        from driftline.supervise import start

        airflow = str(Path(sys.executable).parent / "airflow")
        # as the stack runs it (no log server on every interface)
        proc = start([airflow, *component_args([command])], self.env, log, self.settings.state_dir)
        self.extra.append(proc)
        return proc


def stop_process(proc: subprocess.Popen) -> None:
    """Stop a process started by :meth:`PgStackInfo.start_component` and its group."""
    from driftline.supervise import stop_group

    if proc.poll() is None:
        stop_group(proc.pid)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
