"""driftline_continual_training with dag.test() against the real embedded S3 and MLflow.

Scenarios: (a) a clean batch -> no training, report published; (b) a covariate-shifted batch
-> fine-tune -> registered and gated; (c) a concept-drifted labelled batch -> full retrain ->
promoted, or refused by the gate with the champion unchanged; (d) a malformed batch ->
quarantined, nothing trained, alert recorded; (e) the Params override is honoured.
"""

from __future__ import annotations

import pytest

from tests.dags.conftest import land, make_frame, report, run_dag, versions, xcom

pytestmark = pytest.mark.integration


def test_a_clean_batch_in_a_dry_run_trains_nothing_and_publishes(pipeline, airflow_db):
    key = land(pipeline, "clean.csv", make_frame(1500, seed=2))
    _, before, _ = versions(pipeline)
    dagrun, states = run_dag(batch=key, dry_run=True)
    assert dagrun.state == "success", states
    assert states["no_training"] == "success"
    assert states["fine_tune"] == states["full_retrain"] == "skipped"
    assert states["publish_report"] == "success" and states["quarantine"] == "skipped"
    _, after, _ = versions(pipeline)
    assert after == before
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    assert report(pipeline, f"runs/{batch_id}.json")["action"] == "none"
    # without the dry run the new labels would be learnt from, drift or not
    decision = report(pipeline, f"decisions/{batch_id}.json")
    assert decision["planned_action"] == "fine_tune", decision


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
