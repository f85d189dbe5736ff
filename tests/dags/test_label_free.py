"""Label-free adaptation in driftline_continual_training (dag.test(), real S3 + MLflow).

(a) an unlabelled batch whose class prior moved from about 0.5 to 0.2 -> the policy picks
``recalibrate_priors`` -> a pyfunc version (champion + correction) is logged, tagged
label-free, registered as challenger and gated on the importance-resampled hold-out;
(b) an unlabelled covariate-shifted batch with the ``reweight_retrain`` override ->
either a label-free retrained version or a refusal whose reason names the effective
sample size, and the champion never changes without passing the gate.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tests.dags.conftest import land, make_frame, report, run_dag, versions, xcom

pytestmark = pytest.mark.integration
PIPELINE_PREFIX = "lf"


def label_shifted(n: int, prior: float, seed: int):
    """Rows of ``make_frame`` resampled per class: p(x|y) kept, p(y=1) = ``prior``."""
    pool = make_frame(8 * n, seed=seed)
    rng = np.random.default_rng(seed)
    n1 = int(round(prior * n))
    pos = pool[pool.label == 1].sample(n1, random_state=rng)
    neg = pool[pool.label == 0].sample(n - n1, random_state=rng)
    frame = pd.concat([pos, neg])
    return frame.sample(frac=1.0, random_state=rng).reset_index(drop=True)


@pytest.fixture(scope="module")
def pipeline(pipeline, tmp_path_factory):
    """The shared bootstrapped pipeline, with a contract that accepts unlabelled batches."""
    from driftline import flow, s3

    settings = pipeline
    # labels arrive late: the target may be empty (docs/adapt.md); shifted batches leave
    # the inferred value ranges, which is drift, not bad data
    contract = flow.load_contract(settings)
    columns = tuple(
        replace(c, max_null_rate=1.0) if c.role == "target" else replace(c, min=None, max=None)
        for c in contract.columns
    )
    path = tmp_path_factory.mktemp("contract") / "contract.yaml"
    replace(contract, columns=columns).to_file(path)
    s3.client(settings).upload_file(str(path), settings.bucket_reports, flow.contract_key(settings))
    return settings


def test_a_unlabelled_label_shift_logs_a_label_free_prior_correction(pipeline, airflow_db):
    from driftline.adapt import PriorCorrectedClassifier

    frame = label_shifted(3000, 0.2, seed=11)
    truth = frame.label.to_numpy()
    frame["label"] = np.nan  # no labels
    key = land(pipeline, "label-shift.csv", frame)
    dagrun, states = run_dag(batch=key)
    assert dagrun.state == "success", states
    assert states["recalibrate_priors"] == "success", states
    for other in ("no_training", "fine_tune", "full_retrain", "reweight_retrain"):
        assert states[other] == "skipped", states
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    decision = report(pipeline, f"decisions/{batch_id}.json")
    assert decision["action"] == "recalibrate_priors" and "no labels" in decision["reasons"][0]
    out = xcom(dagrun, "recalibrate_priors")
    assert out["accepted"] and out["version"] and out["label_free"], out
    estimate = out["report"]["prior_estimate"]
    assert abs(estimate["priors"][1] - truth.mean()) < 0.05, estimate
    reg, _, aliases = versions(pipeline)
    mine = reg.find(batch_id)
    assert mine.tags["label_free"] == "true" and mine.tags["action"] == "recalibrate_priors"
    assert mine.tags["strategy"] == "recalibrate_priors" and mine.tags["parent_version"] == "1"
    run = reg.client.get_run(mine.run_id or mine.tags["run_id"])
    assert run.data.tags["driftline.label_free"] == "true"
    model = reg.load(str(mine.version))
    assert isinstance(model, PriorCorrectedClassifier)
    # corrected predictions follow the new prior better than the champion's
    X = frame[["x1", "x2", "x3", "colour"]]
    champion_share = reg.load("1").predict(X).mean()
    assert abs(model.predict(X).mean() - truth.mean()) < abs(champion_share - truth.mean())
    # batch inference scores with the label-free version like any other
    from driftline.training.inference import score_batch

    scored = score_batch(
        X,
        batch_id=batch_id,
        model_uri=f"models:/{pipeline.model_name}/{mine.version}",
        tracking_uri=pipeline.mlflow_tracking_uri,
    )
    assert {"proba_0", "proba_1"} <= set(scored.predictions.columns)
    gate = xcom(dagrun, "gate_and_promote")
    assert gate["promoted"] in (True, False) and gate["reason"], gate
    assert gate["gate"] is not None and gate["gate"]["n"] > 100  # importance-resampled rows
    assert aliases["champion"] == (str(mine.version) if gate["promoted"] else "1")
    assert report(pipeline, f"adapt/{batch_id}.json")["action"] == "recalibrate_priors"


def test_b_unlabelled_covariate_shift_reweights_or_refuses_with_reason(pipeline, airflow_db):
    _, _, before = versions(pipeline)
    frame = make_frame(2000, seed=12, shift=0.6)
    frame["label"] = np.nan
    key = land(pipeline, "covariate-shift.csv", frame)
    dagrun, states = run_dag(batch=key, strategy="reweight_retrain")
    assert dagrun.state == "success", states
    assert states["reweight_retrain"] == "success", states
    out = xcom(dagrun, "reweight_retrain")
    weights = out["report"]["importance_weights"]
    assert weights["ess"] > 0 and "effective sample size" in weights["reason"]
    reg, _, after = versions(pipeline)
    batch_id = xcom(dagrun, "resolve_batch")["batch_id"]
    if out["accepted"]:
        mine = reg.find(batch_id)
        assert mine.tags["label_free"] == "true" and mine.tags["action"] == "reweight_retrain"
        gate = xcom(dagrun, "gate_and_promote")
        assert gate["reason"]
        if not gate["promoted"]:
            assert after["champion"] == before["champion"]
    else:
        assert out["version"] is None and "effective sample size" in out["message"]
        assert after["champion"] == before["champion"] and reg.find(batch_id) is None
