"""Model iteration: a changed configured spec makes a gated full retrain labelled ``model``."""

from __future__ import annotations

import uuid

import pytest

from driftline import flow
from driftline.training import (
    Batch,
    ModelSpec,
    Registry,
    bootstrap,
    gate_and_promote,
    load_configured_spec,
    plan_iteration,
    save_configured_spec,
    spec_fingerprint,
    train_and_log,
)

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))


def test_plan_is_data_without_a_configured_spec_or_when_it_is_the_champions():
    assert plan_iteration(None, SPEC).kind == "data"
    same = ModelSpec.from_dict(SPEC.to_dict())
    plan = plan_iteration(same, SPEC)
    assert plan.kind == "data" and plan.fingerprint == plan.champion_fingerprint


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"estimator": "hgb"}, ("estimator",)),
        ({"numeric": ["x1"]}, ("numeric",)),
        ({"params": {"alpha": 0.01}}, ("params",)),
        ({"seed": 3, "categorical": []}, ("categorical", "seed")),
    ],
)
def test_plan_names_what_changed(change, fields):
    new = ModelSpec.from_dict({**SPEC.to_dict(), **change})
    plan = plan_iteration(new, SPEC)
    assert plan.kind == "model" and plan.changed == fields
    assert plan.fingerprint == spec_fingerprint(new) != plan.champion_fingerprint
    assert all(f in plan.reason for f in fields)


def test_fingerprint_ignores_field_order_and_sequence_types():
    a = ModelSpec("regression", "y", numeric=["a", "b"], params={"p": 1, "q": 2})
    b = ModelSpec.from_dict({"params": {"q": 2, "p": 1}, **a.to_dict()})
    assert spec_fingerprint(a) == spec_fingerprint(b)


@pytest.mark.integration
def test_a_changed_spec_is_a_gated_model_iteration(services, frames):
    s = services.with_(model_name=f"iter-{uuid.uuid4().hex[:8]}")
    b0 = Batch("b0", frames(800, 0), "s3://driftline-landing/b0.csv")
    bootstrap(b0, SPEC, s)
    undecided = {"action": "none", "reasons": ["no drift"]}
    assert load_configured_spec(s) is None
    assert flow._model_iteration(undecided, s)["iteration"] == "data"
    save_configured_spec(SPEC, s)
    assert flow._model_iteration(undecided, s) == {
        **undecided,
        "iteration": "data",
        "spec_fingerprint": spec_fingerprint(SPEC),
    }

    # another estimator and one feature fewer: the champion needs a column the new model drops
    new = ModelSpec("classification", "y", numeric=("x1", "x2"), estimator="hgb")
    save_configured_spec(new, s)
    decided = flow._model_iteration(undecided, s)
    assert decided["action"] == "full_retrain" and decided["iteration"] == "model"
    assert "estimator" in decided["reasons"][-1] and decided["reasons"][0] == "no drift"
    overridden = {"action": "fine_tune", "reasons": ["override"], "override_used": True}
    deferred = flow._model_iteration(overridden, s)
    assert deferred["action"] == "fine_tune" and deferred["iteration"] == "data"
    assert "deferred" in deferred["reasons"][-1]

    b1 = Batch("b1", frames(800, 1), "s3://driftline-landing/b1.csv")
    trained = train_and_log(
        "b1",
        decided["action"],
        s,
        history=[b0, b1],
        spec=load_configured_spec(s),
        iteration=decided["iteration"],
        decision=decided,
    )
    assert trained.iteration == "model"
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    version = registry.client.get_model_version(s.model_name, trained.version)
    assert version.tags["iteration"] == "model"
    run = registry.client.get_run(version.tags["run_id"])
    assert run.data.tags["driftline.iteration"] == "model"
    assert run.data.tags["driftline.spec_fingerprint"] == spec_fingerprint(new)

    outcome = gate_and_promote("b1", s)
    assert outcome.gate is not None and outcome.gate["method"] == "paired_bootstrap"
    tags = registry.client.get_model_version(s.model_name, trained.version).tags
    assert tags["gate"] == ("promoted" if outcome.promoted else "refused")
    # once the new spec is champion the next run is a data iteration again
    expected = "data" if outcome.promoted else "model"
    assert flow._model_iteration(undecided, s)["iteration"] == expected
