"""Shared pieces of the DAG tests that run ``driftline_continual_training`` with ``dag.test()``.

The module-scoped ``pipeline`` fixture gives each test module its own buckets, model name
and monitoring database on the session's real S3 and MLflow, with a bootstrapped champion;
:func:`make_frame` makes synthetic batches, :func:`land` puts one into the landing prefix,
:func:`run_dag` runs the DAG and :func:`versions`, :func:`xcom` and :func:`report` read the
outcome.
"""

from __future__ import annotations

import json
import runpy
import uuid

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, environ


def make_frame(n: int, seed: int, *, shift: float = 0.0, flip: bool = False) -> pd.DataFrame:
    """Synthetic stream: y depends on x1, x2 and the colour; x3 is a shiftable covariate."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    x3 = rng.normal(loc=shift, size=n)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])
    logit = 1.5 * x1 - 1.0 * x2 + 0.3 * x3 + np.where(colour == "red", 0.5, -0.5)
    if flip:
        logit = -logit
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "colour": colour, "label": y})


@pytest.fixture(scope="module")
def pipeline(services, tmp_path_factory, request):
    """Own buckets, model name and monitoring DB for the test module; a bootstrapped champion.

    The names start with the module's ``PIPELINE_PREFIX`` (default ``pipe``). The variables
    are set in ``os.environ`` (the DAG's tasks read them) and restored afterwards.
    """
    from driftline import flow, s3
    from driftline.settings import Settings

    name = f"{getattr(request.module, 'PIPELINE_PREFIX', 'pipe')}-{uuid.uuid4().hex[:6]}"
    env = {
        "DRIFTLINE_MODEL_NAME": name,
        "DRIFTLINE_BUCKET_LANDING": f"{name}-landing",
        "DRIFTLINE_BUCKET_QUARANTINE": f"{name}-quarantine",
        "DRIFTLINE_BUCKET_REPORTS": f"{name}-reports",
        "DRIFTLINE_MONITORING_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('mon') / 'monitoring.db'}",
        "DRIFTLINE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    with environ(env):
        settings = Settings.from_env()
        s3.ensure_buckets(settings)
        ref = tmp_path_factory.mktemp("ref") / "reference.csv"
        make_frame(3000, seed=1).to_csv(ref, index=False)
        boot = flow.bootstrap(str(ref), target="label", settings=settings)
        assert boot["promoted"] and boot["champion"] == "1", boot
        yield settings


def land(settings, name: str, frame: pd.DataFrame | bytes) -> str:
    from driftline import s3

    body = frame if isinstance(frame, bytes) else frame.to_csv(index=False).encode()
    key = f"{settings.landing_prefix}{name}"
    s3.client(settings).put_object(Bucket=settings.bucket_landing, Key=key, Body=body)
    return key


def run_dag(**conf):
    module = runpy.run_path(str(ROOT / "dags" / "driftline_continual_training.py"))
    dag = module["driftline_continual_training"]()
    dagrun = dag.test(run_conf=conf)
    states = {ti.task_id: ti.state for ti in dagrun.get_task_instances()}
    return dagrun, states


def versions(settings):
    from driftline.training.registry import Registry

    reg = Registry(settings.model_name, settings.mlflow_tracking_uri)
    return reg, [str(v.version) for v in reg.versions()], reg.aliases()


def xcom(dagrun, task_id: str):
    """The return value of ``task_id`` in this run."""
    ti = dagrun.get_task_instance(task_id)
    return ti.xcom_pull(task_ids=task_id, key="return_value")


def report(settings, key: str) -> dict:
    """A JSON object the pipeline wrote to the reports bucket (``runs/<batch>.json``, ...)."""
    from driftline import s3

    body = s3.client(settings).get_object(Bucket=settings.bucket_reports, Key=key)
    return json.loads(body["Body"].read())
