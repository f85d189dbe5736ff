"""The compose helper scripts, run for real where the machine allows.

- ``docker/gen-env.py``: a usable ``.env`` with fresh secrets.
- ``docker/minio/create-buckets.sh``: run by ``sh`` against a recording fake ``mc``.
- ``docker/postgres/init-databases.sh``: run against a private, throw-away PostgreSQL
  cluster (password authentication over TCP), as the postgres image would run it.
- ``docker/mlflow/entrypoint.sh``: its config read back by MLflow's own reader, then a
  real ``mlflow server --app-name basic-auth`` behind it.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GEN_ENV = ROOT / "docker" / "gen-env.py"
BUCKETS_SH = ROOT / "docker" / "minio" / "create-buckets.sh"
INIT_DB_SH = ROOT / "docker" / "postgres" / "init-databases.sh"
MLFLOW_SH = ROOT / "docker" / "mlflow" / "entrypoint.sh"
BUCKETS = ("driftline-landing", "driftline-quarantine", "driftline-mlflow", "driftline-reports")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_env(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in text.splitlines()
        if line.strip() and not line.startswith("#") and "=" in line
    )


# --------------------------------------------------------------------------- gen-env.py
def test_gen_env_fills_every_placeholder(compose, tmp_path):
    from cryptography.fernet import Fernet

    example = parse_env((ROOT / ".env.example").read_text())
    out = subprocess.run(
        [sys.executable, str(GEN_ENV)], capture_output=True, text=True, check=True
    ).stdout
    values = parse_env(out)
    assert list(values) == list(example)
    placeholders = [k for k, v in example.items() if v == "change-me"]
    for name in placeholders:
        value = values[name]
        if name == "AIRFLOW__CORE__FERNET_KEY":
            Fernet(value.encode())  # a valid key, or this raises
        else:
            assert len(value) == 32 and value.isalnum(), name
    secrets = [values[n] for n in placeholders]
    assert len(set(secrets)) == len(secrets)
    assert all(values[k] == v for k, v in example.items() if v != "change-me")
    env = tmp_path / ".env"
    env.write_text(out)
    result = compose.run(env, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_gen_env_differs_between_runs():
    runs = [
        subprocess.run([sys.executable, str(GEN_ENV)], capture_output=True, text=True).stdout
        for _ in range(2)
    ]
    assert parse_env(runs[0])["REDIS_PASSWORD"] != parse_env(runs[1])["REDIS_PASSWORD"]


# --------------------------------------------------------------------------- create-buckets.sh
FAKE_MC = """#!/bin/sh
# Records each call (argv, MC_HOST_local) and copies the policy file it is given.
printf '%s\\n' "$*" >> "$MC_LOG"
printf '%s\\n' "${MC_HOST_local:-}" >> "$MC_LOG.hosts"
case "$1 $2 $3" in
    "admin policy create") cp "$6" "$MC_LOG.policy.json" ;;
    "admin policy attach") [ -n "${MC_ATTACH_ERROR:-}" ] && { echo "$MC_ATTACH_ERROR" >&2; exit 1; } ;;
esac
exit 0
"""


@pytest.fixture
def fake_mc(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "mc").write_text(FAKE_MC)
    (bindir / "mc").chmod(0o755)
    log = tmp_path / "mc.log"

    def run(**overrides: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{bindir}:{os.defpath}",
            "MC_LOG": str(log),
            "MINIO_ROOT_USER": "root-user",
            "MINIO_ROOT_PASSWORD": "RootPassword123",
            "DRIFTLINE_S3_ACCESS_KEY": "driftline",
            "DRIFTLINE_S3_SECRET_KEY": "SecretKey12345",
            "DRIFTLINE_BUCKET_LANDING": BUCKETS[0],
            "DRIFTLINE_BUCKET_QUARANTINE": BUCKETS[1],
            "DRIFTLINE_BUCKET_MLFLOW": BUCKETS[2],
            "DRIFTLINE_BUCKET_REPORTS": BUCKETS[3],
            **overrides,
        }
        shell = shutil.which("dash") or "sh"
        return subprocess.run([shell, str(BUCKETS_SH)], capture_output=True, text=True, env=env)

    return run, log


def test_create_buckets_makes_buckets_user_and_scoped_policy(fake_mc):
    run, log = fake_mc
    out = run()
    assert out.returncode == 0, out.stderr
    calls = log.read_text().splitlines()
    assert calls[:4] == [f"mb --ignore-existing local/{b}" for b in BUCKETS]
    assert "admin user add local driftline SecretKey12345" in calls
    assert calls[-1] == "admin policy attach local driftline --user driftline"
    # The root password travels in MC_HOST_local, never in argv.
    assert not any("RootPassword123" in c for c in calls)
    hosts = set(Path(f"{log}.hosts").read_text().split())
    assert hosts == {"http://root-user:RootPassword123@minio:9000"}
    policy = json.loads(Path(f"{log}.policy.json").read_text())
    scoped = [s for s in policy["Statement"] if s["Action"] == ["s3:*"]][0]
    assert sorted(scoped["Resource"]) == sorted(
        r for b in BUCKETS for r in (f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*")
    )


def test_create_buckets_tolerates_an_attached_policy_only(fake_mc):
    run, _ = fake_mc
    assert run(MC_ATTACH_ERROR="policy is already attached").returncode == 0
    out = run(MC_ATTACH_ERROR="access denied")
    assert out.returncode == 1
    assert "cannot attach the driftline policy: access denied" in out.stderr


@pytest.mark.parametrize("name", ["MINIO_ROOT_PASSWORD", "DRIFTLINE_S3_SECRET_KEY"])
def test_create_buckets_refuses_placeholders_and_blanks(fake_mc, name):
    run, log = fake_mc
    out = run(**{name: "change-me"})
    assert out.returncode == 1
    assert f"{name} still holds the .env.example placeholder" in out.stderr
    assert run(**{name: ""}).returncode == 1
    assert not log.exists(), "mc ran although a secret was missing"


# --------------------------------------------------------------------------- init-databases.sh
def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture
def private_postgres():
    """A throw-away PostgreSQL cluster: trust on its socket, passwords over TCP."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl and shutil.which("psql")):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as 'postgres'
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
        as_user = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp_path: its parents are private to root, and the server runs
    # as 'postgres'.
    base = Path(tempfile.mkdtemp(prefix="driftline-pg-"))
    if as_user:
        shutil.chown(base, "postgres")
    data, port = base / "data", free_port()
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256"],
        check=True, capture_output=True, cwd=base,
    )  # fmt: skip
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"],
        check=True, capture_output=True, cwd=base,
    )  # fmt: skip
    try:
        yield {"PGHOST": str(base), "PGPORT": str(port)}
    finally:
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, cwd=base,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


DB_PASSWORDS = {
    "AIRFLOW_DB_PASSWORD": "AirflowPw123",
    "MLFLOW_DB_PASSWORD": "MlflowPw1234",
    "DRIFTLINE_DB_PASSWORD": "DriftPw12345",
}


def _init_databases(pg: dict[str, str], **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "POSTGRES_USER": "postgres", **pg, **DB_PASSWORDS}
    env.update(overrides)
    return subprocess.run(["bash", str(INIT_DB_SH)], capture_output=True, text=True, env=env)


def _psql_tcp(pg, user, password, db, sql) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", pg["PGPORT"], "-U", user, "-d", db, "-At", "-c", sql],
        capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"},
    )  # fmt: skip


@pytest.mark.integration
def test_init_databases_creates_owned_databases_with_password_logins(private_postgres):
    pg = private_postgres
    first = _init_databases(pg)
    assert first.returncode == 0, first.stderr
    again = _init_databases(pg)  # idempotent: a second run creates nothing and succeeds
    assert again.returncode == 0, again.stderr
    expected = {
        "airflow": ("AIRFLOW_DB_PASSWORD", ["airflow"]),
        "mlflow": ("MLFLOW_DB_PASSWORD", ["mlflow", "mlflow_auth"]),
        "driftline": ("DRIFTLINE_DB_PASSWORD", ["driftline"]),
    }
    for role, (var, dbs) in expected.items():
        for db in dbs:
            out = _psql_tcp(
                pg, role, DB_PASSWORDS[var], db, "CREATE TABLE t (x int); SELECT current_user"
            )
            assert out.returncode == 0, out.stderr
            assert out.stdout.split()[-1] == role
        denied = _psql_tcp(pg, role, "wrong-password", dbs[0], "SELECT 1")
        assert denied.returncode != 0
        assert "password authentication failed" in denied.stderr


@pytest.mark.integration
def test_init_databases_refuses_a_placeholder_before_creating_anything(private_postgres):
    pg = private_postgres
    out = _init_databases(pg, MLFLOW_DB_PASSWORD="change-me")
    assert out.returncode == 1
    assert "MLFLOW_DB_PASSWORD is empty or still the .env.example placeholder" in out.stderr
    roles = subprocess.run(
        ["psql", "-U", "postgres", "-d", "postgres", "-At", "-c",
         "SELECT rolname FROM pg_roles WHERE rolname IN ('mlflow', 'driftline')"],
        capture_output=True, text=True, env={**os.environ, **pg}, check=True,
    ).stdout.split()  # fmt: skip
    assert roles == []


# --------------------------------------------------------------------------- mlflow entrypoint
def _mlflow_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}:{os.defpath}",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "MLFLOW_AUTH_DATABASE_URI": f"sqlite:///{tmp_path / 'auth.db'}",
        "MLFLOW_AUTH_ADMIN_USERNAME": "admin",
        "MLFLOW_AUTH_ADMIN_PASSWORD": "AdminPassword123",
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "FlaskSecret123",
    }
    env.update(overrides)
    return env


READ_CONFIG = (
    "import json; from mlflow.server.auth.config import read_auth_config as r; "
    "print(json.dumps(r()._asdict()))"
)


@pytest.mark.slow  # importing mlflow takes seconds
def test_mlflow_entrypoint_writes_a_config_mlflow_reads(tmp_path):
    uri = "postgresql+psycopg2://mlflow:p%40ss%25word@postgres:5432/mlflow_auth"
    env = _mlflow_env(tmp_path, MLFLOW_AUTH_DATABASE_URI=uri)
    out = subprocess.run(
        ["bash", str(MLFLOW_SH), sys.executable, "-c", READ_CONFIG],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    assert config["database_uri"] == uri  # '%' survives configparser's interpolation
    assert (config["admin_username"], config["admin_password"]) == ("admin", "AdminPassword123")
    assert config["default_permission"] == "READ"
    written = list(tmp_path.glob("tmp.*/basic_auth.ini"))
    assert len(written) == 1 and written[0].stat().st_mode & 0o077 == 0  # private file
    assert "AdminPassword123" not in written[0].read_text()  # MLflow reads it from the env


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"MLFLOW_AUTH_ADMIN_PASSWORD": "change-me"}, "MLFLOW_AUTH_ADMIN_PASSWORD still holds"),
        ({"MLFLOW_AUTH_ADMIN_PASSWORD": "short"}, "shorter than 12 characters"),
        ({"MLFLOW_FLASK_SERVER_SECRET_KEY": ""}, "MLFLOW_FLASK_SERVER_SECRET_KEY is not set"),
    ],
)
def test_mlflow_entrypoint_refuses_bad_secrets(tmp_path, override, message):
    out = subprocess.run(
        ["bash", str(MLFLOW_SH), "true"],
        capture_output=True, text=True, env=_mlflow_env(tmp_path, **override),
    )  # fmt: skip
    assert out.returncode == 1
    assert message in out.stderr


def _get(url: str, auth: tuple[str, str] | None = None, host: str | None = None) -> int:
    request = urllib.request.Request(url)
    if auth:
        token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - local
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return 0  # not listening yet


@pytest.mark.integration
@pytest.mark.slow
def test_mlflow_basic_auth_server_behind_the_entrypoint(tmp_path):
    pytest.importorskip("flask_wtf", reason="MLflow basic-auth needs Flask-WTF (mlflow[auth])")
    from driftline.topology import TOPOLOGY

    port = free_port()
    argv = TOPOLOGY.component("mlflow").command(
        {"--host": "127.0.0.1", "--port": str(port), "--allowed-hosts": f"127.0.0.1:{port}"}
    )
    # Same command as compose, with local stores instead of PostgreSQL and MinIO.
    argv = [a if not a.startswith("s3://") else str(tmp_path / "artifacts") for a in argv]
    argv = [a if a != "2" else "1" for a in argv]  # one worker is enough here
    env = _mlflow_env(tmp_path, MLFLOW_BACKEND_STORE_URI=f"sqlite:///{tmp_path / 'store.db'}")
    log = open(tmp_path / "mlflow.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        ["bash", str(MLFLOW_SH), *argv], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while _get(f"{base}/health") != 200:
            assert proc.poll() is None, (tmp_path / "mlflow.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "MLflow did not become healthy"
            time.sleep(1)
        api = f"{base}/api/2.0/mlflow/experiments/search?max_results=1"
        assert _get(api) == 401
        assert _get(api, auth=("admin", "wrong-password-123")) == 401
        assert _get(api, auth=("admin", "AdminPassword123")) == 200
        assert _get(api, auth=("admin", "AdminPassword123"), host="evil.example") == 403
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()
