"""Reproducibility: every run records code, configuration and data; versions are rebuilt."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from driftline import cli
from driftline import s3 as s3mod
from driftline.errors import DataError, ModelError
from driftline.training import (
    Batch,
    LabelledPolicy,
    ModelSpec,
    Registry,
    TrainingConfig,
    Window,
    bootstrap,
    reproduce,
    spec_fingerprint,
    train_and_log,
)
from driftline.training.tracking import load_artifact_text
from driftline.validation import read_batch

pytestmark = pytest.mark.integration

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))


def upload(settings, frames, batch_id, seed, key=None, **kw):
    """Put a CSV batch in S3; return it as training reads it (frame from the object)."""
    body = frames(600, seed, **kw).to_csv(index=False).encode()
    key = key or f"processed/{settings.model_name}-{batch_id}/{batch_id}.csv"
    s3mod.client(settings).put_object(Bucket=settings.bucket_landing, Key=key, Body=body)
    uri = f"s3://{settings.bucket_landing}/{key}"
    frame = read_batch(uri, None, settings).frame
    return Batch(batch_id, frame, uri, hashlib.sha256(body).hexdigest()[:32])


@pytest.fixture(scope="module")
def world(services, frames):
    """v1 bootstrap, v2 full retrain on the last 2 batches, v3 fine-tune of v1."""
    s = services.with_(model_name=f"repro-{uuid.uuid4().hex[:8]}")
    b0 = upload(s, frames, "b0", 0)
    b1 = upload(s, frames, "b1", 1, flip=True)
    claimed = f"claimed/{s.model_name}-b2/b2.csv"
    b2 = upload(s, frames, "b2", 2, key=claimed, shift=0.5)
    bootstrap(b0, SPEC, s)
    v2 = train_and_log(
        "b1", "full_retrain", s, history=[b0, b1], config=TrainingConfig(window=Window.last(2))
    )
    v3 = train_and_log("b2", "fine_tune", s, history=[b0, b1, b2])
    # publishing moves a trained batch from claimed/ to processed/
    client = s3mod.client(s)
    processed = claimed.replace("claimed/", "processed/", 1)
    client.copy_object(
        Bucket=s.bucket_landing,
        Key=processed,
        CopySource={"Bucket": s.bucket_landing, "Key": claimed},
    )
    client.delete_object(Bucket=s.bucket_landing, Key=claimed)
    return {"settings": s, "versions": ("1", v2.version, v3.version), "batches": (b0, b1, b2)}


def record_of(s, version):
    mv = Registry(s.model_name, s.mlflow_tracking_uri).client.get_model_version(
        s.model_name, version
    )
    run_id = mv.tags["run_id"]
    text = load_artifact_text(run_id, "reproducibility/record.json", s.mlflow_tracking_uri)
    return json.loads(text), run_id


def test_every_run_records_code_config_and_batch_digests(world):
    s = world["settings"]
    record, run_id = record_of(s, world["versions"][1])
    assert record["code"]["driftline"] and record["code"]["packages"]["scikit-learn"]
    assert record["code"]["git_commit"] is None or len(record["code"]["git_commit"]) == 40
    assert record["spec"] == SPEC.to_dict()
    assert record["spec_fingerprint"] == spec_fingerprint(SPEC)
    assert record["strategy"] == "full_retrain" and record["strategy_params"]["window_n"] == 2
    assert record["config"]["holdout_fraction"] == LabelledPolicy().holdout_fraction
    b0, b1, _ = world["batches"]
    assert [(b["batch_id"], b["uri"], b["digest"]) for b in record["batches"]] == [
        (b.batch_id, b.source, b.digest) for b in (b0, b1)
    ]
    tags = Registry(s.model_name, s.mlflow_tracking_uri).client.get_run(run_id).data.tags
    assert tags["driftline.iteration"] == "data"
    assert tags["driftline.spec_fingerprint"] == spec_fingerprint(SPEC)
    assert tags["driftline.code_version"] == record["code"]["driftline"]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["bootstrap", "full_retrain", "fine_tune"])
def test_reproduce_rebuilds_each_version_exactly(world, index):
    version = world["versions"][index]
    result = reproduce(version, world["settings"])
    assert result.matches, result.describe()
    assert result.mismatched_predictions == 0 and result.max_abs_diff <= 1e-9
    assert result.holdout_identical and result.rows > 0
    assert result.code_changed == []


def test_the_cli_exits_0_on_a_match(world, monkeypatch, capsys):
    monkeypatch.setenv("DRIFTLINE_MODEL_NAME", world["settings"].model_name)
    assert cli.main(["reproduce", "--model-version", world["versions"][1]]) == 0
    assert "MATCHES" in capsys.readouterr().out


def test_a_tampered_or_missing_batch_is_refused_by_name(world):
    s = world["settings"]
    b0, b1, _ = world["batches"]
    client = s3mod.client(s)
    bucket, key = b1.source[len("s3://") :].split("/", 1)
    original = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    client.put_object(Bucket=bucket, Key=key, Body=original + b"0.0,0.0,a,1\n")
    try:
        with pytest.raises(DataError, match=r"batch b1 .* changed since training"):
            reproduce(world["versions"][1], s)
    finally:
        client.put_object(Bucket=bucket, Key=key, Body=original)
    assert reproduce(world["versions"][1], s).matches  # restored: matches again
    bucket, key = b0.source[len("s3://") :].split("/", 1)
    client.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(DataError, match="batch b0 is missing"):
        reproduce("1", s)


def test_an_unknown_version_is_a_model_error(world):
    with pytest.raises(ModelError, match="no version 99"):
        reproduce("99", world["settings"])
