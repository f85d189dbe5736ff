"""Static checks of docker-compose.yaml, .env.example and the Dockerfile (no Docker engine).

The compose file is validated and normalised by the real Compose v2 binary (``config``);
the checks read its JSON output rather than the raw YAML, so anchors, merges and
interpolation are resolved exactly as ``docker compose up`` would resolve them.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from driftline.settings import Settings
from driftline.topology import TOPOLOGY, TRAINING_QUEUE

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yaml").read_text()
COMPOSE_CODE = "\n".join(ln for ln in COMPOSE_TEXT.splitlines() if not ln.lstrip().startswith("#"))
DOCKERFILE = (ROOT / "Dockerfile").read_text()

SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|_KEY$|TOKEN|BASIC_AUTH")
NOT_SECRET = {"AWS_ACCESS_KEY_ID", "DRIFTLINE_S3_ACCESS_KEY"}  # access key ids are names
URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s\"',]+")


def unescape(text: str) -> str:
    """Compose prints a literal ``$`` as ``$$``; the container sees one."""
    return text.replace("$$", "$")


def option(argv: list[str], name: str) -> str:
    """The value after ``name`` in ``argv``."""
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


def strings(node) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def airflow_services(services: dict) -> dict[str, dict]:
    """Services that run Airflow (their environment selects the executor)."""
    return {
        name: svc
        for name, svc in services.items()
        if "AIRFLOW__CORE__EXECUTOR" in (svc.get("environment") or {})
    }


# --------------------------------------------------------------------------- validation
def test_config_validates_with_env_example(compose):
    out = compose.run(ROOT / ".env.example", "config", "-q")
    assert out.returncode == 0, out.stderr


def test_config_validates_with_every_profile(compose, sentinel_env):
    out = compose.run(sentinel_env, "--profile", "flower", "config", "-q")
    assert out.returncode == 0, out.stderr


def test_secrets_are_the_placeholder_in_env_example(example_values, secret_names):
    # The example holds no real secret: every secret-looking variable is the placeholder.
    for name, value in example_values.items():
        if SECRET_NAME.search(name) and name not in NOT_SECRET:
            assert value == "change-me", f"{name} in .env.example must be change-me"
    assert len(secret_names) >= 12


def test_each_missing_secret_is_refused(compose, example_values, secret_names, env_file):
    for name in secret_names:
        values = {k: v for k, v in example_values.items() if k != name}
        out = compose.run(env_file(values), "config", "-q")
        assert out.returncode != 0, f"compose accepted a .env without {name}"
        assert name in out.stderr, out.stderr


def test_an_empty_secret_is_refused(compose, example_values, env_file):
    out = compose.run(env_file({**example_values, "AIRFLOW__CORE__FERNET_KEY": ""}), "config", "-q")
    assert out.returncode != 0
    assert "AIRFLOW__CORE__FERNET_KEY" in out.stderr


def test_an_invalid_file_is_rejected(compose, sentinel_env, tmp_path):
    # The validator is live: a schema error (unknown condition) makes `config` fail.
    broken = tmp_path / "docker-compose.yaml"
    broken.write_text(COMPOSE_TEXT.replace("service_completed_successfully", "service_finished", 1))
    out = compose.run(sentinel_env, "-f", str(broken), "config", "-q")
    assert out.returncode != 0


def test_every_variable_is_documented_in_env_example(example_values):
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_CODE))
    assert used <= set(example_values), f"undocumented: {sorted(used - set(example_values))}"
    assert set(example_values) <= used, f"unused: {sorted(set(example_values) - used)}"


def test_every_variable_in_env_example_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            above = [ln for ln in reversed(lines[:i]) if not re.match(r"^[A-Z_0-9]+=", ln)]
            assert above and above[0].startswith("#"), f"{line.split('=')[0]} has no comment"


# --------------------------------------------------------------------------- structure
def test_long_running_services_have_healthchecks(services):
    for name, svc in services.items():
        if name in TOPOLOGY.init_jobs:
            assert svc.get("restart") == "no", f"{name} is one-shot"
            continue
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert svc.get("restart") == "unless-stopped", name


def test_depends_on_waits_for_health_or_completion(services):
    for name, svc in services.items():
        for target, dep in (svc.get("depends_on") or {}).items():
            expected = (
                "service_completed_successfully"
                if target in TOPOLOGY.init_jobs
                else "service_healthy"
            )
            assert dep["condition"] == expected, f"{name} -> {target}"
            assert not services[target].get("profiles"), f"{name} needs optional {target}"


def test_airflow_components_wait_for_init_and_backends(services):
    for name in airflow_services(services):
        if name == "airflow-init":
            continue
        deps = services[name]["depends_on"]
        assert {"postgres", "redis", "airflow-init"} <= set(deps), name
    for worker in TOPOLOGY.workers:
        deps = services[worker.service]["depends_on"]
        assert {"airflow-apiserver", "mlflow", "minio-init"} <= set(deps), worker.service
    assert {"postgres", "minio-init"} <= set(services["mlflow"]["depends_on"])
    assert set(services["minio-init"]["depends_on"]) == {"minio"}


def test_two_workers_on_disjoint_queues_one_for_training(services):
    workers = {
        name: svc
        for name, svc in services.items()
        if (svc.get("command") or [])[:3] == ["airflow", "celery", "worker"]
    }
    assert len(workers) >= 2
    queues = {name: option(svc["command"], "--queues").split(",") for name, svc in workers.items()}
    flat = [q for qs in queues.values() for q in qs]
    assert len(flat) == len(set(flat)), f"queues overlap: {queues}"
    assert TRAINING_QUEUE in flat
    assert "default" in flat
    for name, svc in workers.items():
        # The healthcheck pings this worker's own Celery node name.
        prefix = option(svc["command"], "--celery-hostname").removesuffix("%h")
        assert f'-d "{prefix}${{HOSTNAME}}"' in unescape(svc["healthcheck"]["test"][1]), name
        assert svc["environment"]["DUMB_INIT_SETSID"] == "0", name


def test_flower_only_under_its_profile(compose, services, sentinel_env):
    assert services["flower"]["profiles"] == ["flower"]
    assert services["flower"]["command"] == ["airflow", "celery", "flower"]
    default = compose.config(sentinel_env)["services"]
    assert "flower" not in default
    assert set(default) == set(services) - {"flower"}


def test_airflow_services_share_one_configuration(services, sentinels):
    shared = (
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API__SECRET_KEY",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CELERY__RESULT_BACKEND",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__CORE__AUTH_MANAGER",
    )
    envs = [svc["environment"] for svc in airflow_services(services).values()]
    assert len(envs) == len([c for c in TOPOLOGY.components if c.program == "airflow"]) + 1
    for key in shared:
        assert len({env[key] for env in envs}) == 1, f"{key} differs between services"
    env = envs[0]
    for key in shared[:3]:
        assert env[key] == sentinels[key]
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".FabAuthManager")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
        "http://airflow-apiserver:8080/execution/"
    )
    assert urlsplit(env["AIRFLOW__CELERY__BROKER_URL"]).hostname == "redis"


def test_airflow_init_migrates_and_creates_the_admin(services):
    init = services["airflow-init"]
    script = unescape(init["command"][-1])
    assert init["command"][:2] == ["bash", "-c"]
    assert "airflow db migrate" in script
    assert "airflow users create --role Admin" in script
    assert '--password "$AIRFLOW_ADMIN_PASSWORD"' in script
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"] == "SentinelAIRFLOWADMINPASSWORDQ7"


def test_driftline_settings_resolve_inside_the_workers(services):
    for worker in TOPOLOGY.workers:
        env = services[worker.service]["environment"]
        settings = Settings.from_env(env)
        assert settings.s3_endpoint_url == "http://minio:9000"
        assert settings.mlflow_tracking_uri == "http://mlflow:5000"
        assert settings.buckets == TOPOLOGY.buckets
        conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
        assert conn["conn_type"] == "aws"
        assert conn["extra"]["endpoint_url"] == settings.s3_endpoint_url
        assert (conn["login"], conn["password"]) == (
            settings.aws_access_key_id,
            settings.aws_secret_access_key,
        )
        assert (
            env["MLFLOW_TRACKING_PASSWORD"]
            == services["mlflow"]["environment"]["MLFLOW_AUTH_ADMIN_PASSWORD"]
        )
        assert urlsplit(env["DRIFTLINE_MONITORING_DB_URL"]).path == "/driftline"


def test_minio_bucket_job_creates_the_driftline_buckets(services):
    job = services["minio-init"]
    assert job["image"].startswith("minio/mc")
    assert job["entrypoint"] == ["/bin/sh", "/driftline/create-buckets.sh"]
    env = job["environment"]
    buckets = tuple(
        env[f"DRIFTLINE_BUCKET_{n}"] for n in ("LANDING", "QUARANTINE", "MLFLOW", "REPORTS")
    )
    assert buckets == TOPOLOGY.buckets
    mounted = [v for v in job["volumes"] if v["target"] == "/driftline/create-buckets.sh"]
    assert mounted and Path(mounted[0]["source"]) == ROOT / "docker/minio/create-buckets.sh"
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == "SentinelMINIOROOTPASSWORDQ7"


def test_mlflow_server_is_authenticated_and_proxies_artifacts_to_minio(services, sentinels):
    mlflow = services["mlflow"]
    argv = mlflow["command"]
    assert argv[:2] == ["mlflow", "server"]
    assert option(argv, "--app-name") == "basic-auth"
    assert "mlflow:5000" in option(argv, "--allowed-hosts").split(",")
    assert option(argv, "--artifacts-destination").startswith("s3://")
    assert "--serve-artifacts" not in argv or "--no-serve-artifacts" not in argv
    env = mlflow["environment"]
    assert urlsplit(env["MLFLOW_BACKEND_STORE_URI"]).scheme.startswith("postgresql")
    assert urlsplit(env["MLFLOW_AUTH_DATABASE_URI"]).path == "/mlflow_auth"
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["MLFLOW_AUTH_ADMIN_PASSWORD"] == sentinels["MLFLOW_ADMIN_PASSWORD"]
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == sentinels["MLFLOW_FLASK_SERVER_SECRET_KEY"]
    assert mlflow["entrypoint"][-1] == "/opt/driftline/mlflow-entrypoint.sh"


def test_postgres_creates_every_database_the_services_use(services):
    script = (ROOT / "docker/postgres/init-databases.sh").read_text()
    created = {db for line in re.findall(r"^create (.+)$", script, re.M) for db in line.split()[2:]}
    used = {
        urlsplit(url).path.lstrip("/")
        for svc in services.values()
        for url in URL.findall("\n".join(strings(svc.get("environment") or {})))
        if "@postgres:" in url
    }
    assert used == created == set(TOPOLOGY.databases)
    mounts = {v["target"]: v for v in services["postgres"]["volumes"]}
    init = mounts["/docker-entrypoint-initdb.d/10-init-databases.sh"]
    assert init["read_only"] and Path(init["source"]) == ROOT / "docker/postgres/init-databases.sh"


def test_state_lives_in_named_volumes(config, services):
    assert {"postgres-data", "redis-data", "minio-data", "airflow-logs"} <= set(config["volumes"])
    targets = {
        "postgres": "/var/lib/postgresql/data",
        "minio": "/data",
        "redis": "/data",
        "airflow-scheduler": "/opt/airflow/logs",
    }
    for name, target in targets.items():
        vols = {v["target"]: v for v in services[name]["volumes"]}
        assert vols[target]["type"] == "volume", name


def test_published_ports_bind_to_localhost_by_default(services):
    published = [p for svc in services.values() for p in svc.get("ports", [])]
    assert {int(p["target"]) for p in published} == {8080, 5000, 5050, 9000, 9001, 5555}
    assert {p["host_ip"] for p in published} == {"127.0.0.1"}


# --------------------------------------------------------------------------- secrets
def test_no_literal_credentials(services, sentinels):
    """Every credential in the model comes from .env (a sentinel) or an env reference."""
    known = set(sentinels.values())
    for name, svc in services.items():
        for key, value in (svc.get("environment") or {}).items():
            if SECRET_NAME.search(key) and key not in NOT_SECRET:
                assert value and any(s in value for s in known), f"{name}: {key}={value!r}"
        for text in strings({k: svc.get(k) for k in ("environment", "command", "healthcheck")}):
            text = unescape(text)
            for url in URL.findall(text):
                password = urlsplit(url).password
                if password is not None:
                    assert password in known, f"{name}: literal password in {url}"
            for match in re.finditer(
                r"(?i)(?:password|secret|passwd)[\"']?\s*[=:]\s*\"?([^\s\"',}]+)", text
            ):
                assert match.group(1) in known or match.group(1).startswith("$"), (
                    f"{name}: literal {match.group(0)!r}"
                )
            for match in re.finditer(r"--(?:password|requirepass)\s+\"?([^\s\"]+)", text):
                assert match.group(1).startswith("$"), f"{name}: literal {match.group(0)!r}"


def test_no_literal_credentials_in_the_raw_files():
    """Belt and braces on the source text: no user:password@ and no password: literal."""
    for path in ("docker-compose.yaml", "Dockerfile", *map(str, (ROOT / "docker").rglob("*.*"))):
        text = (ROOT / path).read_text()
        for url in URL.findall(text):
            password = urlsplit(url.replace("${", "").replace("}", "")).password
            assert password is None or "$" in url, f"{path}: {url}"
        assert not re.search(r"(?im)^\s*[A-Z_]*PASSWORD[A-Z_]*\s*[:=]\s*[\"']?[A-Za-z0-9]", text), (
            path
        )


def test_the_sentinels_reach_the_services(services, sentinels):
    # Guards the two tests above: each secret really is used somewhere.
    everything = "\n".join(strings(services))
    for name, value in sentinels.items():
        assert value in everything, f"{name} is not used by any service"


# --------------------------------------------------------------------------- Dockerfile
def test_dockerfile_extends_the_official_airflow_3_3_image():
    froms = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.M)
    assert len(froms) == 1
    match = re.fullmatch(r"apache/airflow:(3\.3\.\d+)-python(3\.\d+)", froms[0])
    assert match, froms[0]
    airflow, python = match.groups()
    lock = (ROOT / "requirements.txt").read_text()
    assert f"\napache-airflow=={airflow}\n" in lock, "image and lock disagree on Airflow"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={python}" in requires


def test_dockerfile_keeps_airflow_pinned_and_installs_the_lock_and_driftline():
    assert re.search(
        r'uv pip install[^\n]*"apache-airflow==\$\{AIRFLOW_VERSION\}"[^\n]*-r ', DOCKERFILE
    )
    assert "requirements.txt" in DOCKERFILE
    assert re.search(r"uv pip install --no-cache --no-deps /opt/driftline/src", DOCKERFILE)
    for src, dst in (("dags/", "/opt/airflow/dags/"), ("plugins/", "/opt/airflow/plugins/")):
        assert re.search(rf"^COPY .*{src} {dst}$", DOCKERFILE, re.M)
    assert re.search(r"^USER airflow$", DOCKERFILE, re.M)


def test_dockerignore_admits_everything_the_dockerfile_copies():
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for line in re.findall(r"^COPY (.+)$", DOCKERFILE, re.M):
        sources = [p for p in line.split() if not p.startswith("--")][:-1]
        for src in sources:
            assert src.rstrip("/") in allowed, f"{src} is excluded by .dockerignore"


@pytest.mark.parametrize(
    "path", ["docker/postgres/init-databases.sh", "docker/mlflow/entrypoint.sh"]
)
def test_scripts_are_executable(path):
    assert (ROOT / path).stat().st_mode & 0o111
