"""The scale-out topology run natively, without Docker: one process per component.

:class:`NativeTopology` starts what ``docker-compose.yaml`` runs, from the same
description (:data:`driftline.topology.TOPOLOGY`): every Airflow component and both
Celery workers with ``component.command()``, the MLflow server with its basic-auth
entrypoint (``docker/mlflow/entrypoint.sh``), on a local PostgreSQL server (uniquely named
databases, one per entry of ``TOPOLOGY.databases``) and a local Redis (its own database
number). The object store is the embedded SeaweedFS S3 of :mod:`driftline.stack` (MinIO
in compose). Only addresses, ports and the Airflow login differ: the api-server uses
Airflow's SimpleAuthManager with the stack's generated admin password, where compose uses
the FAB auth manager.

Each process runs in its own process group with its log in ``<state>/logs/<service>.log``;
:meth:`NativeTopology.down` stops every group (SIGTERM, then SIGKILL), stops S3, drops the
databases and empties the Redis database, and is safe to call after a failed start.

Used by ``tests/driftline/test_native.py`` and ``benchmarks/celery_throughput.py``::

    with NativeTopology(settings) as topo:        # up() ... down()
        api = topo.api()
        api.trigger("driftline_bootstrap", {...})

A task instance's ``hostname`` is the Celery node name of the worker that ran it
(``training@<host>``): the workers use :func:`celery_hostname` as Airflow's
``[core] hostname_callable``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from driftline.errors import ConfigError, ServiceError, fail
from driftline.settings import Settings
from driftline.stack import MLFLOW_ADMIN, MLFLOW_ENTRYPOINT, Stack, load_or_create_credentials
from driftline.supervise import (
    check_ports_free,
    http_ok,
    port_in_use,
    start,
    stop_group,
    tail,
    wait_healthy,
)
from driftline.topology import TOPOLOGY, Component, Topology


def celery_hostname() -> str:
    """The Celery node name running the current task, else the machine's FQDN.

    Set as ``AIRFLOW__CORE__HOSTNAME_CALLABLE`` on the native workers, so that a task
    instance records which worker (``default@host`` or ``training@host``) ran it even when
    both run on one machine.

    >>> celery_hostname() == socket.getfqdn()   # outside a Celery task
    True
    """
    try:
        from celery import current_task

        name = current_task.request.hostname if current_task else None
    except Exception:  # noqa: BLE001 - no Celery here: fall back
        name = None
    return name or socket.getfqdn()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def port_block(size: int, low: int = 20000) -> int:
    """Base of ``size`` consecutive free ports below the kernel's ephemeral range.

    Ports in the ephemeral range can be taken at any moment by an outgoing connection
    (to PostgreSQL, Redis, a health check), so a server started later would fail to bind.

    >>> base = port_block(3)
    >>> 1024 < base < base + 3 <= _ephemeral_range()[0]
    True
    """
    import random

    high = _ephemeral_range()[0] - size
    for _ in range(500):
        base = random.randrange(low, high)
        if not any(port_in_use(p) for p in range(base, base + size)):
            return base
    raise ServiceError(fail(f"no {size} free consecutive ports in {low}-{high}", "free some ports"))


def settings_ports() -> dict[str, str]:
    """``DRIFTLINE_*_PORT`` variables for a deployment on fresh ports outside the ephemeral range."""
    base = port_block(13)
    return {
        "DRIFTLINE_PORT_BASE": str(base),
        "DRIFTLINE_S3_PORT": str(base + 9),
        "DRIFTLINE_MLFLOW_PORT": str(base + 10),
        "DRIFTLINE_AIRFLOW_PORT": str(base + 11),
        "DRIFTLINE_SERVE_PORT": str(base + 12),
    }


def free_redis_url(server: str = "redis://127.0.0.1:6379", databases: int = 16) -> str:
    """``redis://.../N`` for a random empty database ``N`` (1 to ``databases - 1``)."""
    import random

    import redis

    for db in random.sample(range(1, databases), databases - 1):
        url = f"{server.rstrip('/')}/{db}"
        if redis.Redis.from_url(url, socket_timeout=5).dbsize() == 0:
            return url
    raise ServiceError(fail(f"no empty database on Redis {server}", "flush an unused one"))


def node_name(component: Component, host: str | None = None) -> str:
    """The Celery node name a worker component takes (``--celery-hostname``, ``%h`` expanded).

    >>> from driftline.topology import TRAINING_QUEUE
    >>> node_name(TOPOLOGY.worker_for(TRAINING_QUEUE), "box")
    'training@box'
    """
    args = list(component.args)
    template = args[args.index("--celery-hostname") + 1]
    return template.replace("%h", host or socket.gethostname())


@dataclass
class NativeProcess:
    """One running component: its command, environment additions, log and health."""

    service: str
    command: tuple[str, ...]
    env: dict[str, str]
    health: Callable[[], bool]
    proc: subprocess.Popen | None = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class NativeTopology:
    """The Celery topology of :data:`~driftline.topology.TOPOLOGY` as local processes.

    Parameters
    ----------
    settings : Settings
        Ports of S3, MLflow and the api-server, the state folder and bucket names.
    postgres_url : str
        PostgreSQL server (no database part) where the databases are created, with a
        role allowed to create databases.
    redis_url : str
        Redis server and database number of the Celery broker (``redis://host:port/N``);
        the database must be empty and is emptied again by :meth:`down`.
    name : str, optional
        Suffix of the database names (default: random), e.g. ``airflow_<name>``.
    topology : Topology
        What to run (default :data:`~driftline.topology.TOPOLOGY`).
    progress : callable
        Receives one line per step.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        postgres_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432",
        redis_url: str = "redis://127.0.0.1:6379/0",
        name: str | None = None,
        topology: Topology = TOPOLOGY,
        progress: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.postgres_url = postgres_url.rstrip("/")
        self.redis_url = redis_url
        self.name = name or "dl" + secrets.token_hex(4)
        self.topology = topology
        self.progress = progress
        self.processes: list[NativeProcess] = []
        self._s3 = Stack(settings, ["s3"])
        self._created: list[str] = []
        self._own_broker = False
        base = port_block(3 + len(topology.workers))
        self._ports = {
            "scheduler": base,
            "log": base + 1,
            "trigger_log": base + 2,
            "worker_logs": base + 3,  # one per worker from here
        }
        self._validate()

    def _validate(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", self.name):
            raise ConfigError(
                fail(f"database suffix {self.name!r} is not a plain identifier", "use [a-z0-9_]")
            )
        if urlsplit(self.redis_url).scheme != self.topology.broker_scheme:
            raise ConfigError(
                fail(
                    f"broker URL {self.redis_url!r} is not {self.topology.broker_scheme}://",
                    "pass redis://host:port/N",
                )
            )
        if not urlsplit(self.redis_url).path.strip("/").isdigit():
            raise ConfigError(
                fail(f"broker URL {self.redis_url!r} names no database number", "end it in /N")
            )

    # ----------------------------------------------------------------- addresses
    @property
    def databases(self) -> dict[str, str]:
        """``{topology database: actual name}``, e.g. ``{"airflow": "airflow_dl1a2b"}``."""
        return {db: f"{db}_{self.name}" for db in self.topology.databases}

    def database_url(self, db: str, scheme: str | None = None) -> str:
        """URL of database ``db`` (a topology name) with ``scheme`` (default: metadata's)."""
        server = urlsplit(self.postgres_url)
        scheme = scheme or self.topology.metadata_scheme
        return f"{scheme}://{server.netloc}/{self.databases[db]}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.airflow_port}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.mlflow_port}"

    def credentials(self) -> dict[str, str]:
        return load_or_create_credentials(self.settings)

    def mlflow_password(self) -> str:
        """The MLflow admin password (generated into ``credentials.env``, as for the stack)."""
        return self.credentials()["MLFLOW_TRACKING_PASSWORD"]

    def client_env(self) -> dict[str, str]:
        """Variables a client (test, benchmark, the ``driftline`` CLI) needs to use it."""
        creds = self.credentials()
        return {
            "DRIFTLINE_S3_ENDPOINT_URL": self.settings.s3_endpoint_url,
            "AWS_ACCESS_KEY_ID": creds["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": creds["AWS_SECRET_ACCESS_KEY"],
            "MLFLOW_TRACKING_URI": self.mlflow_url,
            "MLFLOW_TRACKING_USERNAME": MLFLOW_ADMIN,
            "MLFLOW_TRACKING_PASSWORD": self.mlflow_password(),
            "DRIFTLINE_MONITORING_DB_URL": self.database_url("driftline"),
        }

    def env(self) -> dict[str, str]:
        """Environment shared by every Airflow process (settings as in compose)."""
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AIRFLOW")}
        try:
            env = self._s3.env()  # credentials, buckets, PYTHONPATH, dags/plugins, auth users
        finally:
            os.environ.update(saved)
        env.update(self.topology.airflow_settings)
        env.update(self.client_env())
        metadata = self.database_url("airflow")
        env.update(
            {
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
                "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": self.database_url(
                    "airflow", self.topology.result_backend_scheme
                ),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": self.api_url
                + self.topology.execution_api_path,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(
                    self._ports["scheduler"]
                ),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._ports["log"]),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self._ports["trigger_log"]),
            }
        )
        return env

    # ----------------------------------------------------------------- components
    def _plan(self) -> list[NativeProcess]:
        s = self.settings
        plan = []
        mlflow = self.topology.component("mlflow")
        plan.append(
            NativeProcess(
                "mlflow",
                (
                    "bash",
                    str(MLFLOW_ENTRYPOINT),
                    *mlflow.command(
                        {
                            "--host": "127.0.0.1",
                            "--port": str(s.mlflow_port),
                            "--allowed-hosts": f"127.0.0.1:{s.mlflow_port},localhost:{s.mlflow_port}",
                        }
                    ),
                ),
                {
                    "MLFLOW_BACKEND_STORE_URI": self.database_url("mlflow"),
                    "MLFLOW_AUTH_DATABASE_URI": self.database_url("mlflow_auth"),
                    "MLFLOW_AUTH_ADMIN_USERNAME": MLFLOW_ADMIN,
                    "MLFLOW_AUTH_ADMIN_PASSWORD": self.mlflow_password(),
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": self.credentials()[
                        "MLFLOW_FLASK_SERVER_SECRET_KEY"
                    ],
                    "TMPDIR": str(self._state_path("tmp")),
                },
                lambda: http_ok(f"{self.mlflow_url}/health"),
            )
        )
        health = {
            "airflow-apiserver": lambda: http_ok(f"{self.api_url}/api/v2/monitor/health"),
            "airflow-scheduler": lambda: http_ok(
                f"http://127.0.0.1:{self._ports['scheduler']}/health"
            ),
            "airflow-dag-processor": lambda: self._monitor("dag_processor"),
            "airflow-triggerer": lambda: self._monitor("triggerer"),
        }
        for component in self.topology.components:
            if component.program != "airflow" or component.profile:
                continue
            extra: dict[str, str] = {}
            check = health.get(component.service)
            if component.is_worker:
                node = node_name(component)
                extra = {
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "driftline.native.celery_hostname",
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(
                        self._ports["worker_logs"] + self.topology.workers.index(component)
                    ),
                }
                check = self._worker_ready(component.service, node)
            if check is None:
                raise ConfigError(
                    fail(f"no health check for {component.service}", "add one in driftline.native")
                )
            plan.append(NativeProcess(component.service, component.command(), extra, check))
        serve = self.topology.component("serve")
        plan.append(
            NativeProcess(
                serve.service,
                serve.command({"--host": "127.0.0.1", "--port": str(s.serve_port)}),
                {},
                lambda: http_ok(f"http://127.0.0.1:{s.serve_port}/health"),
            )
        )
        return plan

    def _state_path(self, *parts: str) -> Path:
        path = self.settings.state_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def log_path(self, service: str) -> Path:
        return self._state_path("logs") / f"{service}.log"

    def _monitor(self, part: str) -> bool:
        return http_ok(
            f"{self.api_url}/api/v2/monitor/health",
            lambda body: json.loads(body).get(part, {}).get("status") == "healthy",
            timeout=5,
        )

    def _worker_ready(self, service: str, node: str) -> Callable[[], bool]:
        """Celery logs ``<node> ready.`` once it consumes its queues."""

        def ready() -> bool:
            log = self.log_path(service)
            return log.exists() and f"{node} ready." in tail(log, 400)

        return ready

    # ----------------------------------------------------------------- lifecycle
    def up(self) -> dict[str, float]:
        """Create the databases, start S3, migrate, start every component; wait for health.

        Returns seconds per step. On failure everything started so far is stopped.
        """
        timings: dict[str, float] = {}
        try:
            t0 = time.monotonic()
            self._check_broker_empty()
            self._create_databases()
            timings["databases"] = time.monotonic() - t0
            timings.update(self._s3.up(progress=self.progress))
            env = self.env()
            self._prepare_airflow_home()
            t0 = time.monotonic()
            self._run(("airflow", "db", "migrate"), env, "airflow-db-migrate")
            timings["airflow db migrate"] = time.monotonic() - t0
            self.processes = self._plan()
            # MLflow first (the workers need it), then the api-server (workers report every
            # task through its execution API: a task started before it answers fails its
            # try), then every other component at once: they coordinate through the
            # database and the broker, not through start order.
            mlflow, *rest = self.processes
            api = [p for p in rest if p.service == "airflow-apiserver"]
            others = [p for p in rest if p.service != "airflow-apiserver"]
            for group in ([mlflow], api, others):
                t0 = time.monotonic()
                for process in group:
                    self._start(process, env)
                for process in group:
                    self._wait(process)
                    timings[process.service] = time.monotonic() - t0
                    self.progress(
                        f"  {process.service:<24} healthy ({timings[process.service]:.1f} s)"
                    )
        except BaseException:
            self.down()
            raise
        return timings

    def _prepare_airflow_home(self) -> None:
        self._s3.prepare_airflow()  # SimpleAuthManager password file for the api-server

    def _run(self, argv: tuple[str, ...], env: dict[str, str], name: str) -> None:
        log = self.log_path(name)
        with open(log, "ab") as fh:
            out = subprocess.run(  # noqa: S603 - fixed command
                argv, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=900, check=False
            )
        if out.returncode != 0:
            raise ServiceError(
                fail(f"{' '.join(argv)} exited with {out.returncode}", f"read {log}")
            )

    def _start(self, process: NativeProcess, env: dict[str, str]) -> None:
        if process.service == "airflow-apiserver":
            check_ports_free(
                process.service, [self.settings.airflow_port], self.log_path(process.service)
            )
        if process.service == "mlflow":
            check_ports_free(
                process.service, [self.settings.mlflow_port], self.log_path(process.service)
            )
        log = self.log_path(process.service)
        self.progress(f"  {process.service:<24} starting: {' '.join(process.command)} (log: {log})")
        process.proc = start(process.command, {**env, **process.env}, log, self.settings.state_dir)

    def _wait(self, process: NativeProcess) -> None:
        wait_healthy(
            process.service,
            process.health,
            process.alive,
            self.log_path(process.service),
            self.settings.startup_timeout,
            restart="start the topology again",
            tail_lines=15,
        )

    def down(self) -> None:
        """Stop every process group (reverse order), S3, drop the databases, empty Redis."""
        errors: list[str] = []
        for process in reversed(self.processes):
            if process.proc is not None:
                stop_group(process.proc.pid, grace=30.0)
                try:
                    process.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    errors.append(process.service)
        self._s3.down(progress=lambda m: None)
        try:
            self._drop_databases()
        except Exception as exc:  # noqa: BLE001 - report, keep cleaning
            errors.append(f"databases ({exc})")
        try:
            if self._own_broker:
                self._redis().flushdb()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"redis ({exc})")
        if errors:
            self.progress(f"  native topology: could not clean up {', '.join(errors)}")

    def __enter__(self) -> NativeTopology:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def alive(self) -> dict[str, bool]:
        """``{service: running}`` for each started process."""
        return {p.service: p.alive() for p in self.processes}

    def api(self):
        """An :class:`~driftline.airflow_api.AirflowAPI` logged in as the admin."""
        from driftline.airflow_api import AirflowAPI

        return AirflowAPI(
            self.api_url, "admin", self.credentials()["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"]
        )

    # ----------------------------------------------------------------- backing services
    def _redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=10)

    def _check_broker_empty(self) -> None:
        if self._redis().dbsize():
            raise ConfigError(
                fail(
                    f"Redis database {self.redis_url} is not empty (another deployment uses it?)",
                    "pass another database number in redis_url",
                )
            )
        self._own_broker = True

    def _admin(self):
        import psycopg2

        server = urlsplit(self.postgres_url)
        conn = psycopg2.connect(
            host=server.hostname,
            port=server.port or 5432,
            user=server.username or "postgres",
            password=server.password,
            dbname="postgres",
            connect_timeout=10,
        )
        conn.autocommit = True
        return conn

    def _create_databases(self) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for name in self.databases.values():
                    cur.execute(f'CREATE DATABASE "{name}"')
                    self._created.append(name)
        finally:
            conn.close()

    def _drop_databases(self) -> None:
        if not self._created:
            return
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for name in list(self._created):
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    self._created.remove(name)
        finally:
            conn.close()
