"""Integration: the DAG-facing steps against the real MLflow server with S3 artifacts."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from driftline import s3 as s3mod
from driftline.drift import DriftReport, ReferenceProfile
from driftline.errors import ModelError
from driftline.training import (
    Batch,
    LabelledPolicy,
    ModelSpec,
    Policy,
    Registry,
    TrainingConfig,
    Window,
    bootstrap,
    gate_and_promote,
    rollback_champion,
    score_and_write,
    train_and_log,
)
from driftline.training.window import split_holdout
from driftline.validation import ValidationReport

pytestmark = pytest.mark.integration

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))
# a full retrain on the new batch only, without the policy's fine-tune alternative: the
# retrain decisions below train what they say (training/selection.py has its own tests)
RETRAIN_NEW = TrainingConfig(
    window=Window.last(1), policy=replace(LabelledPolicy(), retrain_alternative=False)
)
RUN_ARTIFACTS = (
    "spec.json",
    "training/summary.json",
    "policy/decision.json",
    "drift/report.json",
    "drift/report.html",
    "validation/report.json",
    "reference/profile.json",
    "holdout/holdout.parquet",
)
MODEL_ARTIFACTS = ("MLmodel", "model.skops", "requirements.txt", "input_example.json")


def batch(frames, i, **kw):
    return Batch(f"b{i}", frames(800, i, **kw), f"s3://driftline-landing/processed/b{i}/b{i}.csv")


def settings_for(services):
    return services.with_(model_name=f"t-{uuid.uuid4().hex[:10]}")


def drift_report(batch_id, kinds, severity="moderate"):
    return DriftReport(
        batch_id=batch_id,
        created_at="2025-01-01T00:00:00+00:00",
        alpha=0.05,
        correction="holm",
        is_drift=True,
        kinds=kinds,
        severity=severity,
        max_effect=0.2,
        columns=(),
        n_reference=800,
        n_current=800,
    )


def validation(batch_id):
    return ValidationReport(batch_id, True, 800, (), 12, f"{batch_id}.csv", "demo", 1)


def s3_keys(settings, prefix):
    client = s3mod.client(settings)
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.bucket_mlflow, Prefix=prefix
    )
    return {o["Key"][len(prefix) :]: o for page in pages for o in page.get("Contents", [])}


def state(settings):
    registry = Registry(settings.model_name, settings.mlflow_tracking_uri)
    return len(registry.versions()), registry.aliases()


@pytest.fixture(scope="module")
def world(services, frames):
    """b0 bootstrap -> b1 noise (retrain, refused) -> b2 new concept (retrain, promoted) -> b3 fine-tune."""
    s = settings_for(services)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    out = {"settings": s, "registry": registry}
    out["boot"] = bootstrap(batch(frames, 0), SPEC, s, validation_report=validation("b0"))
    hist = [batch(frames, 0)]

    noise = batch(frames, 1)
    noise = Batch(
        "b1",
        noise.frame.assign(y=np.random.default_rng(0).permutation(noise.frame["y"].to_numpy())),
        noise.source,
    )
    hist.append(noise)
    report = drift_report("b1", ("concept",))
    decision = Policy().decide(report)
    out["t1"] = train_and_log(
        "b1",
        decision.action,
        s,
        history=hist,
        config=RETRAIN_NEW,
        drift_report=report,
        validation_report=validation("b1"),
        decision=decision,
    )
    out["aliases_after_t1"] = registry.aliases()
    out["g1"] = gate_and_promote("b1", s)

    hist.append(batch(frames, 2, flip=True))
    report = drift_report("b2", ("concept",))
    out["t2"] = train_and_log(
        "b2",
        "full_retrain",
        s,
        history=hist,
        config=RETRAIN_NEW,
        drift_report=report,
        validation_report=validation("b2"),
        decision=Policy().decide(report),
        since="b2",  # the concept alarm's batch: the gate pools hold-outs from there on
    )
    out["g2"] = gate_and_promote("b2", s)

    champion_version = out["g2"].champion
    champion_run = registry.client.get_model_version(s.model_name, champion_version).tags["run_id"]
    probe = frames(200, 40, flip=True)
    out["probe"] = probe
    out["champion_before"] = registry.load(champion_version).predict_proba(probe)
    out["champion_keys_before"] = _model_keys(s, registry, champion_version)
    out["champion_run"] = champion_run

    hist.append(batch(frames, 3, flip=True, shift=0.8))
    report = drift_report("b3", ("covariate",))
    decision = Policy().decide(report)
    assert decision.action == "fine_tune"
    out["t3"] = train_and_log(
        "b3",
        "fine_tune",
        s,
        history=hist,
        drift_report=report,
        validation_report=validation("b3"),
        decision=decision,
    )
    out["g3"] = gate_and_promote("b3", s)
    out["hist"] = hist
    return out


def _model_keys(settings, registry, version):
    mv = registry.client.get_model_version(settings.model_name, version)
    model_id = mv.source.removeprefix("models:/")  # the version's source is the logged model
    exp = registry.client.get_logged_model(model_id).experiment_id
    keys = s3_keys(settings, f"artifacts/{exp}/models/{model_id}/artifacts/")
    return {k: v["ETag"] for k, v in keys.items()}


def test_bootstrap_makes_the_first_champion_without_a_gate(world):
    boot = world["boot"]
    assert boot.promoted and boot.moved and boot.version == "1" and boot.champion == "1"
    assert boot.gate is None and "without a gate" in boot.reason
    tags = world["registry"].client.get_model_version(world["settings"].model_name, "1").tags
    assert tags["trigger"] == "bootstrap" and tags["strategy"] == "full_retrain"
    assert tags["parent_version"] == "none" and tags["batch_id"] == "b0"


def test_a_worse_challenger_is_refused(world):
    t1, g1 = world["t1"], world["g1"]
    assert t1.action == "full_retrain" and t1.version == "2" and t1.parent_version == "1"
    assert world["aliases_after_t1"] == {"champion": "1", "challenger": "2"}
    assert not g1.promoted and g1.champion == "1"
    assert g1.gate["diff"] < 0 and not g1.gate["promote"]
    tags = world["registry"].client.get_model_version(world["settings"].model_name, "2").tags
    assert tags["gate"] == "refused" and json.loads(tags["gate_result"])["promote"] is False


def test_a_better_challenger_is_promoted(world):
    g2 = world["g2"]
    assert g2.promoted and g2.moved and g2.version == "3"
    assert g2.champion == "3" and g2.previous == "1"
    assert g2.gate["ci_low"] > 0 and g2.gate["challenger_score"] > g2.gate["champion_score"]
    run = MlflowClient(world["settings"].mlflow_tracking_uri).get_run(world["t2"].run_id)
    assert run.data.metrics["gate_diff"] == pytest.approx(g2.gate["diff"])


def test_fine_tune_continues_from_the_champion_without_touching_it(world):
    t3, s, registry = world["t3"], world["settings"], world["registry"]
    assert t3.action == "fine_tune" and t3.parent_version == "3" and t3.version == "4"
    tags = registry.client.get_model_version(s.model_name, "4").tags
    assert tags["strategy"] == "fine_tune" and tags["trigger"] == "covariate:moderate"
    # the champion's logged artifact and its predictions are unchanged
    assert _model_keys(s, registry, "3") == world["champion_keys_before"]
    np.testing.assert_array_equal(
        registry.load("3").predict_proba(world["probe"]), world["champion_before"]
    )
    assert not np.allclose(
        registry.load("4").predict_proba(world["probe"]), world["champion_before"]
    )


@pytest.mark.parametrize("key", ["t2", "t3"], ids=["full_retrain", "fine_tune"])
def test_every_artifact_is_in_s3_and_the_version_loads(world, key):
    outcome, s, registry = world[key], world["settings"], world["registry"]
    client = MlflowClient(s.mlflow_tracking_uri)
    run = client.get_run(outcome.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # proxied by the server
    exp = run.info.experiment_id
    run_keys = s3_keys(s, f"artifacts/{exp}/{outcome.run_id}/artifacts/")
    assert set(RUN_ARTIFACTS) <= set(run_keys)
    assert set(MODEL_ARTIFACTS) <= set(_model_keys(s, registry, outcome.version))
    # params, metrics, tags
    assert run.data.params["spec_target"] == "y" and run.data.params["strategy"] == outcome.action
    for metric in (
        "train_accuracy",
        "holdout_accuracy",
        "cpu_seconds",
        "wall_seconds",
        "rows_trained",
    ):
        assert metric in run.data.metrics
    assert run.data.tags["driftline.batch_id"] == outcome.batch_id
    # lineage: one dataset per batch used, with its source URI and digest, plus the hold-out
    inputs = [(i.dataset, {t.key: t.value for t in i.tags}) for i in run.inputs.dataset_inputs]
    training = [d for d, t in inputs if t["mlflow.data.context"] == "training"]
    used = {b.batch_id: b for b in world["hist"]}
    assert [d.name for d in training] == [outcome.batch_id]  # window last(1) / fine-tune: new batch
    for d in training:
        assert (
            json.loads(d.source)["uri"] == used[d.name].source and d.digest == used[d.name].digest
        )
    assert [d.name for d, t in inputs if t["mlflow.data.context"] == "holdout"] == [
        f"{outcome.batch_id}-holdout"
    ]
    # reports and profile are readable; the profile describes the training rows
    art = lambda p: mlflow.artifacts.load_text(f"{run.info.artifact_uri}/{p}")  # noqa: E731
    assert DriftReport.from_json(art("drift/report.json")).batch_id == outcome.batch_id
    assert "<html" in art("drift/report.html").lower()
    assert ValidationReport.from_json(art("validation/report.json")).passed
    profile = ReferenceProfile.from_json(art("reference/profile.json"))
    trained_rows = len(split_holdout(world["hist"][0].frame, LabelledPolicy().holdout_fraction)[0])
    assert (
        profile.n_rows == trained_rows
        and profile.target == "y"
        and profile.features == ["x1", "x2", "c"]
    )
    assert profile.performance["holdout_accuracy"] == run.data.metrics["holdout_accuracy"]
    # explicit pinned requirements
    reqs = mlflow.artifacts.load_text(f"models:/{s.model_name}/{outcome.version}/requirements.txt")
    for pkg in ("scikit-learn==", "numpy==", "pandas==", "scipy==", "mlflow==", "skops=="):
        assert pkg in reqs
    # the registered version loads and predicts
    model = registry.load(outcome.version)
    assert model.predict(world["probe"]).shape == (200,)


def test_repeated_calls_for_a_batch_change_nothing(world):
    s, hist = world["settings"], world["hist"]
    before = state(s)
    again = train_and_log("b2", "full_retrain", s, history=hist[:3], config=RETRAIN_NEW)
    assert again.reused and again.version == "3"
    tuned = train_and_log("b3", "fine_tune", s, history=hist)
    assert tuned.reused and tuned.version == "4"
    for b in ("b1", "b2", "b3"):
        result = gate_and_promote(b, s)
        assert not result.moved
    assert not bootstrap(hist[0], SPEC, s).moved
    assert state(s) == before
    runs = MlflowClient(s.mlflow_tracking_uri).search_runs(
        [world["registry"].client.get_experiment_by_name(s.model_name).experiment_id],
        filter_string="tags.`driftline.batch_id` = 'b2'",
    )
    assert len(runs) == 1


def test_no_training_for_action_none(world):
    before = state(world["settings"])
    out = train_and_log("b9", "none", world["settings"])
    assert out.action == "none" and out.version is None
    gated = gate_and_promote("b9", world["settings"])
    assert not gated.promoted and gated.version is None
    assert state(world["settings"]) == before


def test_score_and_write_uses_the_champion(world, frames):
    s = world["settings"]
    champion = world["registry"].aliases()["champion"]
    out = score_and_write(Batch("new-1", frames(120, 50).drop(columns="y"), "s3://x"), s)
    assert (
        out["model_version"] == champion
        and out["uri"] == f"s3://{s.bucket_reports}/predictions/new-1.parquet"
    )
    body = (
        s3mod.client(s)
        .get_object(Bucket=s.bucket_reports, Key="predictions/new-1.parquet")["Body"]
        .read()
    )
    import io

    preds = pd.read_parquet(io.BytesIO(body))
    assert (
        len(preds) == 120
        and set(preds["model_version"]) == {champion}
        and set(preds["batch_id"]) == {"new-1"}
    )
    assert out["stats"]["n"] == 120 and sum(out["stats"]["classes"].values()) == pytest.approx(1)


def test_rollback_restores_the_previous_champion(services, frames):
    s = settings_for(services)
    bootstrap(batch(frames, 0), SPEC, s)
    hist = [batch(frames, 0), batch(frames, 1, flip=True)]
    train_and_log("b1", "full_retrain", s, history=hist, config=RETRAIN_NEW)
    assert gate_and_promote("b1", s).champion == "2"
    moved = rollback_champion(s)
    assert moved["moved"] and moved["champion"] == "1"
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    assert registry.aliases() == {"champion": "1", "previous_champion": "2"}
    assert not rollback_champion(s)["moved"]  # a retry does not flip back
    assert not gate_and_promote("b1", s).moved  # nor does re-running the gate
    assert registry.aliases()["champion"] == "1"
    assert rollback_champion(s, to_version="2")["champion"] == "2"  # explicit restore
    with pytest.raises(ModelError, match="rollback"):
        rollback_champion(s, to_version="99")


def test_failures_leave_the_champion_complete_and_retries_finish(services, frames, monkeypatch):
    s = settings_for(services)
    bootstrap(batch(frames, 0), SPEC, s)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    hist = [batch(frames, 0), batch(frames, 1, flip=True)]

    # 1. registration fails after the run was logged: the retry reuses the logged run
    def broken_register(self, *a, **k):
        raise RuntimeError("registry down")

    with monkeypatch.context() as m:
        m.setattr(Registry, "register", broken_register)
        with pytest.raises(ModelError, match=r"batch b1: registering run .* still version 1"):
            train_and_log("b1", "full_retrain", s, history=hist, config=RETRAIN_NEW)
    assert registry.aliases() == {"champion": "1"}
    retry = train_and_log("b1", "full_retrain", s, history=hist, config=RETRAIN_NEW)
    assert retry.reused and retry.version == "2"

    # 2. promotion fails after the gate passed: champion unchanged and loadable
    def broken_promote(self, *a, **k):
        raise RuntimeError("injected failure")

    with monkeypatch.context() as m:
        m.setattr(Registry, "promote", broken_promote)
        with pytest.raises(
            ModelError, match=r"batch b1: promoting version 2 failed .*still version 1"
        ):
            gate_and_promote("b1", s)
    assert registry.aliases()["champion"] == "1"
    model = mlflow.sklearn.load_model(f"models:/{s.model_name}@champion")
    assert model.predict(frames(10, 7)).shape == (10,)

    # the retry finishes the recorded promotion, once
    done = gate_and_promote("b1", s)
    assert done.promoted and done.moved and done.champion == "2" and done.previous == "1"
    assert not gate_and_promote("b1", s).moved
    assert len(registry.versions()) == 2
