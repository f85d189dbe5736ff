"""The scale-out topology: which processes run, with which command, queues and settings.

Data only (no Airflow import). ``docker-compose.yaml`` and the native Celery integration
test both describe this one topology; ``tests/compose`` checks that the compose file
agrees with it (services, commands, key settings), so the two cannot drift apart.

Airflow runs with the CeleryExecutor, a Redis broker and the Celery result backend in
PostgreSQL. Two worker pools consume disjoint queues: ``default`` for everything and
``training`` for model fitting, to which the training tasks are routed with
``queue=TRAINING_QUEUE``. The native test starts each component with
``component.command({...})`` (only addresses and ports differ, through
``deployment_options``); compose runs the same command lines.

>>> from driftline.topology import TOPOLOGY, TRAINING_QUEUE
>>> worker = TOPOLOGY.worker_for(TRAINING_QUEUE)
>>> worker.service, " ".join(worker.argv)
('airflow-worker-training', 'airflow celery worker --queues training --concurrency 1 --celery-hostname training@%h')
>>> TOPOLOGY.airflow_settings["AIRFLOW__CORE__EXECUTOR"]
'CeleryExecutor'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from driftline.errors import ConfigError, fail

DEFAULT_QUEUE = "default"
TRAINING_QUEUE = "training"


@dataclass(frozen=True)
class Component:
    """One process of the topology, named as its docker-compose service.

    Parameters
    ----------
    service : str
        docker-compose service name (and a stable name for the native test).
    args : tuple of str
        Arguments after ``program``.
    program : str
        Executable: ``"airflow"``, ``"mlflow"`` or ``"driftline"`` (the serving endpoint).
    queues : tuple of str
        Celery queues a worker consumes (empty for other components).
    profile : str or None
        docker-compose profile that enables it; ``None`` means always on.
    deployment_options : tuple of str
        Options each deployment appends with its own value (addresses, ports); every
        other argument is fixed by ``args``.
    """

    service: str
    args: tuple[str, ...]
    program: str = "airflow"
    queues: tuple[str, ...] = ()
    profile: str | None = None
    deployment_options: tuple[str, ...] = ()

    @property
    def argv(self) -> tuple[str, ...]:
        """The full command line."""
        return (self.program, *self.args)

    def command(self, options: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The command line with this deployment's ``options`` (addresses, ports) appended.

        >>> TOPOLOGY.component("mlflow").command({"--port": "5001"})[-2:]
        ('--port', '5001')
        """
        options = dict(options or {})
        unknown = sorted(set(options) - set(self.deployment_options))
        if unknown:
            allowed = ", ".join(self.deployment_options) or "none"
            raise ConfigError(
                fail(
                    f"{self.service} does not take deployment options {unknown}",
                    f"pass only: {allowed}",
                )
            )
        return (*self.argv, *(part for item in options.items() for part in item))

    @property
    def is_worker(self) -> bool:
        """True for a Celery worker."""
        return self.args[:2] == ("celery", "worker")


def _worker(queue: str, concurrency: int) -> Component:
    return Component(
        service=f"airflow-worker-{queue}",
        args=(
            "celery",
            "worker",
            "--queues",
            queue,
            "--concurrency",
            str(concurrency),
            "--celery-hostname",
            f"{queue}@%h",
        ),
        queues=(queue,),
    )


@dataclass(frozen=True)
class Topology:
    """The whole scale-out deployment.

    Parameters
    ----------
    components : tuple of Component
        Long-running processes started from the Driftline image (Airflow, MLflow and the
        serving endpoint).
    backing_services : tuple of str
        Long-running third-party services (database, broker, object store).
    init_jobs : tuple of str
        One-shot jobs that must complete before the components start.
    airflow_settings : mapping of str to str
        Settings every Airflow process gets, as ``AIRFLOW__SECTION__KEY`` variables.
    broker_scheme, result_backend_scheme, metadata_scheme : str
        URL schemes of the Celery broker, the Celery result backend and the metadata DB.
    execution_api_path : str
        Path of the task execution API on the api-server.
    databases : tuple of str
        PostgreSQL databases: Airflow metadata, MLflow store, MLflow users, monitoring.
    buckets : tuple of str
        Object-store buckets (the defaults of :class:`driftline.settings.Settings`).
    """

    components: tuple[Component, ...]
    backing_services: tuple[str, ...]
    init_jobs: tuple[str, ...]
    airflow_settings: Mapping[str, str]
    broker_scheme: str
    result_backend_scheme: str
    metadata_scheme: str
    execution_api_path: str
    databases: tuple[str, ...]
    buckets: tuple[str, ...]

    @property
    def services(self) -> tuple[str, ...]:
        """Every docker-compose service name."""
        return (
            *self.backing_services,
            *self.init_jobs,
            *(c.service for c in self.components),
        )

    @property
    def workers(self) -> tuple[Component, ...]:
        """The Celery workers."""
        return tuple(c for c in self.components if c.is_worker)

    @property
    def queues(self) -> tuple[str, ...]:
        """Every queue some worker consumes."""
        return tuple(q for w in self.workers for q in w.queues)

    def component(self, service: str) -> Component:
        """The component named ``service``."""
        for c in self.components:
            if c.service == service:
                return c
        names = ", ".join(c.service for c in self.components)
        raise ConfigError(fail(f"no component {service!r} in the topology", f"use one of {names}"))

    def worker_for(self, queue: str) -> Component:
        """The worker consuming ``queue``."""
        for w in self.workers:
            if queue in w.queues:
                return w
        raise ConfigError(
            fail(f"no worker consumes queue {queue!r}", f"use one of {', '.join(self.queues)}")
        )


TOPOLOGY = Topology(
    components=(
        Component("airflow-apiserver", ("api-server",)),
        Component("airflow-scheduler", ("scheduler",)),
        Component("airflow-dag-processor", ("dag-processor",)),
        Component("airflow-triggerer", ("triggerer",)),
        _worker(DEFAULT_QUEUE, concurrency=4),
        _worker(TRAINING_QUEUE, concurrency=1),
        Component("flower", ("celery", "flower"), profile="flower"),
        Component(
            "mlflow",
            (
                "server",
                "--app-name",
                "basic-auth",
                "--workers",
                "2",
                "--artifacts-destination",
                "s3://driftline-mlflow/artifacts",
            ),
            program="mlflow",
            deployment_options=("--host", "--port", "--allowed-hosts"),
        ),
        # online predictions of models:/<name>@champion (driftline.serving)
        Component(
            "serve",
            ("serve",),
            program="driftline",
            deployment_options=("--host", "--port"),
        ),
    ),
    backing_services=("postgres", "redis", "minio"),
    init_jobs=("airflow-init", "minio-init"),
    airflow_settings=MappingProxyType(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": DEFAULT_QUEUE,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        }
    ),
    broker_scheme="redis",
    result_backend_scheme="db+postgresql",
    metadata_scheme="postgresql+psycopg2",
    execution_api_path="/execution/",
    databases=("airflow", "mlflow", "mlflow_auth", "driftline"),
    buckets=("driftline-landing", "driftline-quarantine", "driftline-mlflow", "driftline-reports"),
)
"""The Driftline scale-out topology shared by docker-compose and the native Celery test."""
