"""Shared fixtures: real services for integration tests, an isolated Airflow home.

The session fixture ``services`` starts the embedded S3 (SeaweedFS) and MLflow servers on
test ports in a temporary state folder (so a running ``make demo`` stack is untouched),
exports their settings to ``os.environ`` and stops them at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

# DAG files import their shared module and the plugin's notifiers as Airflow does.
for _extra in (ROOT / "dags", ROOT / "plugins"):
    if str(_extra) not in sys.path:
        sys.path.append(str(_extra))

# An isolated Airflow home, set before anything imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="driftline-test-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "GX_ANALYTICS_ENABLED": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }
)


@contextmanager
def environ(env: Mapping[str, str]) -> Iterator[None]:
    """Set ``env`` in ``os.environ`` for the block, then restore the previous values.

    For module- and session-scoped fixtures, which cannot use ``monkeypatch``.
    """
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _free_block(size: int = 13) -> int:
    """A random base port with ``size`` free consecutive ports (concurrent sessions differ).

    Below Linux's ephemeral range (32768-60999): there an outgoing connection of any
    process can take a test port before its server binds it, and a health probe can
    connect to itself while the server is still starting.
    """
    import random

    from driftline.supervise import port_in_use

    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 32768 - size)
        if not any(port_in_use(p) for p in range(base, base + size)):
            return base
    raise RuntimeError("no free block of test ports found")


def test_ports() -> dict[str, str]:
    """Fresh free ports for one test stack (never the demo stack's)."""
    base = _free_block()
    return {
        "DRIFTLINE_S3_PORT": str(base + 9),
        "DRIFTLINE_MLFLOW_PORT": str(base + 10),
        "DRIFTLINE_AIRFLOW_PORT": str(base + 11),
        "DRIFTLINE_SERVE_PORT": str(base + 12),
        "DRIFTLINE_PORT_BASE": str(base),
    }


test_ports.__test__ = False


_SESSION_STATE = Path(tempfile.mkdtemp(prefix="driftline-test-credentials-"))


def session_credentials() -> dict[str, str]:
    """The generated secrets every test stack of this session shares (see test_settings).

    One set per session, so a test process talking to two stacks at once (e.g. the
    ``services`` S3/MLflow and a ``full_stack``) uses one MLflow login for both.
    """
    from driftline.settings import Settings
    from driftline.stack import load_or_create_credentials

    return load_or_create_credentials(
        Settings.from_env({"DRIFTLINE_STATE_DIR": str(_SESSION_STATE)})
    )


def test_settings(state_dir: Path, **overrides: str):
    """Settings for a test stack rooted at ``state_dir`` on the test ports.

    The state folder gets the session's ``credentials.env`` (:func:`session_credentials`).
    """
    import shutil

    from driftline.settings import Settings
    from driftline.stack import credentials_path

    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(test_ports())
    env["DRIFTLINE_STATE_DIR"] = str(state_dir)
    env.update(overrides)
    settings = Settings.from_env(env)
    session_credentials()
    target = credentials_path(settings)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(
            credentials_path(Settings.from_env({"DRIFTLINE_STATE_DIR": str(_SESSION_STATE)})),
            target,
        )
    return settings


def mlflow_login() -> dict[str, str]:
    """The MLflow client login of the session's test stacks (basic auth)."""
    from driftline.stack import MLFLOW_ADMIN

    return {
        "MLFLOW_TRACKING_USERNAME": MLFLOW_ADMIN,
        "MLFLOW_TRACKING_PASSWORD": session_credentials()["MLFLOW_TRACKING_PASSWORD"],
    }


test_settings.__test__ = False  # not a test


@pytest.fixture(scope="session")
def services(tmp_path_factory):
    """Running S3 + MLflow servers; returns Settings with credentials; env exported."""
    from driftline.stack import Stack, load_or_create_credentials

    settings = test_settings(tmp_path_factory.mktemp("stack"))
    stack = Stack(settings, ["s3", "mlflow"])
    try:
        stack.up(progress=lambda m: print(m, file=sys.stderr))
    except Exception:
        stack.down(progress=lambda m: None)
        raise
    creds = load_or_create_credentials(settings)
    settings = settings.with_(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
    )
    saved = dict(os.environ)
    env = stack.env()
    for key, value in env.items():
        if key.startswith(("DRIFTLINE_", "AWS_", "MLFLOW_")) or key == "AIRFLOW_CONN_AWS_DEFAULT":
            os.environ[key] = value
    yield settings
    os.environ.clear()
    os.environ.update(saved)
    stack.down(progress=lambda m: None)


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the isolated Airflow metadata DB (SQLite) once per session."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Folder for test artifacts kept after the run (screenshots, reports)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: The DAGs a bootstrapped stack needs parsed before its first run.
BOOTSTRAP_DAGS = ("driftline_bootstrap", "driftline_landing_sensor", "driftline_continual_training")


def _bootstrap_airflow(settings, *, dag_timeout: float = 300, run_timeout: float = 600):
    """Log in to the stack's Airflow as admin, wait for the DAGs, run ``driftline_bootstrap``.

    The bootstrap trains the first champion on the built-in ELEC2 reference; its run is
    polled until it ends, failed polls (a busy api-server) counting as not done yet.
    Returns the :class:`~driftline.airflow_api.AirflowAPI`.
    """
    import time

    from driftline.airflow_api import AirflowAPI
    from driftline.stack import load_or_create_credentials

    creds = load_or_create_credentials(settings)
    api = AirflowAPI(
        f"http://127.0.0.1:{settings.airflow_port}",
        "admin",
        creds["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"],
    )
    for dag_id in BOOTSTRAP_DAGS:
        api.wait_for_dag(dag_id, timeout=dag_timeout)
    run = api.trigger(
        "driftline_bootstrap", {"reference": "builtin:elec2", "target": "class", "rows": 1344}
    )
    path = f"/api/v2/dags/driftline_bootstrap/dagRuns/{run}"
    deadline, state, last = time.monotonic() + run_timeout, None, None
    while time.monotonic() < deadline:
        try:
            state = api.get(path)["state"]
        except Exception as exc:  # noqa: BLE001 - a busy or restarting api-server
            last = exc
        if state in ("success", "failed"):
            break
        time.sleep(3)
    assert state == "success", f"bootstrap run {run}: {state} (last error: {last})"
    return api


@pytest.fixture(scope="session")
def bootstrap_airflow():
    """``bootstrap_airflow(settings, dag_timeout=300, run_timeout=600) -> AirflowAPI``.

    For a stack with Airflow: log in as admin, wait for the DAGs, run
    ``driftline_bootstrap`` to success (see :func:`_bootstrap_airflow`).
    """
    return _bootstrap_airflow


@pytest.fixture(scope="session")
def full_stack(tmp_path_factory):
    """S3 + MLflow + Airflow standalone on free ports, in a temporary state folder.

    Returns ``(settings, stack)``; the Airflow admin password is in
    ``load_or_create_credentials(settings)["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"]``.
    """
    from driftline.stack import Stack, load_or_create_credentials

    settings = test_settings(tmp_path_factory.mktemp("fullstack"), DRIFTLINE_STARTUP_TIMEOUT="300")
    stack = Stack(settings)
    saved = dict(os.environ)
    # the services must not inherit the isolated test Airflow home of this process
    for key in list(os.environ):
        if key.startswith("AIRFLOW"):
            del os.environ[key]
    try:
        stack.up(progress=lambda m: print(m, file=sys.stderr))
    except Exception:
        stack.down(progress=lambda m: None)
        os.environ.update(saved)
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)
    creds = load_or_create_credentials(settings)
    settings = settings.with_(
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
    )
    with environ(mlflow_login()):  # this process's MLflow clients log in too
        yield settings, stack
    stack.down(progress=lambda m: None)
