"""driftline_continual_training with dag.test() against the real embedded S3 and MLflow.

Scenarios: (a) a clean batch -> no training, report published; (b) a covariate-shifted batch
-> fine-tune -> registered and gated; (c) a concept-drifted labelled batch -> full retrain ->
promoted, or refused by the gate with the champion unchanged; (d) a malformed batch ->
quarantined, nothing trained, alert recorded; (e) the Params override is honoured.
"""

from __future__ import annotations

import json
import os
import runpy
import uuid

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


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
def pipeline(services, tmp_path_factory):
    """Own buckets, model name and monitoring DB for this module; a bootstrapped champion."""
    from driftline import flow, s3
    from driftline.settings import Settings

    tag = uuid.uuid4().hex[:6]
    env = {
        "DRIFTLINE_MODEL_NAME": f"pipe-{tag}",
        "DRIFTLINE_BUCKET_LANDING": f"pipe-{tag}-landing",
        "DRIFTLINE_BUCKET_QUARANTINE": f"pipe-{tag}-quarantine",
        "DRIFTLINE_BUCKET_REPORTS": f"pipe-{tag}-reports",
        "DRIFTLINE_MONITORING_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('mon') / 'monitoring.db'}",
        "DRIFTLINE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    settings = Settings.from_env()
    s3.ensure_buckets(settings)
    ref = tmp_path_factory.mktemp("ref") / "reference.csv"
    make_frame(3000, seed=1).to_csv(ref, index=False)
    boot = flow.bootstrap(str(ref), target="label", settings=settings)
    assert boot["promoted"] and boot["champion"] == "1", boot
    yield settings
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


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


def report_of(settings, batch_id: str) -> dict:
    from driftline import s3

    body = s3.client(settings).get_object(
        Bucket=settings.bucket_reports, Key=f"runs/{batch_id}.json"
    )
    return json.loads(body["Body"].read())


def test_a_clean_batch_trains_nothing_and_publishes(pipeline, airflow_db):
    key = land(pipeline, "clean.csv", make_frame(1500, seed=2))
    _, before, _ = versions(pipeline)
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["no_training"] == "success"
    assert states["fine_tune"] == states["full_retrain"] == "skipped"
    assert states["publish_report"] == "success" and states["quarantine"] == "skipped"
    _, after, _ = versions(pipeline)
    assert after == before
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    assert report_of(pipeline, batch_id)["action"] == "none"


def test_b_covariate_shift_fine_tunes(pipeline, airflow_db):
    key = land(pipeline, "shifted.csv", make_frame(1500, seed=3, shift=0.4))
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["fine_tune"] == "success" and states["full_retrain"] == "skipped", states
    reg, vs, aliases = versions(pipeline)
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    mine = reg.find(batch_id)
    assert mine is not None and mine.tags["strategy"] == "fine_tune"
    gate = xcom(dagrun, "gate_and_promote")
    # the gate decided, one way or the other, and the champion is a loadable model
    assert gate["promoted"] in (True, False) and gate["reason"]
    assert reg.load(aliases["champion"]) is not None
    if gate["promoted"]:
        assert aliases["champion"] == str(mine.version)


def test_c_concept_drift_full_retrain_gated(pipeline, airflow_db):
    _, _, before = versions(pipeline)
    key = land(pipeline, "concept.csv", make_frame(2000, seed=4, flip=True))
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["full_retrain"] == "success", states
    drift = xcom(dagrun, "check_drift")
    assert "concept" in drift["kinds"]
    gate = xcom(dagrun, "gate_and_promote")
    reg, _, after = versions(pipeline)
    if gate["promoted"]:
        assert after["champion"] == gate["version"] != before["champion"]
        assert after["previous_champion"] == before["champion"]
    else:
        assert after["champion"] == before["champion"]


def test_d_malformed_batch_is_quarantined_and_alerted(pipeline, airflow_db):
    from driftline import s3
    from driftline.monitoring import MonitoringStore

    bad = make_frame(300, seed=5)
    bad["x1"] = bad["x1"].astype(object)
    bad.loc[:20, "x1"] = "not-a-number"
    key = land(pipeline, "malformed.csv", bad)
    _, before, _ = versions(pipeline)
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["quarantine"] == "success"
    assert states["check_drift"] == states["fine_tune"] == states["full_retrain"] == "skipped"
    _, after, _ = versions(pipeline)
    assert after == before
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    client = s3.client(pipeline)
    listed = client.list_objects_v2(Bucket=pipeline.bucket_quarantine, Prefix=f"{batch_id}/")
    names = sorted(o["Key"].split("/")[-1] for o in listed["Contents"])
    assert names == ["malformed.csv", "validation.json"]
    store = MonitoringStore.from_env()
    rules = {a["rule"] for a in store.alerts()}
    store.dispose()
    assert "quarantined_batch" in rules


def test_e_params_override_full_retrain_on_clean_batch(pipeline, airflow_db):
    key = land(pipeline, "override.csv", make_frame(1500, seed=6))
    dagrun, states = run_dag(batch=key, strategy="full_retrain")
    assert dagrun.state == "success", states
    assert states["full_retrain"] == "success" and states["no_training"] == "skipped"
    decision = dagrun.get_task_instance("decide")
    assert decision.state == "success"
    reg, _, _ = versions(pipeline)
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    assert reg.find(batch_id).tags["strategy"] == "full_retrain"


def xcom(dagrun, task_id: str):
    """The return value of ``task_id`` in this run."""
    ti = dagrun.get_task_instance(task_id)
    return ti.xcom_pull(task_ids=task_id, key="return_value")


def test_f_dag_trained_versions_rebuild_and_a_spec_change_is_a_model_iteration(
    pipeline, airflow_db
):
    """Every version the DAG trained is rebuilt exactly from its record (driftline
    reproduce); then a changed configured spec makes the next run a gated model iteration."""
    from dataclasses import replace

    from driftline import flow
    from driftline.monitoring import MonitoringStore
    from driftline.training import reproduce, save_configured_spec
    from driftline.training.steps import model_spec_of

    reg, vs, aliases = versions(pipeline)
    assert vs  # bootstrap, and the versions the tests above trained
    for version in vs:
        result = reproduce(version, pipeline)
        assert result.matches, result.describe()
    spec = model_spec_of(reg, reg.client.get_model_version(reg.name, aliases["champion"]))
    save_configured_spec(replace(spec, estimator="sgd"), pipeline)
    key = land(pipeline, "iteration.csv", make_frame(1500, seed=7))
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["full_retrain"] == "success", states
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    decision = flow._get_json(pipeline, f"decisions/{batch_id}.json")
    assert decision["iteration"] == "model" and "model iteration" in decision["reasons"][-1]
    mine = reg.find(batch_id)
    assert mine.tags["iteration"] == "model" and model_spec_of(reg, mine).estimator == "sgd"
    assert xcom(dagrun, "gate_and_promote")["reason"]  # went through the gate
    store = MonitoringStore.from_env()
    events = store.model_events(batch_id=batch_id)
    store.dispose()
    assert {e["iteration"] for e in events if e["kind"] == "full_retrain"} == {"model"}
